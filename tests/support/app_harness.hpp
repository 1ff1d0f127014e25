#pragma once
// A tiny in-process stand-in for the server, to unit-test ASGI apps without sockets.
//
// ScriptedChannel implements asgi::detail::Channel: receive() hands out a scripted list of events
// and send() records every message, checking the HTTP response with the server's own response
// encoder (the same order, status, header, length and HEAD/204/304 rules). The apps
// run on a boost::asio::io_context in the calling thread; exceptions they throw are rethrown.
//
//   asgi::test::HttpResult r = asgi::test::run_http(app, {.method = "POST", .path = "/crabs",
//       .headers = {{"content-type", "application/json"}}, .body_chunks = {R"({"name": ...})"}});
//   EXPECT_EQ(r.status, 201);

#include <chrono>
#include <cstddef>
#include <deque>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "asgi/app.hpp"
#include "asgi/errors.hpp"
#include "asgi/events.hpp"
#include "asgi/headers.hpp"
#include "asgi/protocol/response_encoder.hpp"
#include "asgi/scope.hpp"

namespace asgi::test {

/// Feeds scripted events to receive() and records what the app sends.
class ScriptedChannel final : public detail::Channel {
 public:
  ScriptedChannel(std::vector<Event> events, bool http, bool head_request = false)
      : events_(events.begin(), events.end()), http_(http) {
    if (!http) return;
    protocol::ResponseOptions options;
    options.head_request = head_request;
    encoder_.emplace(options);
  }

  boost::asio::awaitable<Event> receive() override {
    if (!events_.empty()) {
      Event event = std::move(events_.front());
      events_.pop_front();
      journal_.push_back("receive " + std::string(type_of(event)));
      co_return event;
    }
    // Out of script. For HTTP, a real server blocks until the client leaves; here the client
    // leaves at once. For other scopes the test forgot an event: fail loudly rather than hang.
    if (http_) {
      journal_.push_back("receive http.disconnect");
      co_return HttpDisconnect{};
    }
    throw std::logic_error("ScriptedChannel: receive() called after the last scripted event");
  }

  boost::asio::awaitable<void> send(Message message) override {
    if (http_) check_http_order(message);
    journal_.push_back("send " + std::string(type_of(message)));
    sent_.push_back(std::move(message));
    co_return;
  }

  const std::vector<Message>& sent() const { return sent_; }
  bool response_complete() const { return complete_; }
  /// Every receive and send in order, as "receive http.request" / "send http.response.body".
  const std::vector<std::string>& journal() const { return journal_; }

 private:
  // Renders the response as the server would, so an app breaking a rule throws here as it would
  // in the server (ProtocolError from the encoder).
  void check_http_order(const Message& message) {
    if (const auto* start = std::get_if<HttpResponseStart>(&message)) {
      encoder_->start(*start);
    } else if (const auto* body = std::get_if<HttpResponseBody>(&message)) {
      encoder_->body(*body);
    } else if (const auto* trailers = std::get_if<HttpResponseTrailers>(&message)) {
      encoder_->trailers(*trailers);
    } else if (const auto* file = std::get_if<HttpResponsePathsend>(&message)) {
      encoder_->file(std::filesystem::file_size(file->path));  // throws for a missing file
    } else {
      throw ProtocolError("unexpected message type in an HTTP response: " +
                          std::string(type_of(message)));
    }
    complete_ = encoder_->complete();
  }

  std::deque<Event> events_;
  bool http_;
  std::vector<Message> sent_;
  std::vector<std::string> journal_;
  std::optional<protocol::ResponseEncoder> encoder_;
  bool complete_ = false;
};

/// What a test wants to request. An empty `body_chunks` sends one empty http.request.
struct HttpRequestSpec {
  // Every member has an initializer, so designated initializers may leave any out without
  // -Wmissing-field-initializers: run_http(app, {.path = "/crabs"}).
  std::string method = "GET";
  std::string path = "/";
  std::string query_string{};  ///< raw, still percent-encoded, as in the scope
  Headers headers{};
  std::vector<std::string> body_chunks{};
  std::string root_path{};
};

/// The recorded response, assembled from the messages.
struct HttpResult {
  std::vector<Message> messages;
  std::vector<std::string> journal;  ///< see ScriptedChannel::journal()
  int status = 0;
  Headers headers;
  std::string body;                                ///< all body messages joined
  bool complete = false;                           ///< a body with more_body=false was sent
  std::chrono::steady_clock::time_point finished;  ///< when the app returned

  std::optional<std::string_view> header(std::string_view name) const { return headers.get(name); }
};

inline Scope make_http_scope(const HttpRequestSpec& spec) {
  Scope scope;
  scope.type = "http";
  scope.http_version = "1.1";
  scope.method = spec.method;
  scope.scheme = "http";
  scope.root_path = spec.root_path;
  scope.path = spec.path;
  scope.raw_path = spec.path;
  scope.query_string = spec.query_string;
  scope.headers = spec.headers;
  scope.client = Address{"127.0.0.1", 50000};
  scope.server = Address{"127.0.0.1", 8000};
  return scope;
}

inline std::vector<Event> body_events(const std::vector<std::string>& chunks) {
  std::vector<Event> events;
  for (std::size_t i = 0; i < chunks.size(); ++i)
    events.emplace_back(HttpRequest{chunks[i], i + 1 < chunks.size()});
  if (events.empty()) events.emplace_back(HttpRequest{});
  return events;
}

/// Runs apps concurrently on one io_context in this thread, until every one has returned.
class Harness {
 public:
  /// Starts `app`; returns the channel, to inspect what it sent once run() is done.
  std::shared_ptr<ScriptedChannel> spawn(
      const App& app, Scope scope, std::vector<Event> events,
      std::chrono::steady_clock::time_point* finished = nullptr) {
    auto channel = std::make_shared<ScriptedChannel>(std::move(events), scope.type == "http",
                                                     scope.method == "HEAD");
    ++running_;
    boost::asio::co_spawn(io_, app(std::move(scope), Receive(channel), Send(channel)),
                          [this, finished](std::exception_ptr error) {
                            --running_;
                            if (finished) *finished = std::chrono::steady_clock::now();
                            if (error && !error_) error_ = error;
                          });
    return channel;
  }

  /// Runs until every app has returned; rethrows the first exception an app threw.
  void run() {
    io_.run();
    io_.restart();
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    if (running_ != 0) throw std::logic_error("Harness: an app never finished");
  }

 private:
  boost::asio::io_context io_;
  int running_ = 0;
  std::exception_ptr error_;
};

inline HttpResult collect(const ScriptedChannel& channel) {
  HttpResult result;
  result.messages = channel.sent();
  result.journal = channel.journal();
  result.complete = channel.response_complete();
  for (const Message& message : result.messages) {
    if (const auto* start = std::get_if<HttpResponseStart>(&message)) {
      result.status = start->status;
      result.headers = start->headers;
    } else if (const auto* body = std::get_if<HttpResponseBody>(&message)) {
      result.body += body->body;
    }
  }
  return result;
}

/// Sends each request to `app`, all at once, and returns the responses in the same order.
inline std::vector<HttpResult> run_http_concurrently(const App& app,
                                                     const std::vector<HttpRequestSpec>& specs) {
  Harness harness;
  std::vector<std::shared_ptr<ScriptedChannel>> channels;
  std::vector<std::chrono::steady_clock::time_point> finished(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i)
    channels.push_back(harness.spawn(app, make_http_scope(specs[i]),
                                     body_events(specs[i].body_chunks), &finished[i]));
  harness.run();
  std::vector<HttpResult> results;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    results.push_back(collect(*channels[i]));
    results.back().finished = finished[i];
  }
  return results;
}

inline HttpResult run_http(const App& app, const HttpRequestSpec& spec) {
  return std::move(run_http_concurrently(app, {spec}).front());
}

/// Runs `app` with any scope (lifespan, websocket, ...) and returns the messages it sent.
inline std::vector<Message> run_app(const App& app, Scope scope, std::vector<Event> events) {
  Harness harness;
  auto channel = harness.spawn(app, std::move(scope), std::move(events));
  harness.run();
  return channel->sent();
}

}  // namespace asgi::test
