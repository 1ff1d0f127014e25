#pragma once
// One HTTP request/response cycle as the app sees it: `receive` yields the body as http.request
// events (read from the socket only when asked: that is the backpressure) and then
// http.disconnect; `send` validates and writes the response. After the app returns, finish()
// applies the error rules (500, close) and leaves the connection ready for the next request.

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "asgi/app.hpp"
#include "asgi/protocol/request_head.hpp"
#include "asgi/protocol/response_encoder.hpp"
#include "asgi/server/asgi_trace.hpp"
#include "asgi/server/custom_access_line.hpp"
#include "asgi/wait_queue.hpp"

namespace asgi::server {

class Connection;

class HttpExchange final : public TracedChannel {
 public:
  /// `head` is the parsed request; `body_complete` is true when it has no body left to read.
  HttpExchange(std::shared_ptr<Connection> connection, const protocol::RequestHead& head,
               bool body_complete);
  ~HttpExchange();

  /// Called once the app returned (or threw `error`). Returns true when the connection can carry
  /// another request.
  boost::asio::awaitable<bool> finish(std::exception_ptr error);
  /// Answers the request with the server's own `status` response instead of calling the app.
  boost::asio::awaitable<void> answer_instead(int status);
  /// The common case of finish() (the app returned with its response complete and the request
  /// body read), without a coroutine: whether the connection can carry another request, or
  /// nullopt when finish() has work to do.
  std::optional<bool> finish_without_io();

 private:
  boost::asio::awaitable<Event> receive_event() override;
  boost::asio::awaitable<void> send_message(Message message) override;
  boost::asio::awaitable<Event> read_body();
  boost::asio::awaitable<void> wait_until_done();
  boost::asio::awaitable<void> send_file(const HttpResponsePathsend& message);
  /// Before the head goes out: whether this response must close the connection.
  void decide_close_before_head();
  /// After a write: a failed one means the client is gone (throws ClientDisconnected).
  void require_written(bool written);
  void mark_app_finished();
  boost::asio::awaitable<bool> drain_body();
  void on_response_complete();
  void log_access(int status);
  void note_answer_body(std::string_view response);
  std::string request_line() const;

  std::shared_ptr<Connection> connection_;
  std::string method_;
  std::string target_;
  std::string version_;
  bool expect_continue_;
  protocol::ResponseOptions options_;
  protocol::ResponseEncoder encoder_;

  bool body_complete_;
  bool body_delivered_ = false;  ///< the http.request with more_body=false went to the app
  bool continue_sent_ = false;
  bool receiving_ = false;
  bool client_gone_ = false;
  bool app_finished_ = false;
  int request_error_status_ = 0;  ///< a bad or timed-out body: answer this instead of the app
  bool access_logged_ = false;
  int logged_status_ = 0;                            ///< the status the response went out with
  std::uint64_t request_body_bytes_ = 0;             ///< for the metrics
  std::chrono::steady_clock::time_point started_{};  ///< set when metrics are on
  /// --access-log-format: the line, written when the exchange ends (null for the default line).
  std::unique_ptr<CustomAccessLine> custom_access_;
  WaitQueue done_;  ///< notified when the response completes or the app returns
};

}  // namespace asgi::server
