#pragma once
// The toolkit for writing apps on the app API (namespace asgi::toolkit): reading requests,
// sending responses, cookies, and HTTP errors that become responses.
//
//   boost::asio::awaitable<void> notes(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
//     namespace kit = asgi::toolkit;
//     std::string text = co_await kit::read_body(receive, 16 * 1024);   // 413 past 16 KiB
//     if (text.empty()) throw kit::HttpError(400, "a note needs text");
//     co_await kit::send_text(send, "stored", 201);
//   }
//   ASGI_REGISTER_APP(notes, asgi::toolkit::with_http_errors(notes));

#include "asgi/toolkit/concurrency.hpp"
#include "asgi/toolkit/http_error.hpp"
#include "asgi/toolkit/middleware.hpp"
#include "asgi/toolkit/request.hpp"
#include "asgi/toolkit/response.hpp"
#include "asgi/toolkit/router.hpp"
#include "asgi/toolkit/websocket.hpp"
