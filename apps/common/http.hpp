#pragma once
// Small helpers that several example apps share. They use nothing but the public app API, so each
// one also shows how an application talks ASGI: receive() events in, send() messages out.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "asgi/app.hpp"
#include "asgi/headers.hpp"
#include "asgi/scope.hpp"

namespace apps {

/// ASGI rule: an app must raise for a scope type it does not understand, so the server knows
/// (for "lifespan", a server in "auto" mode then carries on without lifespan events).
/// Returns normally only for "http".
void require_http(const asgi::Scope& scope, std::string_view app_name);

/// The path to route on: `path` without the `root_path` prefix the app is mounted under.
std::string_view route_path(const asgi::Scope& scope);

/// Reads the whole request body, joining the `http.request` chunks. Returns nullopt as soon as the
/// body exceeds `limit` bytes (the rest is left unread; the server deals with it).
/// @throws asgi::ClientDisconnected if the client leaves first: the response would go nowhere, and
/// the server silently swallows that exception.
boost::asio::awaitable<std::optional<std::string>> read_body(asgi::Receive receive,
                                                             std::size_t limit);

/// Reads and drops the request body, chunk by chunk, without keeping it in memory.
/// @throws asgi::ClientDisconnected as read_body().
boost::asio::awaitable<void> discard_body(asgi::Receive receive);

/// Sends a complete response: `http.response.start` (with content-type and content-length added
/// to `headers`) and then the whole body in one `http.response.body`.
/// Like every coroutine here it takes its arguments by value: a coroutine may run after the
/// caller's temporaries are gone, so it must own what it uses.
boost::asio::awaitable<void> send_response(asgi::Send send, int status, std::string content_type,
                                           std::string body, asgi::Headers headers = {});

/// The media type of a content-type value, lowercased, without parameters or blanks:
/// "Application/JSON; charset=utf-8" -> "application/json".
std::string media_type(std::string_view content_type);

}  // namespace apps
