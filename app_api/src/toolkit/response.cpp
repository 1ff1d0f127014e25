#include "asgi/toolkit/response.hpp"

#include <memory>
#include <stdexcept>

#include "asgi/events.hpp"

namespace asgi::toolkit {

boost::asio::awaitable<void> send_bytes(Send send, std::string body, std::string content_type,
                                        int status, Headers headers) {
  // content-length lets the server frame the response without chunked encoding.
  if (!content_type.empty()) headers.add("content-type", content_type);
  headers.add("content-length", std::to_string(body.size()));
  co_await send(HttpResponseStart(status, std::move(headers)));
  co_await send(HttpResponseBody(std::move(body)));
}

boost::asio::awaitable<void> send_text(Send send, std::string body, int status, Headers headers) {
  return send_bytes(std::move(send), std::move(body), "text/plain; charset=utf-8", status,
                    std::move(headers));
}

boost::asio::awaitable<void> send_html(Send send, std::string body, int status, Headers headers) {
  return send_bytes(std::move(send), std::move(body), "text/html; charset=utf-8", status,
                    std::move(headers));
}

boost::asio::awaitable<void> send_redirect(Send send, std::string location, int status,
                                           Headers headers) {
  headers.add("location", location);
  return send_bytes(std::move(send), {}, {}, status, std::move(headers));
}

boost::asio::awaitable<void> send_empty(Send send, int status, Headers headers) {
  if (status == 204 || status == 304) {  // no content-length: these never have a body
    co_await send(HttpResponseStart(status, std::move(headers)));
    co_await send(HttpResponseBody());
    co_return;
  }
  co_await send_bytes(std::move(send), {}, {}, status, std::move(headers));
}

boost::asio::awaitable<void> send_error(Send send, HttpError error) {
  return send_text(std::move(send), error.detail(), error.status(), error.headers());
}

namespace {

bool is_token_char(char c) {
  if (c >= 'a' && c <= 'z') return true;
  if (c >= 'A' && c <= 'Z') return true;
  if (c >= '0' && c <= '9') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_cookie_octet(char c) {  // RFC 6265 section 4.1.1
  auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x2B) || (u >= 0x2D && u <= 0x3A) ||
         (u >= 0x3C && u <= 0x5B) || (u >= 0x5D && u <= 0x7E);
}

bool is_attribute_value(std::string_view text) {  // no controls and no ';' in Path / Domain
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == ';' || c == 0x7F) return false;
  return true;
}

}  // namespace

std::string set_cookie_value(const Cookie& cookie) {
  if (cookie.name.empty()) throw std::invalid_argument("cookie name is empty");
  for (char c : cookie.name)
    if (!is_token_char(c))
      throw std::invalid_argument("cookie name '" + cookie.name + "' is not a token");
  for (char c : cookie.value)
    if (!is_cookie_octet(c))
      throw std::invalid_argument("cookie value for '" + cookie.name +
                                  "' holds a character a cookie may not (encode it first)");
  if (!is_attribute_value(cookie.path) || !is_attribute_value(cookie.domain))
    throw std::invalid_argument("cookie path or domain holds ';' or a control character");
  if (cookie.same_site == "None" && !cookie.secure)
    throw std::invalid_argument("SameSite=None needs secure = true (browsers reject it)");
  std::string text = cookie.name + "=" + cookie.value;
  if (cookie.max_age) text += "; Max-Age=" + std::to_string(cookie.max_age->count());
  if (!cookie.path.empty()) text += "; Path=" + cookie.path;
  if (!cookie.domain.empty()) text += "; Domain=" + cookie.domain;
  if (cookie.secure) text += "; Secure";
  if (cookie.http_only) text += "; HttpOnly";
  if (!cookie.same_site.empty()) {
    if (cookie.same_site != "Strict" && cookie.same_site != "Lax" && cookie.same_site != "None")
      throw std::invalid_argument("SameSite must be Strict, Lax or None");
    text += "; SameSite=" + cookie.same_site;
  }
  return text;
}

void set_cookie(Headers& headers, const Cookie& cookie) {
  headers.add("set-cookie", set_cookie_value(cookie));
}

void delete_cookie(Headers& headers, std::string_view name, std::string_view path) {
  Cookie cookie{.name = std::string(name), .value = "", .max_age = std::chrono::seconds(0)};
  cookie.path = std::string(path);
  set_cookie(headers, cookie);
}

namespace {

// The app's send, recording whether the response has started (an HttpError is then too late).
class TrackingChannel final : public detail::Channel {
 public:
  explicit TrackingChannel(Send send) : send_(std::move(send)) {}
  boost::asio::awaitable<Event> receive() override {
    throw std::logic_error("with_http_errors: this channel only sends");
  }
  boost::asio::awaitable<void> send(Message message) override {
    started = true;
    return send_(std::move(message));
  }
  bool started = false;

 private:
  Send send_;
};

// A coroutine with its own copy of everything it uses (not a capturing lambda coroutine, whose
// captures would live in a lambda object the caller may destroy first).
boost::asio::awaitable<void> run_with_http_errors(std::shared_ptr<const App> app,
                                                  std::shared_ptr<const ErrorRenderer> render,
                                                  Scope scope, Receive receive, Send send) {
  if (scope.type != "http") {
    co_await (*app)(std::move(scope), std::move(receive), std::move(send));
    co_return;
  }
  auto channel = std::make_shared<TrackingChannel>(send);
  std::optional<HttpError> error;
  try {
    co_await (*app)(std::move(scope), std::move(receive), Send(channel));
  } catch (const HttpError& e) {
    if (channel->started) throw;
    error = e;
  }
  if (!error) co_return;
  if (*render)
    co_await (*render)(std::move(send), std::move(*error));
  else
    co_await send_error(std::move(send), std::move(*error));
}

}  // namespace

App with_http_errors(App app, ErrorRenderer render) {
  auto shared = std::make_shared<const App>(std::move(app));
  auto renderer = std::make_shared<const ErrorRenderer>(std::move(render));
  return [shared, renderer](Scope scope, Receive receive, Send send) {
    return run_with_http_errors(shared, renderer, std::move(scope), std::move(receive),
                                std::move(send));
  };
}

}  // namespace asgi::toolkit
