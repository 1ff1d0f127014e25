// GET /slow and GET /compute: the two ways a handler can take a long time without stalling the
// server; GET /block: the way that stalls it, as a demonstration of what not to do. The event
// loop thread serves many connections at once; anything that blocks it (a sleep, a long
// computation) blocks all of them.
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
#include <thread>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "asgi/blocking.hpp"
#include "asgi/toolkit.hpp"
#include "asgi/toolkit/json.hpp"
#include "crab_app/handlers.hpp"
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

boost::asio::awaitable<void> slow(asgi::toolkit::Request request) {
  double seconds = 1.0;
  if (std::optional<std::string> text = asgi::toolkit::query_param(request.scope, "seconds")) {
    std::optional<double> parsed = parse_number<double>(*text);
    if (!parsed || !std::isfinite(*parsed))  // from_chars accepts "nan" and "inf"
      throw asgi::toolkit::HttpError(422, "seconds must be a number");
    seconds = std::clamp(*parsed, 0.0, 30.0);
  }

  // The timer runs on this coroutine's executor, i.e. the event loop serving this connection.
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  timer.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(seconds)));
  co_await timer.async_wait(boost::asio::use_awaitable);

  co_await asgi::toolkit::send_json(request.send, Json{{"slept", seconds}});
}

// What not to do: std::this_thread::sleep_for holds the event loop's thread, so every other
// connection on it waits too. The server's event-loop watchdog (--loop-lag-warn) names this
// request in a warning; compare GET /slow, which waits as long and stalls nobody.
boost::asio::awaitable<void> block(asgi::toolkit::Request request) {
  double seconds = 1.0;
  if (std::optional<std::string> text = asgi::toolkit::query_param(request.scope, "seconds")) {
    std::optional<double> parsed = parse_number<double>(*text);
    if (!parsed || !std::isfinite(*parsed))
      throw asgi::toolkit::HttpError(422, "seconds must be a number");
    seconds = std::clamp(*parsed, 0.0, 10.0);
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // blocks the loop
  co_await asgi::toolkit::send_json(request.send, Json{{"blocked", seconds}});
}

boost::asio::awaitable<void> compute(asgi::toolkit::Request request) {
  int digits = 1000;
  if (std::optional<std::string> text = asgi::toolkit::query_param(request.scope, "digits")) {
    std::optional<int> parsed = parse_number<int>(*text);
    if (!parsed) throw asgi::toolkit::HttpError(422, "digits must be an integer");
    digits = std::clamp(*parsed, 1, 20000);
  }
  // pi_digits is plain blocking code; run_blocking moves it off the event loop.
  std::string pi = co_await asgi::run_blocking([digits] { return pi_digits(digits); });
  co_await asgi::toolkit::send_json(request.send, Json{{"digits", digits}, {"pi", std::move(pi)}});
}

}  // namespace apps::crab
