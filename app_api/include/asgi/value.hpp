#pragma once
// A generic ASGI value: what a Python ASGI server would put in a dict. Every scope, event and
// message converts to and from it, so the ASGI documentation applies key for key.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace asgi {

class Value;

/// A byte string (Python `bytes`); a plain std::string in a Value is a Unicode string (`str`).
struct Bytes {
  std::string data;
  bool operator==(const Bytes&) const = default;
};

using List = std::vector<Value>;
using Dict = std::map<std::string, Value, std::less<>>;

/// null | bool | int64 | double | str | bytes | list | dict, as allowed by the ASGI spec.
class Value {
 public:
  using Storage =
      std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, Bytes, List, Dict>;

  Value() : storage_(nullptr) {}
  Value(std::nullptr_t) : storage_(nullptr) {}
  Value(bool b) : storage_(b) {}
  template <class Int>
  requires(std::is_integral_v<Int> && !std::is_same_v<Int, bool>) Value(Int i)
      : storage_(static_cast<std::int64_t>(i)) {}
  Value(double d);  // rejects NaN and infinities, which ASGI forbids
  Value(const char* s) : storage_(std::string(s)) {}
  Value(std::string_view s) : storage_(std::string(s)) {}
  Value(std::string s) : storage_(std::move(s)) {}
  Value(Bytes b) : storage_(std::move(b)) {}
  Value(List l) : storage_(std::move(l)) {}
  Value(Dict d) : storage_(std::move(d)) {}

  template <class T>
  bool is() const {
    return std::holds_alternative<T>(storage_);
  }
  bool is_null() const { return is<std::nullptr_t>(); }

  /// The held alternative; throws asgi::ProtocolError naming `what` when the type differs.
  template <class T>
  const T& as(std::string_view what = "value") const {
    if (const T* p = std::get_if<T>(&storage_)) return *p;
    throw_type_error(what, type_name_of<T>());
  }
  template <class T>
  T& as(std::string_view what = "value") {
    if (T* p = std::get_if<T>(&storage_)) return *p;
    throw_type_error(what, type_name_of<T>());
  }

  /// Dict lookup; nullptr when this is not a dict or the key is absent.
  const Value* find(std::string_view key) const;

  const Storage& storage() const { return storage_; }
  /// The Python name of the held type (`str`, `bytes`, `dict`, ...), for error messages.
  std::string_view type_name() const;
  /// A JSON rendering for logs and debugging; bytes appear as latin-1 strings.
  std::string to_json() const;

  bool operator==(const Value&) const = default;

 private:
  template <class T>
  static constexpr std::string_view type_name_of() {
    if constexpr (std::is_same_v<T, std::nullptr_t>) return "None";
    if constexpr (std::is_same_v<T, bool>) return "bool";
    if constexpr (std::is_same_v<T, std::int64_t>) return "int";
    if constexpr (std::is_same_v<T, double>) return "float";
    if constexpr (std::is_same_v<T, std::string>) return "str";
    if constexpr (std::is_same_v<T, Bytes>) return "bytes";
    if constexpr (std::is_same_v<T, List>) return "list";
    if constexpr (std::is_same_v<T, Dict>) return "dict";
  }
  [[noreturn]] void throw_type_error(std::string_view what, std::string_view expected) const;

  Storage storage_;
};

}  // namespace asgi
