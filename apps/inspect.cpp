// `inspect`: answers with the request's ASGI scope as JSON, to see exactly what the server hands
// an application (handy when comparing with Uvicorn: the keys and values should match).
//
//   curl 'localhost:8000/some/path?x=1'  ->  {"type": "http", "path": "/some/path", ...}
//
// Byte strings (raw_path, query_string, headers) appear as latin-1 strings, since JSON has no
// bytes type: each byte becomes the code point of the same value.

#include <boost/asio/awaitable.hpp>

#include "asgi/app.hpp"
#include "asgi/registry.hpp"
#include "asgi/value.hpp"
#include "common/http.hpp"

namespace {

boost::asio::awaitable<void> inspect_app(asgi::Scope scope, asgi::Receive receive,
                                         asgi::Send send) {
  apps::require_http(scope, "inspect");
  // Read (and drop) the body first: answering before the request is fully received would make
  // the server discard the rest of it, which a curious user might mistake for a bug.
  co_await apps::discard_body(receive);
  co_await apps::send_response(send, 200, "application/json", scope.to_value().to_json());
}

}  // namespace

ASGI_REGISTER_APP(inspect, inspect_app);
