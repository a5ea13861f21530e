// A growable byte buffer for plugin output (a password), wiped whenever
// memory is released and bounded by a fixed maximum size.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

#include "mandos/secret.hpp"

namespace mandos::runner {

class OutputBuffer {
 public:
  explicit OutputBuffer(size_t max_size) : max_size_(max_size) {}
  ~OutputBuffer() { reset(); }
  OutputBuffer(OutputBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)),
        max_size_(other.max_size_) {}
  OutputBuffer& operator=(OutputBuffer&&) = delete;
  OutputBuffer(const OutputBuffer&) = delete;
  OutputBuffer& operator=(const OutputBuffer&) = delete;

  // Room for at least want more bytes (fewer if that would pass the maximum);
  // returns the writable space, empty when the buffer is full.
  std::pair<char*, size_t> reserve(size_t want) {
    if (size_ == max_size_) return {nullptr, 0};
    want = std::min(want, max_size_ - size_);
    if (capacity_ - size_ < want) grow(size_ + want);
    return {data_ + size_, want};
  }
  void commit(size_t count) { size_ += count; }
  bool full() const { return size_ == max_size_; }

  std::string_view view() const { return {data_ == nullptr ? "" : data_, size_}; }
  size_t size() const { return size_; }

  void reset() {
    secure_wipe(data_, capacity_);
    std::free(data_);
    data_ = nullptr;
    size_ = capacity_ = 0;
  }

 private:
  // Copies into a new block and wipes the old one, so no stale copy of the
  // secret is left in freed memory (realloc() could leave one).
  void grow(size_t needed) {
    size_t capacity = std::max<size_t>(capacity_ * 2, 4096);
    while (capacity < needed) capacity *= 2;
    capacity = std::min(capacity, std::max(needed, max_size_));
    auto* fresh = static_cast<char*>(std::malloc(capacity));
    if (fresh == nullptr) throw std::bad_alloc();
    if (size_ > 0) std::memcpy(fresh, data_, size_);
    secure_wipe(data_, capacity_);
    std::free(data_);
    data_ = fresh;
    capacity_ = capacity;
  }

  char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  size_t max_size_;
};

}  // namespace mandos::runner
