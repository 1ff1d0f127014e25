#include <random>

#include "asgi/events.hpp"
#include "asgi/toolkit/middleware.hpp"

namespace asgi::toolkit {

namespace {

bool plausible_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string new_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string id;
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = random();
    for (int i = 0; i < 16; ++i, bits >>= 4) id += hex[bits & 0xF];
  }
  return id;
}

// Adds the id to the response's start message.
class IdChannel final : public detail::Channel {
 public:
  IdChannel(Send send, std::string header, std::string id)
      : send_(std::move(send)), header_(std::move(header)), id_(std::move(id)) {}
  boost::asio::awaitable<Event> receive() override {
    throw std::logic_error("request_id: this channel only sends");
  }
  boost::asio::awaitable<void> send(Message message) override {
    if (auto* start = std::get_if<HttpResponseStart>(&message))
      if (!start->headers.contains(header_)) start->headers.add(header_, id_);
    return send_(std::move(message));
  }

 private:
  Send send_;
  std::string header_;
  std::string id_;
};

boost::asio::awaitable<void> run_request_id(std::shared_ptr<const App> app,
                                            std::shared_ptr<const std::string> header, Scope scope,
                                            Receive receive, Send send) {
  if (scope.type != "http") {
    co_await (*app)(std::move(scope), std::move(receive), std::move(send));
    co_return;
  }
  std::optional<std::string_view> given = scope.headers.get(*header);
  std::string id = given && plausible_id(*given) ? std::string(*given) : new_id();
  if (!given || *given != id) {  // the app reads the id it will answer with
    Headers headers;
    for (auto [name, value] : scope.headers)
      if (name != *header) headers.add(name, value);
    headers.add(*header, id);
    scope.headers = std::move(headers);
  }
  Send tagged(std::make_shared<IdChannel>(std::move(send), *header, std::move(id)));
  co_await (*app)(std::move(scope), std::move(receive), std::move(tagged));
}

}  // namespace

App request_id(App app, std::string header) {
  auto shared_app = std::make_shared<const App>(std::move(app));
  auto shared_header = std::make_shared<const std::string>(std::move(header));
  return [shared_app, shared_header](Scope scope, Receive receive, Send send) {
    return run_request_id(shared_app, shared_header, std::move(scope), std::move(receive),
                          std::move(send));
  };
}

}  // namespace asgi::toolkit
