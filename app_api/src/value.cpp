#include "asgi/value.hpp"

#include <cmath>
#include <cstdio>

#include "asgi/errors.hpp"

namespace asgi {

Value::Value(double d) : storage_(d) {
  if (!std::isfinite(d)) throw ProtocolError("ASGI values cannot be NaN or infinite");
}

const Value* Value::find(std::string_view key) const {
  const Dict* dict = std::get_if<Dict>(&storage_);
  if (!dict) return nullptr;
  auto it = dict->find(key);
  return it == dict->end() ? nullptr : &it->second;
}

std::string_view Value::type_name() const {
  return std::visit([](const auto& v) { return type_name_of<std::decay_t<decltype(v)>>(); },
                    storage_);
}

void Value::throw_type_error(std::string_view what, std::string_view expected) const {
  throw ProtocolError(std::string(what) + " must be " + std::string(expected) + ", not " +
                      std::string(type_name()));
}

namespace {

void append_json_string(std::string& out, std::string_view s, bool latin1) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f || (latin1 && c >= 0x80)) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void append_json(std::string& out, const Value& value) {
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
          out += "null";
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          out += std::to_string(v);
        } else if constexpr (std::is_same_v<T, double>) {
          char buf[32];
          std::snprintf(buf, sizeof buf, "%.17g", v);
          out += buf;
        } else if constexpr (std::is_same_v<T, std::string>) {
          append_json_string(out, v, false);
        } else if constexpr (std::is_same_v<T, Bytes>) {
          append_json_string(out, v.data, true);
        } else if constexpr (std::is_same_v<T, List>) {
          out += '[';
          for (std::size_t i = 0; i < v.size(); ++i) {
            if (i) out += ", ";
            append_json(out, v[i]);
          }
          out += ']';
        } else {
          out += '{';
          bool first = true;
          for (const auto& [key, item] : v) {
            if (!first) out += ", ";
            first = false;
            append_json_string(out, key, false);
            out += ": ";
            append_json(out, item);
          }
          out += '}';
        }
      },
      value.storage());
}

}  // namespace

std::string Value::to_json() const {
  std::string out;
  append_json(out, *this);
  return out;
}

}  // namespace asgi
