// A growable buffer in locked memory for the password: mlock()ed so it is
// never swapped out, excluded from core dumps, and wiped before every
// release. Bounded by a fixed maximum size.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>

#include "mandos/result.hpp"

namespace mandos::agent {

class LockedBuffer {
 public:
  explicit LockedBuffer(size_t max_size) : max_size_(max_size) {}
  ~LockedBuffer() { release(); }
  LockedBuffer(const LockedBuffer&) = delete;
  LockedBuffer& operator=(const LockedBuffer&) = delete;

  // Writable room for up to want bytes (empty at the maximum). Fails when
  // memory cannot be had. If it cannot be locked, the memory is used
  // anyway and lock_failed() tells so: refusing to unlock the disk would be
  // worse than an unlocked page.
  Result<std::pair<char*, size_t>> reserve(size_t want);
  void commit(size_t count) { size_ += count; }
  Status append(std::string_view bytes);

  std::string_view view() const { return {data_ == nullptr ? "" : data_, size_}; }
  size_t size() const { return size_; }
  bool full() const { return size_ == max_size_; }
  bool lock_failed() const { return lock_failed_; }
  int lock_errno() const { return lock_errno_; }

  // Wipes, unlocks and unmaps.
  void release();

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;  // mapped bytes, a multiple of the page size
  size_t max_size_;
  bool lock_failed_ = false;
  int lock_errno_ = 0;
};

}  // namespace mandos::agent
