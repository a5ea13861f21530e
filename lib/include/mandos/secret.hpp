// SecretBytes: a byte buffer for passwords and keys that is wiped when it is
// freed or reassigned, so secrets do not linger in freed heap memory.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace mandos {

// Overwrites memory in a way the compiler may not elide.
inline void secure_wipe(void* data, size_t size) {
  if (data != nullptr && size > 0) explicit_bzero(data, size);
}

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::string_view bytes) : data_(bytes.begin(), bytes.end()) {}
  SecretBytes(const void* data, size_t size)
      : data_(static_cast<const char*>(data), static_cast<const char*>(data) + size) {}
  ~SecretBytes() { clear(); }
  SecretBytes(const SecretBytes& other) : data_(other.data_) {}
  SecretBytes& operator=(const SecretBytes& other) {
    if (this != &other) {
      clear();
      data_ = other.data_;
    }
    return *this;
  }
  SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) {}
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      clear();
      data_ = std::move(other.data_);
    }
    return *this;
  }

  const char* data() const { return data_.data(); }
  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  std::string_view view() const { return {data_.data(), data_.size()}; }
  // Grows geometrically; a reallocation copies into a fresh buffer and wipes
  // the old one, so no stale copy of the secret is left in freed memory.
  void append(const void* data, size_t size) {
    if (data_.size() + size > data_.capacity()) {
      std::vector<char> grown;
      grown.reserve(std::max(data_.size() + size, data_.capacity() * 2));
      grown.insert(grown.end(), data_.begin(), data_.end());
      clear();
      data_ = std::move(grown);
    }
    data_.insert(data_.end(), static_cast<const char*>(data),
                 static_cast<const char*>(data) + size);
  }
  void append(std::string_view bytes) { append(bytes.data(), bytes.size()); }
  // Drops the first count bytes (e.g. a consumed frame), wiping the tail
  // that the move leaves behind.
  void erase_front(size_t count) {
    count = std::min(count, data_.size());
    data_.erase(data_.begin(), data_.begin() + static_cast<std::ptrdiff_t>(count));
    secure_wipe(data_.data() + data_.size(), count);
  }
  void clear() {
    secure_wipe(data_.data(), data_.capacity());
    data_.clear();
  }
  bool operator==(const SecretBytes& other) const { return data_ == other.data_; }

 private:
  std::vector<char> data_;
};

}  // namespace mandos
