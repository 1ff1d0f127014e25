// `testing`: a deliberately misbehaving ASGI app for the integration tests. Each path exercises
// one error or edge path of the server (exceptions, missing or incomplete responses, invalid
// headers and statuses, Content-Length mismatches, bodies on 204/304, streaming, disconnects,
// trailers, big single-message bodies). It is built into a separate binary, asgiserver_testing,
// never the shipped one.
//
// GCC 12 rules followed throughout: no braced header lists inside co_await (build the message in a
// local first), message types built with their constructors, and no co_await inside a condition
// or && / || expression (assign to a local first).

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "asgi/app.hpp"
#include "asgi/errors.hpp"
#include "asgi/events.hpp"
#include "asgi/headers.hpp"
#include "asgi/registry.hpp"
#include "fixture_support.hpp"

namespace {

namespace net = boost::asio;

using fixtures::query_number;
using fixtures::query_value;
using fixtures::sleep_ms;

void note(const std::string& line) {
  fixtures::note("testing", line);
}

/// A complete text/plain response with a content-length.
net::awaitable<void> send_text(asgi::Send send, int status, std::string body) {
  asgi::Headers headers;
  headers.add("content-type", "text/plain");
  headers.add("content-length", std::to_string(body.size()));
  asgi::HttpResponseStart start(status, std::move(headers));
  co_await send(std::move(start));
  co_await send(asgi::HttpResponseBody(std::move(body), false));
}

/// Start (no content-length: chunked on HTTP/1.1) and one non-final chunk.
net::awaitable<void> start_partial(asgi::Send send) {
  asgi::Headers headers;
  headers.add("content-type", "text/plain");
  asgi::HttpResponseStart start(200, std::move(headers));
  co_await send(std::move(start));
  co_await send(asgi::HttpResponseBody("partial", true));
}

/// Reads the body (logging "body complete (N bytes)" once it is all in), then waits in
/// receive() for what comes next (the client leaving) and returns that event's type.
net::awaitable<std::string> wait_for_disconnect(asgi::Receive receive) {
  std::size_t total = 0;
  for (;;) {
    asgi::Event event = co_await receive();
    auto* chunk = std::get_if<asgi::HttpRequest>(&event);
    if (!chunk) co_return std::string(asgi::type_of(event));  // left in the middle of the body
    total += chunk->body.size();
    if (!chunk->more_body) break;
  }
  note("body complete (" + std::to_string(total) + " bytes)");
  asgi::Event event = co_await receive();
  co_return std::string(asgi::type_of(event));
}

net::awaitable<void> stream(const asgi::Scope& scope, asgi::Send send) {
  long chunks = query_number(scope.query_string, "chunks", 3);
  long delay = query_number(scope.query_string, "delay_ms", 100);
  asgi::Headers headers;
  headers.add("content-type", "text/plain");
  asgi::HttpResponseStart start(200, std::move(headers));
  co_await send(std::move(start));
  long size = query_number(scope.query_string, "size", 0);  // else "chunk-<i>\n"
  for (long i = 0; i < chunks; ++i) {
    if (i > 0 && delay > 0) co_await sleep_ms(delay);
    std::string chunk =
        size > 0 ? std::string(static_cast<std::size_t>(size), static_cast<char>('a' + i % 26))
                 : "chunk-" + std::to_string(i) + "\n";
    co_await send(asgi::HttpResponseBody(std::move(chunk), true));
  }
  co_await send(asgi::HttpResponseBody("", false));
}

net::awaitable<void> read_slowly(const asgi::Scope& scope, asgi::Receive receive, asgi::Send send) {
  long delay = query_number(scope.query_string, "delay_ms", 100);
  std::size_t total = 0;
  for (;;) {
    asgi::Event event = co_await receive();
    auto* chunk = std::get_if<asgi::HttpRequest>(&event);
    if (!chunk) throw asgi::ClientDisconnected();
    total += chunk->body.size();
    if (!chunk->more_body) break;
    co_await sleep_ms(delay);
  }
  co_await send_text(send, 200, std::to_string(total));
}

/// Reads the body, then has a second coroutine wait in receive() while this one sends the complete
/// response. Completing the response must wake that receive() with http.disconnect (the exchange
/// is over), not leave it waiting until the app returns or the client leaves. Logs what the
/// waiting receive() got, or that it was not woken within 3 s of the response.
net::awaitable<void> receive_during_response(asgi::Receive receive, asgi::Send send) {
  for (;;) {
    asgi::Event event = co_await receive();
    auto* chunk = std::get_if<asgi::HttpRequest>(&event);
    if (!chunk) co_return;
    if (!chunk->more_body) break;
  }
  auto executor = co_await net::this_coro::executor;
  auto started = std::make_shared<bool>(false);
  auto got = std::make_shared<std::string>();
  auto woken = std::make_shared<net::steady_timer>(executor, net::steady_timer::time_point::max());
  auto wait = [receive, started, got, woken]() -> net::awaitable<void> {
    *started = true;
    asgi::Event event = co_await receive();
    *got = asgi::type_of(event);
    woken->cancel();
  };
  net::co_spawn(executor, std::move(wait), net::detached);
  // The waiter runs until it blocks inside receive() before this coroutine resumes.
  for (int i = 0; i < 100 && !*started; ++i) co_await sleep_ms(10);
  co_await sleep_ms(50);
  if (!got->empty()) {
    note("receive during the response returned " + *got + " before the response");
    co_return;
  }
  co_await send_text(send, 200, "done");
  if (got->empty()) {
    woken->expires_after(std::chrono::seconds(3));
    co_await woken->async_wait(net::as_tuple(net::use_awaitable));
  }
  if (got->empty()) {
    note("receive during the response was not woken within 3 s");
    co_return;
  }
  note("receive during the response got " + *got);
}

/// A complete response carrying the app's own `connection: <?value=>` header.
net::awaitable<void> connection_header(std::string query, asgi::Send send) {
  asgi::Headers headers;
  headers.add("content-type", "text/plain");
  headers.add("content-length", "3");
  headers.add("connection", query_value(query, "value"));
  asgi::HttpResponseStart start(200, std::move(headers));
  co_await send(std::move(start));
  co_await send(asgi::HttpResponseBody("bye", false));
}

net::awaitable<void> trailers(asgi::Send send) {
  asgi::Headers headers;
  headers.add("content-type", "text/plain");
  headers.add("trailer", "x-checksum");
  asgi::HttpResponseStart start(200, std::move(headers), /*trailers=*/true);
  co_await send(std::move(start));
  co_await send(asgi::HttpResponseBody("data", false));
  asgi::Headers fields;
  fields.add("x-checksum", "abc");
  asgi::HttpResponseTrailers message(std::move(fields));
  co_await send(std::move(message));
}

net::awaitable<void> body_on_bodiless_status(int status, asgi::Send send) {
  asgi::Headers headers;
  headers.add("content-type", "text/plain");
  asgi::HttpResponseStart start(status, std::move(headers));
  co_await send(std::move(start));
  co_await send(asgi::HttpResponseBody("this body must not be sent", false));
}

net::awaitable<void> content_length_mismatch(std::string declared, std::string body,
                                             asgi::Send send) {
  asgi::Headers headers;
  headers.add("content-type", "text/plain");
  headers.add("content-length", declared);
  asgi::HttpResponseStart start(200, std::move(headers));
  co_await send(std::move(start));
  co_await send(asgi::HttpResponseBody(std::move(body), false));
}

/// http.response.pathsend of ?path= (percent-decoding is the test's job: pass plain paths).
/// ?cl=N adds a content-length, ?mode=after-body sends a body chunk first (an error),
/// ?mode=trailers sends the file then one trailer.
net::awaitable<void> pathsend(std::string query, asgi::Send send) {
  std::string path = query_value(query, "path");
  std::string mode = query_value(query, "mode");
  asgi::Headers headers;
  headers.add("content-type", "application/octet-stream");
  if (std::string cl = query_value(query, "cl"); !cl.empty()) headers.add("content-length", cl);
  asgi::HttpResponseStart start(200, std::move(headers), mode == "trailers");
  co_await send(std::move(start));
  if (mode == "after-body") co_await send(asgi::HttpResponseBody("x", true));
  co_await send(asgi::HttpResponsePathsend(path));
  if (mode == "trailers") {
    asgi::Headers trailers;
    trailers.add("x-file", "sent");
    co_await send(asgi::HttpResponseTrailers(std::move(trailers)));
  }
}

/// One body message of ?n= bytes (byte i is i % 251), with a content-length: bigger than the
/// socket buffer, it tests writes that finish asynchronously.
net::awaitable<void> bytes(const asgi::Scope& scope, asgi::Send send) {
  std::string body(static_cast<std::size_t>(query_number(scope.query_string, "n", 0)), '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i % 251);
  co_await send_text(send, 200, std::move(body));
}

net::awaitable<void> testing_app(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  if (scope.type != "http")
    throw std::runtime_error("testing: unsupported scope type " + scope.type);
  const std::string path = scope.path;

  if (path == "/raise-before-start") {
    throw std::runtime_error("testing: raised before start");
  }
  if (path == "/raise-after-start") {
    co_await start_partial(send);
    throw std::runtime_error("testing: raised after start");
  }
  if (path == "/no-response") co_return;
  if (path == "/thread") {  // which event-loop thread serves this connection
    co_await send_text(send, 200,
                       std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id())));
    co_return;
  }
  if (path == "/crash") std::abort();  // a bug in app code that takes its process down
  if (path == "/block") {              // blocks its event loop for ?ms= (what an app must never do)
    std::this_thread::sleep_for(
        std::chrono::milliseconds(query_number(scope.query_string, "ms", 0)));
    co_await send_text(send, 200, "unblocked");
    co_return;
  }
  if (path == "/incomplete") {
    co_await start_partial(send);
    co_return;
  }
  if (path == "/bad-header") {
    asgi::Headers headers;
    headers.add("content-type", "text/plain");
    headers.add("x-injected", "a\r\nSet-Cookie: pwn=1");
    asgi::HttpResponseStart start(200, std::move(headers));
    co_await send(std::move(start));
    co_await send(asgi::HttpResponseBody("bad header", false));
    co_return;
  }
  if (path == "/bad-status") {
    asgi::HttpResponseStart start(1000);
    co_await send(std::move(start));
    co_await send(asgi::HttpResponseBody("bad status", false));
    co_return;
  }
  if (path == "/pathsend") {
    co_await pathsend(scope.query_string, send);
    co_return;
  }
  if (path == "/cl-longer") {
    co_await content_length_mismatch("3", "abcdef", send);
    co_return;
  }
  if (path == "/cl-shorter") {
    co_await content_length_mismatch("10", "abc", send);
    co_return;
  }
  if (path == "/status/204") {
    co_await body_on_bodiless_status(204, send);
    co_return;
  }
  if (path == "/status/304") {
    co_await body_on_bodiless_status(304, send);
    co_return;
  }
  if (path == "/stream") {
    co_await stream(scope, send);
    co_return;
  }
  if (path == "/wait-disconnect") {
    std::string type = co_await wait_for_disconnect(receive);
    note("got " + type);
    co_return;
  }
  if (path == "/after-response") {
    co_await send_text(send, 200, "done");
    asgi::Event event = co_await receive();
    note("after response got " + std::string(asgi::type_of(event)));
    co_return;
  }
  if (path == "/send-after-disconnect") {
    std::string type = co_await wait_for_disconnect(receive);
    note("got " + type);
    asgi::HttpResponseStart start(200);
    try {
      co_await send(std::move(start));
    } catch (const asgi::ClientDisconnected&) {
      note("send raised ClientDisconnected");
      throw;
    }
    note("send did not raise");
    co_return;
  }
  if (path == "/receive-during-response") {
    co_await receive_during_response(receive, send);
    co_return;
  }
  if (path == "/connection-header") {
    co_await connection_header(scope.query_string, send);
    co_return;
  }
  if (path == "/read-slowly") {
    co_await read_slowly(scope, receive, send);
    co_return;
  }
  if (path == "/bytes") {
    co_await bytes(scope, send);
    co_return;
  }
  if (path == "/trailers") {
    co_await trailers(send);
    co_return;
  }
  co_await send_text(send, 404, "Not Found");
}

}  // namespace

ASGI_REGISTER_APP(testing, testing_app);
