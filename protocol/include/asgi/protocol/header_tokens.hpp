#pragma once
// Comma-separated header values (RFC 9110 §5.6.1: `Connection: keep-alive, Upgrade`), read
// without allocating: optional whitespace around elements, empty elements skipped, tokens compared
// case-insensitively.

#include <string_view>

#include "asgi/headers.hpp"

namespace asgi::protocol {

/// `s` without leading and trailing spaces and tabs.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Calls `visit` with each non-empty element of the list `value`.
template <class Visit>
void for_each_token(std::string_view value, Visit visit) {
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    std::string_view token = trim(value.substr(0, comma));
    if (!token.empty()) visit(token);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

/// True when the list `value` contains `token` (in any letter case).
inline bool has_token(std::string_view value, std::string_view token) {
  bool found = false;
  for_each_token(value, [&](std::string_view t) { found = found || iequals(t, token); });
  return found;
}

}  // namespace asgi::protocol
