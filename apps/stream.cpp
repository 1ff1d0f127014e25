// `stream`: big bodies in both directions, for the streaming benchmarks (tests/bench/).
//
//   GET  /bytes?n=N   ->  200, N bytes of 'x' sent in 64 KiB chunks (content-length: N)
//   POST /upload      ->  200, the number of body bytes received (the bytes themselves are dropped)
//
// Neither direction holds more than one chunk, so serving or receiving 1 GB should need no more
// memory than a small request does: that is what the benchmark checks with the server's peak RSS.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include <boost/asio/awaitable.hpp>

#include "asgi/app.hpp"
#include "asgi/events.hpp"
#include "asgi/registry.hpp"
#include "common/http.hpp"
#include "common/query.hpp"

namespace {

constexpr std::size_t chunk_size = 64 * 1024;

// Coroutines take their arguments by value (house style): they own what they use.
boost::asio::awaitable<void> send_bytes(std::string query_string, asgi::Send send) {
  std::uint64_t n = 0;
  std::optional<std::string> n_param = apps::query_param(query_string, "n");
  try {
    if (n_param) n = std::stoull(*n_param);
  } catch (const std::exception&) {
    n_param.reset();  // not a number: answered below, outside the catch (no co_await in there)
  }
  if (!n_param) {
    co_await apps::send_response(send, 400, "text/plain", "expected ?n=<bytes>\n");
    co_return;
  }

  // With a content-length the server need not chunk-encode, and the client knows the size.
  asgi::HttpResponseStart start(200, {{"content-type", "application/octet-stream"}});
  start.headers.add("content-length", std::to_string(n));
  co_await send(std::move(start));

  // One chunk of 'x' made once; every send gets a copy because send() takes ownership.
  const std::string chunk(chunk_size, 'x');
  while (n > 0) {
    const std::size_t size = static_cast<std::size_t>(std::min<std::uint64_t>(n, chunk_size));
    n -= size;
    std::string piece = size == chunk_size ? chunk : chunk.substr(0, size);
    co_await send(asgi::HttpResponseBody(std::move(piece), /*more_body=*/true));
  }
  co_await send(asgi::HttpResponseBody("", /*more_body=*/false));  // the end of the response
}

boost::asio::awaitable<void> count_upload(asgi::Receive receive, asgi::Send send) {
  // Count the body chunk by chunk and drop each one as soon as it is counted.
  std::uint64_t total = 0;
  for (;;) {
    asgi::Event event = co_await receive();
    auto* chunk = std::get_if<asgi::HttpRequest>(&event);
    if (!chunk) co_return;  // http.disconnect: the client left, nobody to answer
    total += chunk->body.size();
    if (!chunk->more_body) break;
  }
  co_await apps::send_response(send, 200, "text/plain", std::to_string(total) + "\n");
}

boost::asio::awaitable<void> stream_app(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  apps::require_http(scope, "stream");
  const std::string path(apps::route_path(scope));
  if (path == "/bytes" && (scope.method == "GET" || scope.method == "HEAD")) {
    co_await send_bytes(scope.query_string, send);
  } else if (path == "/upload" && (scope.method == "POST" || scope.method == "PUT")) {
    co_await count_upload(receive, send);
  } else {
    co_await apps::send_response(send, 404, "text/plain", "try GET /bytes?n=N or POST /upload\n");
  }
}

}  // namespace

ASGI_REGISTER_APP(stream, stream_app);
