#pragma once
// Sending a response in one call: text, HTML, bytes of any type, a redirect, an empty response,
// an error; cookies for any of them; and with_http_errors, which turns an HttpError the app raises
// into its response.
//
//   co_await asgi::toolkit::send_text(send, "hello");
//   asgi::Headers headers;
//   asgi::toolkit::set_cookie(headers, {.name = "session", .value = id, .max_age = 3600});
//   co_await asgi::toolkit::send_redirect(send, "/notes/7", 303, std::move(headers));
//
// Each sends http.response.start with content-type and content-length, then the whole body.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "asgi/app.hpp"
#include "asgi/headers.hpp"
#include "asgi/toolkit/http_error.hpp"

namespace asgi::toolkit {

/// `body` with `content_type`, `status` and extra `headers`.
boost::asio::awaitable<void> send_bytes(Send send, std::string body, std::string content_type,
                                        int status = 200, Headers headers = {});
/// text/plain; charset=utf-8.
boost::asio::awaitable<void> send_text(Send send, std::string body, int status = 200,
                                       Headers headers = {});
/// text/html; charset=utf-8.
boost::asio::awaitable<void> send_html(Send send, std::string body, int status = 200,
                                       Headers headers = {});
/// A redirect to `location` (307 keeps the method; 303 turns a POST into a GET; 301 and 308 are
/// permanent) with an empty body.
boost::asio::awaitable<void> send_redirect(Send send, std::string location, int status = 307,
                                           Headers headers = {});
/// No body: 204 by default.
boost::asio::awaitable<void> send_empty(Send send, int status = 204, Headers headers = {});
/// The response an HttpError stands for.
boost::asio::awaitable<void> send_error(Send send, HttpError error);

/// A cookie for set_cookie (RFC 6265 section 4.1). Designated initializers name what differs from
/// the defaults, which are the safe ones: HttpOnly, SameSite=Lax, Path=/.
struct Cookie {
  std::string name;
  std::string value;
  std::optional<std::chrono::seconds> max_age;  ///< none: a session cookie
  std::string path = "/";
  std::string domain;  ///< empty: this host only
  bool secure = false;
  bool http_only = true;
  std::string same_site = "Lax";  ///< "Strict", "Lax", "None" (needs secure) or "" to leave out
};
/// The set-cookie header value. std::invalid_argument for a name or value the RFC does not allow
/// (a name must be a token; a value may not hold controls, blanks, '"', ',', ';' or '\').
std::string set_cookie_value(const Cookie& cookie);
/// Adds the set-cookie header for `cookie` to `headers`.
void set_cookie(Headers& headers, const Cookie& cookie);
/// Adds a set-cookie header that deletes cookie `name` (Max-Age=0) on `path`.
void delete_cookie(Headers& headers, std::string_view name, std::string_view path = "/");

/// How an HttpError becomes a response: send_error (text/plain) unless told otherwise, for
/// example send_json_error ({"detail": ...}, FastAPI's shape) from asgi/toolkit/json.hpp.
using ErrorRenderer = std::function<boost::asio::awaitable<void>(Send, HttpError)>;

/// `app`, with an HttpError it raises before its response started turned into that response
/// (by `render`, send_error when empty); after the start it escapes as any exception would.
App with_http_errors(App app, ErrorRenderer render = {});

}  // namespace asgi::toolkit
