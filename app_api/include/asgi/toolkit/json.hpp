#pragma once
// JSON requests and responses with nlohmann::json (Debian's nlohmann-json3-dev):
//
//   nlohmann::json note = co_await asgi::toolkit::read_json(receive);     // 400 for bad JSON
//   co_await asgi::toolkit::send_json(send, {{"id", 7}, {"text", note["text"]}}, 201);
//
// A header of its own, apart from asgi/toolkit.hpp: nlohmann's header is large, and only apps
// that speak JSON should pay for compiling it.

#include <boost/asio/awaitable.hpp>
#include <concepts>
#include <cstddef>
#include <nlohmann/json.hpp>

#include "asgi/app.hpp"
#include "asgi/headers.hpp"
#include "asgi/toolkit/http_error.hpp"
#include "asgi/toolkit/response.hpp"

namespace asgi::toolkit {

/// The body parsed as JSON: HttpError(400) naming the problem when it is not JSON, 413 past
/// `limit` bytes.
boost::asio::awaitable<nlohmann::json> read_json(Receive receive, std::size_t limit = 1 << 20);
/// `value` as application/json (UTF-8; invalid UTF-8 in strings is replaced, never an exception).
boost::asio::awaitable<void> send_json(Send send, const nlohmann::json& value, int status = 200,
                                       Headers headers = {});
/// The same for an ordered_json, whose keys print in the order they were added. (A template, so
/// that a braced list still means nlohmann::json.)
template <class OrderedJson>
requires std::same_as<OrderedJson, nlohmann::ordered_json> boost::asio::awaitable<void> send_json(
    Send send, const OrderedJson& value, int status = 200, Headers headers = {}) {
  return send_bytes(std::move(send),
                    value.dump(-1, ' ', false, OrderedJson::error_handler_t::replace),
                    "application/json", status, std::move(headers));
}
/// An HttpError as {"detail": "..."} (FastAPI's shape), for Router::on_error and
/// with_http_errors, so that API clients get JSON for every error.
boost::asio::awaitable<void> send_json_error(Send send, HttpError error);

}  // namespace asgi::toolkit
