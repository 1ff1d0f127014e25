#pragma once
// The IMF-fixdate for the Date header ("Sun, 06 Nov 1994 08:49:37 GMT", RFC 9110 §5.6.7),
// cached per thread and re-rendered at most once a second.

#include <ctime>
#include <string>
#include <string_view>

namespace asgi::protocol {

/// Renders `t` as an IMF-fixdate.
std::string format_http_date(std::time_t t);

/// The current date string; valid until the next call on this thread.
std::string_view cached_http_date();

/// The same, with the second it shows: a cheap key for caching what is rendered from it.
struct CachedHttpDate {
  std::string_view text;
  std::time_t second;
};
CachedHttpDate cached_http_date_and_second();

}  // namespace asgi::protocol
