#include "common/http.hpp"

#include <stdexcept>
#include <variant>

#include "asgi/errors.hpp"
#include "asgi/events.hpp"

namespace apps {

void require_http(const asgi::Scope& scope, std::string_view app_name) {
  if (scope.type == "http") return;
  if (scope.type == "lifespan")
    throw std::runtime_error(std::string(app_name) + ": lifespan unsupported");
  throw std::runtime_error(std::string(app_name) + ": unsupported scope type '" + scope.type + "'");
}

std::string_view route_path(const asgi::Scope& scope) {
  std::string_view path = scope.path;
  const std::string& root = scope.root_path;
  // Only strip a whole segment: root "/api" must not turn "/apiary" into "ry".
  if (!root.empty() && path.starts_with(root) &&
      (path.size() == root.size() || path[root.size()] == '/')) {
    path.remove_prefix(root.size());
  }
  return path.empty() ? std::string_view("/") : path;
}

namespace {
// One step of a body loop: the next http.request event. http.disconnect means the client left.
boost::asio::awaitable<asgi::HttpRequest> next_chunk(const asgi::Receive& receive) {
  asgi::Event event = co_await receive();
  if (auto* request = std::get_if<asgi::HttpRequest>(&event)) co_return std::move(*request);
  if (std::holds_alternative<asgi::HttpDisconnect>(event)) throw asgi::ClientDisconnected();
  throw asgi::ProtocolError("unexpected event '" + std::string(asgi::type_of(event)) +
                            "' in an HTTP request");
}
}  // namespace

boost::asio::awaitable<std::optional<std::string>> read_body(asgi::Receive receive,
                                                             std::size_t limit) {
  std::string body;
  for (;;) {
    asgi::HttpRequest chunk = co_await next_chunk(receive);
    if (chunk.body.size() > limit - body.size()) co_return std::nullopt;
    // The first chunk is often the whole body: take it without copying.
    if (body.empty())
      body = std::move(chunk.body);
    else
      body += chunk.body;
    if (!chunk.more_body) co_return body;
  }
}

boost::asio::awaitable<void> discard_body(asgi::Receive receive) {
  for (;;) {
    asgi::HttpRequest chunk = co_await next_chunk(receive);
    if (!chunk.more_body) co_return;
  }
}

boost::asio::awaitable<void> send_response(asgi::Send send, int status, std::string content_type,
                                           std::string body, asgi::Headers headers) {
  // content-length lets the server frame the response without chunked encoding.
  headers.add("content-type", content_type);
  headers.add("content-length", std::to_string(body.size()));
  co_await send(asgi::HttpResponseStart(status, std::move(headers)));
  co_await send(asgi::HttpResponseBody(std::move(body), /*more_body=*/false));
}

std::string media_type(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  std::string lowered;
  for (char c : type) {
    if (c == ' ' || c == '\t') continue;
    lowered += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return lowered;
}

}  // namespace apps
