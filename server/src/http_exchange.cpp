#include "asgi/server/http_exchange.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "asgi/errors.hpp"
#include "asgi/protocol/app_ending.hpp"
#include "asgi/protocol/scope_builder.hpp"
#include "asgi/protocol/status.hpp"
#include "asgi/server/asgi_trace.hpp"
#include "asgi/server/connection.hpp"
#include "asgi/server/logging.hpp"
#include "asgi/server/open_file.hpp"

namespace asgi::server {

namespace net = boost::asio;

namespace {

constexpr std::size_t body_high_water = 64 * 1024;  // Uvicorn's HIGH_WATER_LIMIT
constexpr std::size_t drain_budget = 64 * 1024;     // unread body we read to keep a connection
constexpr std::string_view continue_response = "HTTP/1.1 100 Continue\r\n\r\n";

protocol::ResponseOptions response_options(const protocol::ResponseOptions& defaults,
                                           const protocol::RequestHead& head) {
  protocol::ResponseOptions options = defaults;
  options.head_request = head.method == "HEAD";
  options.http_minor = head.http_minor;
  options.request_keep_alive = head.keep_alive;
  options.client_accepts_trailers = head.te_trailers;
  return options;
}

}  // namespace

HttpExchange::HttpExchange(std::shared_ptr<Connection> connection,
                           const protocol::RequestHead& head, bool body_complete)
    : connection_(std::move(connection)),
      method_(head.method),
      target_(head.target),
      version_(head.version()),
      expect_continue_(head.expect_continue),
      options_(response_options(connection_->worker().response_defaults(), head)),
      encoder_(options_, &connection_->response_scratch()),
      body_complete_(body_complete) {
  // The metrics listener's loop logs no access lines: probes every few seconds would flood them.
  if (connection_->worker().access_log()) {
    if (const auto& format = connection_->config().access_log_format)
      custom_access_ = std::make_unique<CustomAccessLine>(&*format, head.headers);
    else if (log::json_logs() && log::access())
      custom_access_ = std::make_unique<CustomAccessLine>(nullptr, head.headers);
  }
  if (LoopMetrics* metrics = connection_->worker().metrics()) {
    started_ = std::chrono::steady_clock::now();
    LoopMetrics::add(metrics->in_flight, 1);
  }
}

HttpExchange::~HttpExchange() {
  if (LoopMetrics* metrics = connection_->worker().metrics()) {
    LoopMetrics::add(metrics->in_flight, -1);
    if (logged_status_)
      metrics->on_request_done(method_, logged_status_, request_body_bytes_, encoder_.body_bytes(),
                               std::chrono::steady_clock::now() - started_);
  }
  if (!custom_access_) return;
  try {
    custom_access_->write(connection_->client_label(), method_, target_, version_,
                          encoder_.body_bytes());  // unless the server answered instead
  } catch (...) {  // a log line is never worth an exception out of a destructor
  }
}

// ---- receive ---------------------------------------------------------------------------------

net::awaitable<Event> HttpExchange::receive_event() {
  AppTurn turn(connection_->worker().activity(), this, method_, target_);
  if (receiving_) throw ProtocolError("receive() called while another receive() is waiting");
  receiving_ = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{receiving_};

  if (client_gone_ || request_error_status_ || encoder_.complete() || app_finished_)
    co_return HttpDisconnect{};
  if (!body_complete_) co_return co_await read_body();
  if (!body_delivered_) {  // a request without a body still gets one (empty) http.request
    body_delivered_ = true;
    co_return HttpRequest();
  }
  co_await wait_until_done();
  co_return HttpDisconnect{};
}

net::awaitable<Event> HttpExchange::read_body() {
  if (expect_continue_ && !continue_sent_ && !encoder_.head_rendered()) {
    continue_sent_ = true;  // RFC 9110 §10.1.1: the app asked for the body, so invite it
    bool written = co_await connection_->output().write({continue_response, {}, {}});
    if (!written) {
      client_gone_ = true;
      co_return HttpDisconnect{};
    }
  }
  std::string body;
  RequestReader& request = connection_->request();
  auto timeout = to_clock(connection_->config().timeout_body_read);
  switch (co_await request.read_body(body, body_high_water, timeout)) {
    case RequestReader::Body::more:
      break;
    case RequestReader::Body::complete:
      body_complete_ = true;
      break;
    case RequestReader::Body::error:
      request_error_status_ = request.parser().error_status();
      log::error().warn("Invalid HTTP request body from {}: {} ({})", connection_->client_label(),
                        request.parser().error_reason(), request_error_status_);
      co_return HttpDisconnect{};
    case RequestReader::Body::timed_out:
      request_error_status_ = 408;
      co_return HttpDisconnect{};
    case RequestReader::Body::closed:
      client_gone_ = true;  // a truncated body: RFC 9112 §6.3, the message is incomplete
      co_return HttpDisconnect{};
  }
  body_delivered_ = body_complete_;
  request_body_bytes_ += body.size();
  co_return HttpRequest{std::move(body), !body_complete_};
}

// With the body consumed, ASGI's http.disconnect means "the response is done or the client left".
// Meanwhile the connection is read (EOF means the client left; bytes that arrive, a pipelined
// request, are kept), unless a full body's worth is already buffered: then reading stops
// (backpressure) and only the response's end is awaited.
net::awaitable<void> HttpExchange::wait_until_done() {
  using namespace net::experimental::awaitable_operators;
  RequestReader& request = connection_->request();
  while (!client_gone_ && !encoder_.complete() && !app_finished_) {
    if (request.buffer().size() >= body_high_water) {
      co_await done_.wait();
      continue;
    }
    auto first = co_await (request.watch() || done_.wait());
    if (first.index() == 0 && std::get<0>(first) == RequestReader::Watch::closed)
      client_gone_ = true;
  }
}

// ---- send ------------------------------------------------------------------------------------

net::awaitable<void> HttpExchange::send_message(Message message) {
  AppTurn turn(connection_->worker().activity(), this, method_, target_);
  if (client_gone_ || request_error_status_) throw ClientDisconnected();
  // Bodies first and written right here: this is the hot path, and every nested coroutine would
  // cost a frame per request.
  if (auto* body = std::get_if<HttpResponseBody>(&message)) {
    decide_close_before_head();
    protocol::WirePieces pieces = encoder_.body(*body);  // throws before rendering a bad head
    if (!access_logged_) log_access(encoder_.status());
    if (encoder_.complete() && connection_->has_buffered_input() && !app_finished_) {
      // More pipelined requests are waiting: hold this response and send it with theirs.
      connection_->output().hold(pieces);
    } else if (!pieces.empty()) {
      std::optional<bool> written = connection_->output().try_write(pieces);
      if (!written) written = co_await connection_->output().write_rest(pieces);
      require_written(*written);
    }
    if (encoder_.complete()) on_response_complete();
  } else if (auto* start = std::get_if<HttpResponseStart>(&message)) {
    if (custom_access_) custom_access_->keep_response_headers(start->headers);
    encoder_.start(std::move(*start));
  } else if (auto* file = std::get_if<HttpResponsePathsend>(&message)) {
    co_await send_file(*file);
  } else if (auto* trailers = std::get_if<HttpResponseTrailers>(&message)) {
    bool written = co_await connection_->output().write(encoder_.trailers(*trailers));
    require_written(written);
    if (encoder_.complete()) on_response_complete();
  } else {
    throw ProtocolError("Unexpected ASGI message '" + std::string(type_of(message)) +
                        "' sent for an http scope.");
  }
}

void HttpExchange::decide_close_before_head() {
  if (encoder_.head_rendered()) return;
  // A client told to wait for 100 Continue may never send the body: don't promise keep-alive.
  if (!body_complete_ && expect_continue_ && !continue_sent_) encoder_.force_close();
  if (connection_->shutting_down()) encoder_.force_close();
}

net::awaitable<void> HttpExchange::send_file(const HttpResponsePathsend& message) {
  if (!message.path.starts_with('/'))
    throw ProtocolError("http.response.pathsend needs an absolute path, got '" + message.path +
                        "'.");
  OpenFile file(message.path);  // throws before anything is written: the client gets a 500
  decide_close_before_head();
  protocol::FilePieces pieces = encoder_.file(file.size());
  if (!access_logged_) log_access(encoder_.status());
  bool written = co_await connection_->output().write_file(pieces.prefix, file.fd(), 0,
                                                           pieces.file_bytes, pieces.suffix);
  require_written(written);  // false also when the file shrank: the response cannot complete
  if (encoder_.complete()) on_response_complete();
}

void HttpExchange::require_written(bool written) {
  if (written) return;
  client_gone_ = true;
  throw ClientDisconnected();
}

void HttpExchange::on_response_complete() {
  done_.notify_all();
}

// ---- after the app -----------------------------------------------------------------------------

void HttpExchange::mark_app_finished() {
  app_finished_ = true;
  done_.notify_all();  // a receive() still waiting returns http.disconnect
}

std::optional<bool> HttpExchange::finish_without_io() {
  if (client_gone_ || !encoder_.complete() || (!body_complete_ && encoder_.keep_alive()))
    return std::nullopt;
  mark_app_finished();
  return encoder_.keep_alive();
}

net::awaitable<bool> HttpExchange::finish(std::exception_ptr error) {
  mark_app_finished();
  // An escaped ClientDisconnected was raised by our send (ASGI: nothing to report).
  bool raised = error && !is_client_disconnected(error);
  protocol::AppExit exit = client_gone_ ? protocol::AppExit::client_gone
                           : raised     ? protocol::AppExit::raised
                                        : protocol::AppExit::returned;
  protocol::ResponseProgress progress{.started = encoder_.started(),
                                      .head_rendered = encoder_.head_rendered(),
                                      .complete = encoder_.complete(),
                                      .request_error = request_error_status_};
  protocol::AppEnding ending = protocol::http_app_ending(exit, progress);
  if (raised) {
    log::error().error("Exception in ASGI application while serving \"{}\": {}", request_line(),
                       describe_exception(error));
  } else if (!ending.problem.empty()) {
    log::error().error("{}", ending.problem);
  }
  if (ending.http_status) {  // nothing of a response is on the wire yet: answer for the app
    std::string response = protocol::ResponseEncoder::error_response(
        ending.http_status, protocol::reason_phrase(ending.http_status), options_);
    log_access(ending.http_status);
    note_answer_body(response);
    co_await connection_->output().write({response, {}, {}});
  }
  if (ending.close_connection || !encoder_.keep_alive()) co_return false;
  if (!body_complete_) co_return co_await drain_body();
  co_return true;
}

net::awaitable<void> HttpExchange::answer_instead(int status) {
  mark_app_finished();
  std::string response =
      protocol::ResponseEncoder::error_response(status, protocol::reason_phrase(status), options_);
  log_access(status);
  note_answer_body(response);
  co_await connection_->output().write({response, {}, {}});
}

// The server's own answer is rendered whole, not through the encoder: its body size for the log.
void HttpExchange::note_answer_body(std::string_view response) {
  std::size_t head_end = response.find("\r\n\r\n");
  if (custom_access_ && head_end != std::string_view::npos)
    custom_access_->set_body_bytes(response.size() - head_end - 4);
}

// The app answered without reading the whole body. Read and drop a little of it to keep the
// connection; past the budget, closing is cheaper.
net::awaitable<bool> HttpExchange::drain_body() {
  return connection_->request().drain_body(drain_budget);
}

// ---- logging -----------------------------------------------------------------------------------

std::string HttpExchange::request_line() const {
  return method_ + " " + protocol::target_for_log(target_) + " HTTP/" + version_;
}

// The one access-log point: called where a response head is really rendered (the app's, or the
// one the server answers with instead), so a response replaced by a 500 logs only the 500.
void HttpExchange::log_access(int status) {
  access_logged_ = true;
  logged_status_ = status;
  if (!connection_->worker().access_log()) return;
  if (custom_access_) return custom_access_->set_status(status);  // written at the end
  if (spdlog::logger* access = log::access()) {
    access->info("{} - \"{}\" {} {}", connection_->client_label(), request_line(), status,
                 protocol::reason_phrase(status));
  }
}

}  // namespace asgi::server
