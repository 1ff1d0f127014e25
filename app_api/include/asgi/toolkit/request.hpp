#pragma once
// Reading a request: its body (bounded), headers, query parameters, cookies and form fields.
//
//   std::string body = co_await asgi::toolkit::read_body(receive, 64 * 1024);   // 413 past it
//   auto limit = asgi::toolkit::query_param(scope, "limit").value_or("10");
//   auto session = asgi::toolkit::cookies(scope).get("session");
//
// Functions that take the scope read it only while they run; coroutines take their arguments by
// value (a coroutine may run after the caller's temporaries are gone).

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "asgi/app.hpp"
#include "asgi/scope.hpp"

namespace asgi::toolkit {

/// Name and value pairs in the order they came, decoded, names repeated as they were.
class Fields {
 public:
  Fields() = default;
  explicit Fields(std::vector<std::pair<std::string, std::string>> items)
      : items_(std::move(items)) {}
  /// The first value of `name`.
  std::optional<std::string> get(std::string_view name) const;
  /// Every value of `name`, in order.
  std::vector<std::string> get_all(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }
  std::size_t size() const { return items_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

/// The whole body. HttpError(413) when it grows past `limit` bytes (the rest is left unread).
/// @throws ClientDisconnected when the client leaves first.
boost::asio::awaitable<std::string> read_body(Receive receive, std::size_t limit = 1 << 20);
/// The whole body, or nullopt past `limit` bytes (for apps that answer that case themselves).
boost::asio::awaitable<std::optional<std::string>> read_body_up_to(Receive receive,
                                                                   std::size_t limit);
/// Reads and drops the body without keeping it.
boost::asio::awaitable<void> discard_body(Receive receive);

/// The first value of request header `name` (lowercase, as in the scope).
std::optional<std::string_view> header(const Scope& scope, std::string_view name);
/// The media type of a content-type, lowercased, without parameters: "application/json".
std::string media_type(std::string_view content_type);
/// The path to route on: `path` without the `root_path` the app is mounted under ("/" at least).
std::string_view route_path(const Scope& scope);

/// The query string's parameters, percent-decoded ('+' is a space). "a&b=" gives a="" and b="".
Fields query_params(const Scope& scope);
std::optional<std::string> query_param(const Scope& scope, std::string_view name);
/// Decodes an application/x-www-form-urlencoded text (a query string or a form body).
Fields parse_urlencoded(std::string_view text);

/// The request's cookies (every `cookie` header, RFC 6265 section 5.4: "a=1; b=2"), values taken
/// as sent, with surrounding double quotes removed. The first of two same-named cookies wins.
Fields cookies(const Scope& scope);

/// The form fields of an application/x-www-form-urlencoded body, read whole (413 past `limit`).
/// HttpError(415) for another content type.
boost::asio::awaitable<Fields> read_form(Scope scope, Receive receive, std::size_t limit = 1 << 20);

}  // namespace asgi::toolkit
