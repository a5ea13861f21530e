// Result<T>: a value or an error message, returned instead of thrown across
// module boundaries (and never thrown through a C callback).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace mandos {

struct Error {
  std::string message;
  int code = 0;  // errno or an exit status where the caller needs one
};

// Builds an Error from a message and optional code: `return fail("bad thing")`.
inline Error fail(std::string message, int code = 0) {
  return Error{std::move(message), code};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok() && "value() on a failed Result");
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok() && "value() on a failed Result");
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok() && "value() on a failed Result");
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok() && "error() on a successful Result");
    return std::get<1>(state_);
  }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(failed_ && "error() on a successful Result");
    return error_;
  }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace mandos
