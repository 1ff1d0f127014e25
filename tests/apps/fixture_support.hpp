#pragma once
// Small helpers the test fixture apps share.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

namespace fixtures {

/// The value of `name` in a query string (no percent-decoding: the tests send plain tokens).
inline std::string query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    std::size_t eq = item.find('=');
    if (item.substr(0, eq) == name)
      return eq == std::string_view::npos ? std::string() : std::string(item.substr(eq + 1));
  }
  return {};
}

inline long query_number(std::string_view query, std::string_view name, long fallback) {
  std::string text = query_value(query, name);
  if (text.empty()) return fallback;
  return std::strtol(text.c_str(), nullptr, 10);
}

/// One line on stderr, flushed at once so a test can wait for it.
inline void note(std::string_view app, const std::string& line) {
  std::cerr << app << ": " << line << std::endl;
}

inline boost::asio::awaitable<void> sleep_ms(long ms) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  timer.expires_after(std::chrono::milliseconds(ms));
  co_await timer.async_wait(boost::asio::use_awaitable);
}

}  // namespace fixtures
