// Lifespan fixtures for the integration tests (test_lifespan.py, test_shutdown.py). Each behaviour
// is its own app because the lifespan scope has no path to route on.

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <variant>

#include "asgi/asgi.hpp"

namespace {

using boost::asio::awaitable;

awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, duration);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

awaitable<void> respond(asgi::Send& send, std::string body) {
  asgi::HttpResponseStart start(200);
  start.headers.add("content-type", "application/json");
  co_await send(std::move(start));
  co_await send(asgi::HttpResponseBody(std::move(body)));
}

// Startup puts a value and a shared counter into state; every request sees both (a shallow copy:
// the counter object is shared, so its count grows across requests).
struct Counter {
  int count = 0;
};

awaitable<void> lifespan_state(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  if (scope.type == "lifespan") {
    co_await receive();  // lifespan.startup
    scope.state.set("answer", std::make_shared<asgi::Value>(42));
    scope.state.set("counter", std::make_shared<Counter>());
    co_await send(asgi::LifespanStartupComplete());
    co_await receive();  // lifespan.shutdown
    std::fprintf(stderr, "lifespan_state: shutdown received\n");
    co_await send(asgi::LifespanShutdownComplete());
    co_return;
  }
  if (scope.type != "http") throw std::runtime_error("http only");
  auto answer = scope.state.get<asgi::Value>("answer");
  auto counter = scope.state.get<Counter>("counter");
  std::string body = "{\"answer\": " + (answer ? answer->to_json() : std::string("null")) +
                     ", \"count\": " + (counter ? std::to_string(++counter->count) : "null") + "}";
  // Rebinding a key in this request's copy must not leak into the next request's state.
  scope.state.set("answer", std::make_shared<asgi::Value>(-1));
  co_await respond(send, std::move(body));
}

awaitable<void> lifespan_failed(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  if (scope.type == "lifespan") {
    co_await receive();
    co_await send(asgi::LifespanStartupFailed("boom: the crab database is unreachable"));
    co_return;
  }
  co_await respond(send, "{}");
}

awaitable<void> lifespan_raises(asgi::Scope scope, asgi::Receive, asgi::Send send) {
  if (scope.type == "lifespan") throw std::runtime_error("lifespan is not for me");
  co_await respond(send, "{\"served\": true}");
}

awaitable<void> lifespan_hangs(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  if (scope.type == "lifespan") {
    co_await receive();
    co_await sleep_for(std::chrono::hours(1));  // never answers lifespan.startup
    co_return;
  }
  co_await respond(send, "{}");
}

awaitable<void> lifespan_slow_startup(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  if (scope.type == "lifespan") {
    co_await receive();
    co_await sleep_for(std::chrono::seconds(1));
    co_await send(asgi::LifespanStartupComplete());
    co_await receive();
    co_await send(asgi::LifespanShutdownComplete());
    co_return;
  }
  co_await respond(send, "{}");
}

awaitable<void> lifespan_slow_shutdown(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  if (scope.type == "lifespan") {
    co_await receive();
    co_await send(asgi::LifespanStartupComplete());
    co_await receive();
    co_await sleep_for(std::chrono::hours(1));  // never answers lifespan.shutdown
    co_return;
  }
  co_await respond(send, "{}");
}

}  // namespace

ASGI_REGISTER_APP(lifespan_state, lifespan_state);
ASGI_REGISTER_APP(lifespan_failed, lifespan_failed);
ASGI_REGISTER_APP(lifespan_raises, lifespan_raises);
ASGI_REGISTER_APP(lifespan_hangs, lifespan_hangs);
ASGI_REGISTER_APP(lifespan_slow_startup, lifespan_slow_startup);
ASGI_REGISTER_APP(lifespan_slow_shutdown, lifespan_slow_shutdown);
