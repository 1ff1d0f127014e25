#include "asgi/toolkit/request.hpp"

#include <variant>

#include "asgi/errors.hpp"
#include "asgi/events.hpp"
#include "asgi/toolkit/http_error.hpp"
#include "asgi/url.hpp"

namespace asgi::toolkit {

namespace {

// One step of a body loop: the next http.request event. http.disconnect means the client left.
boost::asio::awaitable<HttpRequest> next_chunk(const Receive& receive) {
  Event event = co_await receive();
  if (auto* request = std::get_if<HttpRequest>(&event)) co_return std::move(*request);
  if (std::holds_alternative<HttpDisconnect>(event)) throw ClientDisconnected();
  throw ProtocolError("unexpected event '" + std::string(type_of(event)) + "' in an HTTP request");
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<std::string> Fields::get(std::string_view name) const {
  for (const auto& [key, value] : items_)
    if (key == name) return value;
  return std::nullopt;
}

std::vector<std::string> Fields::get_all(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [key, value] : items_)
    if (key == name) values.push_back(value);
  return values;
}

boost::asio::awaitable<std::optional<std::string>> read_body_up_to(Receive receive,
                                                                   std::size_t limit) {
  std::string body;
  for (;;) {
    HttpRequest chunk = co_await next_chunk(receive);
    if (chunk.body.size() > limit - body.size()) co_return std::nullopt;
    if (body.empty())  // the first chunk is often the whole body: taken without a copy
      body = std::move(chunk.body);
    else
      body += chunk.body;
    if (!chunk.more_body) co_return body;
  }
}

boost::asio::awaitable<std::string> read_body(Receive receive, std::size_t limit) {
  std::optional<std::string> body = co_await read_body_up_to(std::move(receive), limit);
  if (!body)
    throw HttpError(413, "The request body is larger than " + std::to_string(limit) + " bytes");
  co_return std::move(*body);
}

boost::asio::awaitable<void> discard_body(Receive receive) {
  for (;;) {
    HttpRequest chunk = co_await next_chunk(receive);
    if (!chunk.more_body) co_return;
  }
}

std::optional<std::string_view> header(const Scope& scope, std::string_view name) {
  return scope.headers.get(name);
}

std::string media_type(std::string_view content_type) {
  std::string lowered;
  for (char c : content_type.substr(0, content_type.find(';'))) {
    if (c == ' ' || c == '\t') continue;
    lowered += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return lowered;
}

std::string_view route_path(const Scope& scope) {
  std::string_view path = scope.path;
  const std::string& root = scope.root_path;
  // Only a whole segment: root "/api" must not turn "/apiary" into "ry".
  if (!root.empty() && path.starts_with(root) &&
      (path.size() == root.size() || path[root.size()] == '/'))
    path.remove_prefix(root.size());
  return path.empty() ? std::string_view("/") : path;
}

Fields parse_urlencoded(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> items;
  while (!text.empty()) {
    std::size_t amp = text.find('&');
    std::string_view item = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (item.empty()) continue;  // "a=1&&b=2"
    std::size_t eq = item.find('=');
    std::string_view name = item.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    items.emplace_back(percent_decode(name, true), percent_decode(value, true));
  }
  return Fields(std::move(items));
}

Fields query_params(const Scope& scope) {
  return parse_urlencoded(scope.query_string);
}

std::optional<std::string> query_param(const Scope& scope, std::string_view name) {
  return query_params(scope).get(name);
}

Fields cookies(const Scope& scope) {
  std::vector<std::pair<std::string, std::string>> items;
  for (std::string_view line : scope.headers.get_all("cookie")) {
    while (!line.empty()) {
      std::size_t semicolon = line.find(';');
      std::string_view pair = trim(line.substr(0, semicolon));
      line = semicolon == std::string_view::npos ? std::string_view() : line.substr(semicolon + 1);
      std::size_t eq = pair.find('=');
      if (eq == std::string_view::npos || eq == 0) continue;  // not a cookie-pair
      std::string_view name = trim(pair.substr(0, eq));
      std::string_view value = trim(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
      bool seen = false;
      for (const auto& item : items) seen = seen || item.first == name;
      if (!seen) items.emplace_back(std::string(name), std::string(value));
    }
  }
  return Fields(std::move(items));
}

boost::asio::awaitable<Fields> read_form(Scope scope, Receive receive, std::size_t limit) {
  std::string type = media_type(header(scope, "content-type").value_or(""));
  if (type != "application/x-www-form-urlencoded")
    throw HttpError(415, "Expected application/x-www-form-urlencoded, got '" + type + "'");
  std::string body = co_await read_body(std::move(receive), limit);
  co_return parse_urlencoded(body);
}

}  // namespace asgi::toolkit
