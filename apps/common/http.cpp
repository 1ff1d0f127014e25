#include "common/http.hpp"

#include <stdexcept>
#include <variant>

#include "asgi/errors.hpp"
#include "asgi/events.hpp"
#include "asgi/toolkit/request.hpp"

namespace apps {

void require_http(const asgi::Scope& scope, std::string_view app_name) {
  if (scope.type == "http") return;
  if (scope.type == "lifespan")
    throw std::runtime_error(std::string(app_name) + ": lifespan unsupported");
  throw std::runtime_error(std::string(app_name) + ": unsupported scope type '" + scope.type + "'");
}

std::string_view route_path(const asgi::Scope& scope) {
  return asgi::toolkit::route_path(scope);
}

boost::asio::awaitable<std::optional<std::string>> read_body(asgi::Receive receive,
                                                             std::size_t limit) {
  return asgi::toolkit::read_body_up_to(std::move(receive), limit);
}

boost::asio::awaitable<void> discard_body(asgi::Receive receive) {
  return asgi::toolkit::discard_body(std::move(receive));
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
  return asgi::toolkit::media_type(content_type);
}

}  // namespace apps
