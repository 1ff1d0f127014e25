#pragma once
// JSON requests and responses with nlohmann::json (Debian's nlohmann-json3-dev):
//
//   nlohmann::json note = co_await asgi::toolkit::read_json(receive);     // 400 for bad JSON
//   co_await asgi::toolkit::send_json(send, {{"id", 7}, {"text", note["text"]}}, 201);
//
// A header of its own, apart from asgi/toolkit.hpp: nlohmann's header is large, and only apps
// that speak JSON should pay for compiling it.

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <nlohmann/json.hpp>

#include "asgi/app.hpp"
#include "asgi/headers.hpp"

namespace asgi::toolkit {

/// The body parsed as JSON: HttpError(400) naming the problem when it is not JSON, 413 past
/// `limit` bytes.
boost::asio::awaitable<nlohmann::json> read_json(Receive receive, std::size_t limit = 1 << 20);
/// `value` as application/json (UTF-8; invalid UTF-8 in strings is replaced, never an exception).
boost::asio::awaitable<void> send_json(Send send, nlohmann::json value, int status = 200,
                                       Headers headers = {});

}  // namespace asgi::toolkit
