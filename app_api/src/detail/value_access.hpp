#pragma once
// Helpers shared by the dict conversions of scopes, events and messages.

#include <string>
#include <string_view>

#include "asgi/errors.hpp"
#include "asgi/headers.hpp"
#include "asgi/value.hpp"

namespace asgi::detail {

/// A key that ASGI allows to be absent; an explicit None counts as absent.
inline const Value* optional_key(const Value& dict, std::string_view key) {
  const Value* v = dict.find(key);
  return (v && !v->is_null()) ? v : nullptr;
}

inline const Value& required_key(const Value& dict, std::string_view key) {
  const Value* v = dict.find(key);
  if (!v) throw ProtocolError("missing required key '" + std::string(key) + "'");
  return *v;
}

inline Value headers_to_value(const Headers& headers) {
  List list;
  list.reserve(headers.size());
  for (auto [name, value] : headers)
    list.push_back(List{Bytes{std::string(name)}, Bytes{std::string(value)}});
  return list;
}

inline Headers headers_from_value(const Value& value, std::string_view what) {
  Headers headers;
  for (const Value& pair : value.as<List>(what)) {
    const List& items = pair.as<List>(what);
    if (items.size() != 2)
      throw ProtocolError(std::string(what) + " items must be [name, value] pairs");
    headers.add(items[0].as<Bytes>(std::string(what) + " name").data,
                items[1].as<Bytes>(std::string(what) + " value").data);
  }
  return headers;
}

}  // namespace asgi::detail
