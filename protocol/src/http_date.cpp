#include "asgi/protocol/http_date.hpp"

#include <cstdio>

namespace asgi::protocol {

std::string format_http_date(std::time_t t) {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
                        tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                        tm.tm_sec);
  return std::string(buf, static_cast<std::size_t>(n));
}

CachedHttpDate cached_http_date_and_second() {
  // One string per event-loop thread; the coarse clock costs a few nanoseconds per response.
  thread_local std::time_t rendered_second = -1;
  thread_local std::string rendered;
  timespec now{};
  clock_gettime(CLOCK_REALTIME_COARSE, &now);
  if (now.tv_sec != rendered_second) {
    rendered_second = now.tv_sec;
    rendered = format_http_date(now.tv_sec);
  }
  return {rendered, rendered_second};
}

std::string_view cached_http_date() {
  return cached_http_date_and_second().text;
}

}  // namespace asgi::protocol
