// GET /slow and GET /compute: the two ways a handler can take a long time without stalling the
// server. The event loop thread serves many connections at once; anything that blocks it (a
// sleep, a long computation) blocks all of them.
//
//  * Waiting: co_await an asynchronous timer. The coroutine is suspended, the thread goes back to
//    serving others, and the timer resumes us later. (std::this_thread::sleep_for would block.)
//  * Computing: hand the work to the blocking thread pool with asgi::run_blocking and co_await
//    the result. The loop keeps serving meanwhile; we resume on our own executor afterwards.

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <string_view>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "asgi/blocking.hpp"
#include "common/query.hpp"
#include "crab_app/handlers.hpp"
#include "crab_app/json_response.hpp"
#include "crab_app/pi_digits.hpp"

namespace apps::crab {

namespace {

/// The whole of `text` as a number, or nullopt ("1.5x", "", out of range).
template <class Number>
std::optional<Number> parse_number(std::string_view text) {
  Number value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

boost::asio::awaitable<void> slow(std::string query_string, asgi::Send send) {
  double seconds = 1.0;
  if (std::optional<std::string> text = query_param(query_string, "seconds")) {
    std::optional<double> parsed = parse_number<double>(*text);
    if (!parsed || !std::isfinite(*parsed)) {  // from_chars accepts "nan" and "inf"
      co_await send_error(send, 422, "seconds must be a number");
      co_return;
    }
    seconds = std::clamp(*parsed, 0.0, 30.0);
  }

  // The timer runs on this coroutine's executor, i.e. the event loop serving this connection.
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(seconds)));
  co_await timer.async_wait(boost::asio::use_awaitable);

  Json body = {{"slept", seconds}};  // not inline in the co_await: see hello.cpp
  co_await send_json(send, 200, std::move(body));
}

boost::asio::awaitable<void> compute(std::string query_string, asgi::Send send) {
  int digits = 1000;
  if (std::optional<std::string> text = query_param(query_string, "digits")) {
    std::optional<int> parsed = parse_number<int>(*text);
    if (!parsed) {
      co_await send_error(send, 422, "digits must be an integer");
      co_return;
    }
    digits = std::clamp(*parsed, 1, 20000);
  }

  // pi_digits is plain blocking code; run_blocking moves it off the event loop. (The lambda is
  // named rather than written inside the co_await: GCC 12 can double-free captures there.)
  auto work = [digits] { return pi_digits(digits); };
  std::string pi = co_await asgi::run_blocking(std::move(work));

  Json body = {{"digits", digits}, {"pi", std::move(pi)}};
  co_await send_json(send, 200, std::move(body));
}

}  // namespace apps::crab
