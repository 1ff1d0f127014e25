#pragma once
// Response helpers for crab_app: every answer is JSON (or the one HTML page), and every error
// has FastAPI's shape, {"detail": "..."}, so clients can handle them all the same way.

#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "asgi/app.hpp"
#include "asgi/headers.hpp"
#include "common/http.hpp"

namespace apps::crab {

/// ordered_json keeps keys in insertion order, so a crab prints as {"id": .., "name": .., ...}
/// rather than alphabetically.
using Json = nlohmann::ordered_json;

// Coroutine parameters are taken by value: the coroutine may run after the caller's temporaries
// are gone, so it must own what it uses.
inline boost::asio::awaitable<void> send_json(asgi::Send send, int status, Json body,
                                              asgi::Headers headers = {}) {
  // dump() throws on invalid UTF-8. Strings that came through Json::parse are valid already;
  // `replace` (substitute U+FFFD) just guarantees no exception half-way through a response.
  std::string text = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  co_await send_response(std::move(send), status, "application/json", std::move(text),
                         std::move(headers));
}

inline boost::asio::awaitable<void> send_error(asgi::Send send, int status, std::string detail,
                                               asgi::Headers headers = {}) {
  Json body = {{"detail", std::move(detail)}};  // not inline in the co_await: see hello.cpp
  co_await send_json(std::move(send), status, std::move(body), std::move(headers));
}

inline boost::asio::awaitable<void> send_html(asgi::Send send, std::string html) {
  co_await send_response(std::move(send), 200, "text/html; charset=utf-8", std::move(html));
}

}  // namespace apps::crab
