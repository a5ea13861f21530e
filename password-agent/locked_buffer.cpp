#include "locked_buffer.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "mandos/secret.hpp"

namespace mandos::agent {

Result<std::pair<char*, size_t>> LockedBuffer::reserve(size_t want) {
  if (size_ == max_size_) return std::pair<char*, size_t>{nullptr, 0};
  want = std::min(want, max_size_ - size_);
  if (capacity_ - size_ >= want) return std::pair<char*, size_t>{data_ + size_, want};

  const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  size_t capacity = std::max(capacity_ * 2, page);
  while (capacity < size_ + want) capacity *= 2;
  void* fresh = ::mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
  if (fresh == MAP_FAILED) return fail(std::string("mmap: ") + std::strerror(errno), errno);
  if (::mlock(fresh, capacity) != 0) {
    lock_failed_ = true;
    lock_errno_ = errno;
  }
  ::madvise(fresh, capacity, MADV_DONTDUMP);
  if (size_ > 0) std::memcpy(fresh, data_, size_);
  const size_t kept = size_;
  release();
  data_ = static_cast<char*>(fresh);
  capacity_ = capacity;
  size_ = kept;
  return std::pair<char*, size_t>{data_ + size_, want};
}

Status LockedBuffer::append(std::string_view bytes) {
  while (!bytes.empty()) {
    auto room = reserve(bytes.size());
    if (!room) return room.error();
    if (room->second == 0) return fail("buffer full", EMSGSIZE);
    std::memcpy(room->first, bytes.data(), room->second);
    commit(room->second);
    bytes.remove_prefix(room->second);
  }
  return {};
}

void LockedBuffer::release() {
  if (data_ == nullptr) return;
  secure_wipe(data_, capacity_);
  ::munlock(data_, capacity_);
  ::munmap(data_, capacity_);
  data_ = nullptr;
  size_ = capacity_ = 0;
}

}  // namespace mandos::agent
