// SecretBytes: a byte buffer for passwords and keys that is wiped when it is
// freed or reassigned, so secrets do not linger in freed heap memory.
#pragma once

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
  void append(const void* data, size_t size) {
    // Grow by copying into a fresh buffer so no stale copy is left behind.
    std::vector<char> grown;
    grown.reserve(data_.size() + size);
    grown.insert(grown.end(), data_.begin(), data_.end());
    grown.insert(grown.end(), static_cast<const char*>(data),
                 static_cast<const char*>(data) + size);
    clear();
    data_ = std::move(grown);
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
