#include "asgi/server/connection.hpp"

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

#include "asgi/protocol/status.hpp"
#include "asgi/protocol/websocket_handshake.hpp"
#include "asgi/server/asgi_trace.hpp"
#include "asgi/server/http_exchange.hpp"
#include "asgi/server/logging.hpp"
#include "asgi/server/websocket_session.hpp"

namespace asgi::server {

namespace net = boost::asio;

namespace {

constexpr std::size_t read_chunk = 16 * 1024;
constexpr std::size_t idle_read_chunk = 1024;  // most request heads fit; bigger ones grow it
constexpr auto linger_time = std::chrono::seconds(2);  // let the client read our last answer

}  // namespace

Connection::Connection(Transport transport, Worker& worker)
    : transport_(std::move(transport)),
      worker_(worker),
      deadlines_(transport_.get_executor(), transport_),
      output_(transport_, deadlines_, to_clock(worker.config().timeout_send)),
      request_(transport_, deadlines_, worker.config().limits) {
  info_.root_path = worker.config().root_path;
  worker_.add(this);
  if (LoopMetrics* metrics = worker_.metrics()) LoopMetrics::add(metrics->http_connections, 1);
}

Connection::~Connection() {
  if (tracing()) log::error().trace("{} - Connection lost", peer_for_log());
  leave_load();  // a WebSocket holds its slot until the connection ends
  worker_.remove(this);
  if (LoopMetrics* metrics = worker_.metrics())
    LoopMetrics::add(
        counted_as_websocket_ ? metrics->websocket_connections : metrics->http_connections, -1);
}

void Connection::begin_shutdown() {
  // An idle keep-alive connection closes quietly (read_head sees the shutdown). A fresh one is
  // not cancelled: its client connected before the listener closed and is sending a request,
  // which is served (with connection: close), or a rolling restart would fail it.
  if (idle_ && !fresh()) transport_.cancel();
  if (websocket_) websocket_->shutdown();  // close 1012
}

void Connection::cancel() {
  cancel_signal_.emit(net::cancellation_type::terminal);
  transport_.cancel();
}

void Connection::start() {
  std::optional<Transport::Peers> peers = transport_.peers();
  if (!peers) return;  // the client left before we looked
  info_.client = std::move(peers->client);
  info_.server = std::move(peers->server);
  client_label_ = std::move(peers->label);
  if (tracing()) log::error().trace("{} - Connection made", peer_for_log());
  peer_is_trusted_proxy_ = config().proxy_headers && peer_is_trusted();
  deadlines_.set_owner(weak_from_this());
  output_.set_owner(weak_from_this());
  proxy_protocol_due_ = config().proxy_protocol && !transport_.in_memory();
  if (transport_.is_tls()) {
    info_.scheme = "https";
    tls_handshake_due_ = true;
  }
  serve_in_coroutine();
}

// ---- the request loop -------------------------------------------------------------------------

void Connection::serve_in_coroutine() {
  auto self = shared_from_this();
  // The function object (and with it the connection) lives as long as the coroutine runs.
  auto serve = [self] { return self->serve(); };
  auto done = [self](std::exception_ptr error, ServeEnd end) {
    if (error) return log::LogEscapedException{"connection"}(error);
    if (end == ServeEnd::parked) self->park();
    if (end == ServeEnd::upgraded) self->run_websocket();
  };
  // The slot lets a graceful shutdown that ran out of time cancel the connection, app included.
  net::co_spawn(transport_.get_executor(), std::move(serve),
                net::bind_cancellation_slot(cancel_signal_.slot(), std::move(done)));
}

net::awaitable<Connection::ServeEnd> Connection::serve() {
  // A cancellation (shutdown timeout) aborts the pending operation; our own cleanup after it must
  // still be able to await.
  co_await net::this_coro::throw_if_cancelled(false);
  if (std::exchange(proxy_protocol_due_, false)) {
    bool accepted = co_await accept_proxy_protocol();
    if (!accepted) co_return ServeEnd::closed;
  }
  if (std::exchange(tls_handshake_due_, false)) {
    bool handshaken = co_await handshake_tls();
    if (!handshaken) co_return ServeEnd::closed;
  }
  bool linger = false;
  bool keep_alive = true;
  if (std::exchange(serve_declined_upgrade_, false)) {
    // The app declined the websocket scope of the request still in the parser: serve it as HTTP.
    keep_alive = co_await serve_http(request_.parser().head());
    leave_load();
    linger = !keep_alive;
  }
  while (keep_alive) {
    HeadResult head = co_await read_head();
    if (head == HeadResult::parked) co_return ServeEnd::parked;
    if (head == HeadResult::closed) break;
    if (head == HeadResult::rejected) {
      linger = true;
      break;
    }
    protocol::RequestHead& request = request_.parser().head();
    park_policy_.on_request();
    read_forwarded(request);
    if (!enter_load()) {
      co_await answer_overloaded(request);
      linger = true;
      break;
    }
    if (protocol::is_websocket_upgrade(request) && config().ws != WebSocketMode::none) {
      bool handshake_ok = co_await check_upgrade(request);
      if (handshake_ok) co_return ServeEnd::upgraded;  // run_websocket takes over
      linger = true;  // answered with an error: let the client read it
      break;
    }
    keep_alive = co_await serve_http(request);
    leave_load();
  }
  if (output_.has_held()) co_await output_.flush();
  co_await close_gracefully(linger);
  co_return ServeEnd::closed;
}

// Only a trusted peer's proxy headers count; anyone else's are left in the headers, unread.
void Connection::read_forwarded(const protocol::RequestHead& head) {
  if (!peer_is_trusted_proxy_) return;
  forwarded_ = protocol::read_proxy_headers(head.headers, config().proxy_trust);
  forwarded_label_.clear();
  if (forwarded_.client && !forwarded_.client->host.empty())
    forwarded_label_ = forwarded_.client->host + ":" + std::to_string(*forwarded_.client->port);
}

bool Connection::enter_load() {
  ProcessLoad* load = worker_.load();
  holds_load_slot_ = !load || load->try_enter();
  return holds_load_slot_;
}

void Connection::leave_load() {
  if (std::exchange(holds_load_slot_, false) && worker_.load()) worker_.load()->leave();
}

// Over --limit-concurrency: as Uvicorn, the request is answered with a 503 instead of the app
// (the same bytes: text/plain "Service Unavailable", connection: close), logged once as a warning
// and in the access log. Nothing is queued.
net::awaitable<void> Connection::answer_overloaded(protocol::RequestHead& head) {
  log::error().warn("Exceeded concurrency limit.");
  auto exchange = std::make_shared<HttpExchange>(shared_from_this(), head, !head.has_body());
  co_await exchange->answer_instead(503);
}

// Parses until a request head is complete. The keep-alive timeout covers the wait for a request's
// first byte (also on a fresh connection); from that byte on, the header timeout runs.
net::awaitable<Connection::HeadResult> Connection::read_head() {
  Clock::time_point header_deadline = Clock::time_point::max();
  for (;;) {
    if (!request_.buffer().empty()) {
      auto result = request_.parser().feed(request_.buffer().data());
      request_.buffer().consume(result.consumed);
      using Status = protocol::RequestParser::Status;
      if (result.status == Status::head || result.status == Status::complete)
        co_return HeadResult::ready;
      if (result.status == Status::error) {
        co_await reject(request_.parser().error_status(), request_.parser().error_reason());
        co_return HeadResult::rejected;
      }
    }
    // Held pipelined responses go out before we wait for more input: what a client that does not
    // read its responses can make us hold stays bounded by one read.
    if (output_.has_held()) {
      bool written = co_await output_.flush();
      if (!written) co_return HeadResult::closed;
    }
    bool started = request_.parser().message_started();
    if (!started && request_.buffer().empty() && park_policy_.requests() > 0 && read_ahead_.due()) {
      co_await net::post(net::use_awaitable);  // the others go first
      ReadAhead read_ahead = read_ahead_now();
      if (read_ahead == ReadAhead::data) continue;
      if (read_ahead == ReadAhead::closed) co_return HeadResult::closed;
    }
    // Shutting down: a keep-alive connection with no request under way closes now (bytes already
    // in the kernel buffer are a request the client sent before we stopped: serve it).
    if (!started && shutting_down() && !fresh() && transport_.available() == 0)
      co_return HeadResult::closed;
    if (started && header_deadline == Clock::time_point::max())
      header_deadline = Clock::now() + to_clock(config().timeout_request_header);
    Clock::time_point now = Clock::now();
    Clock::time_point keep_alive_deadline = now + to_clock(config().timeout_keep_alive);
    deadlines_.set(Deadlines::read, started ? header_deadline : keep_alive_deadline);
    if (!started) deadlines_.set(Deadlines::park, now + park_policy_.delay(now));
    // An idle connection keeps only a small buffer: a request head rarely needs more.
    if (!started && request_.buffer().capacity() > idle_read_chunk)
      request_.buffer().release_if_empty();
    idle_ = !started;
    auto [ec, n] = co_await transport_.async_read_some(
        request_.buffer().prepare(started ? read_chunk : idle_read_chunk),
        net::as_tuple(net::use_awaitable));
    idle_ = false;
    deadlines_.clear(Deadlines::read);
    deadlines_.clear(Deadlines::park);
    if (n == 0 && !started && shutting_down() && !fresh()) co_return HeadResult::closed;
    if (!started && ec == net::error::operation_aborted && deadlines_.expired(Deadlines::park) &&
        !deadlines_.expired(Deadlines::read)) {
      deadlines_.set(Deadlines::read, keep_alive_deadline);  // still runs while parked
      co_return HeadResult::parked;
    }
    if (ec || n == 0) {
      if (deadlines_.expired(Deadlines::read) && request_.parser().message_started()) {
        co_await reject(408, "Request header timeout");
        co_return HeadResult::rejected;
      }
      co_return HeadResult::closed;
    }
    request_.buffer().commit(n);
  }
}

Connection::ReadAhead Connection::read_ahead_now() {
  boost::system::error_code ec;
  std::size_t n = transport_.read_now(request_.buffer().prepare(idle_read_chunk), ec);
  if (ec) return ReadAhead::closed;
  if (n == 0) {
    read_ahead_.on_miss();
    return ReadAhead::not_yet;
  }
  read_ahead_.on_hit();
  request_.buffer().commit(n);
  return ReadAhead::data;
}

// An idle keep-alive connection gives back its coroutine frames, buffers and parser, and waits
// for its next request with a plain callback: about 1.6 KiB instead of 5 (nginx does the same
// with its buffers). The keep-alive deadline keeps running; it, a shutdown or a cancel abort the
// wait.
void Connection::park() {
  release_http_state();
  std::string().swap(response_scratch_);
  output_.release_memory();
  worker_.note_parked();
  idle_ = true;
  auto wake = [self = shared_from_this()](const boost::system::error_code& ec) {
    self->unpark(ec);
  };
  // std::allocator: an exact-size block, not one of Asio's recycled (often much bigger) ones.
  transport_.async_wait_readable(net::bind_allocator(std::allocator<void>(), wake));
}

void Connection::release_http_state() {
  request_.release();
}

void Connection::unpark(const boost::system::error_code& ec) {
  idle_ = false;
  if (ec || (shutting_down() && transport_.available() == 0)) {
    transport_.shutdown_send();
    close_now();
    return;
  }
  request_.renew();
  serve_in_coroutine();
}

// A WebSocket handshake: checked here (a bad one is answered and closes the connection), then
// answered by the app in run_websocket().
net::awaitable<bool> Connection::check_upgrade(protocol::RequestHead& head) {
  protocol::HandshakeCheck check = protocol::check_websocket_handshake(head);
  if (check.error_status == 426) {
    co_await reject(426, check.error_reason, "sec-websocket-version: 13\r\n");
    co_return false;
  }
  if (check.error_status) {
    co_await reject(check.error_status, check.error_reason);
    co_return false;
  }
  websocket_ =
      std::make_shared<WebSocketSession>(shared_from_this(), head, std::move(check.subprotocols));
  if (LoopMetrics* metrics = worker_.metrics(); metrics && !counted_as_websocket_) {
    counted_as_websocket_ = true;
    LoopMetrics::add(metrics->http_connections, -1);
    LoopMetrics::add(metrics->websocket_connections, 1);
  }
  co_return true;
}

// The WebSocket runs in its own coroutine, once the request loop's has ended: an idle WebSocket
// keeps no frames of the HTTP side. When the app declines the websocket scope, the request is
// served as plain HTTP and the request loop starts again.
void Connection::run_websocket() {
  auto self = shared_from_this();
  auto run = [session = websocket_] { return session->run(); };
  auto done = [self](std::exception_ptr error, WebSocketSession::Outcome outcome) {
    self->websocket_.reset();
    if (error) {
      log::LogEscapedException{"websocket"}(error);
      return self->close_now();
    }
    if (outcome == WebSocketSession::Outcome::declined) {
      self->serve_declined_upgrade_ = true;
      return self->serve_in_coroutine();
    }
    // A WebSocket that ended on a protocol error may leave unread frames: drain them, or the
    // close would be a reset that can destroy our Close frame before the client reads it.
    auto close = [self] { return self->close_gracefully(/*linger=*/true); };
    net::co_spawn(self->transport_.get_executor(), std::move(close),
                  log::LogEscapedException{"connection"});
  };
  net::co_spawn(transport_.get_executor(), std::move(run),
                net::bind_cancellation_slot(cancel_signal_.slot(), std::move(done)));
}

net::awaitable<bool> Connection::serve_http(protocol::RequestHead& head) {
  bool body_complete = !head.has_body();
  // From the thread's recycled blocks, like the coroutine frames: one malloc less per request.
  auto exchange = std::allocate_shared<HttpExchange>(net::recycling_allocator<HttpExchange>(),
                                                     shared_from_this(), head, body_complete);
  std::exception_ptr error;
  try {
    // The scope is built straight into the app's parameter: no Scope moves on the way.
    auto make_scope = [&] {
      Scope scope = protocol::build_http_scope(head, info_, worker_.state());
      if (!forwarded_.empty()) protocol::apply_forwarded(scope, forwarded_);
      return scope;
    };
    worker_.activity().note_app(exchange.get(), head.method, head.target, /*starting=*/true);
    boost::asio::awaitable<void> app =
        worker_.call_app(make_scope, Receive(exchange), Send(exchange));
    if (tracing())
      log::error().trace("ASGI [{}] Started http {} {}", exchange->trace_id(), head.method,
                         protocol::target_for_log(head.target));
    co_await std::move(app);
    if (tracing()) log::error().trace("ASGI [{}] Completed", exchange->trace_id());
  } catch (...) {
    error = std::current_exception();
  }
  std::optional<bool> keep_alive = error ? std::nullopt : exchange->finish_without_io();
  if (!keep_alive) {
    co_await net::this_coro::reset_cancellation_state();  // a cancelled app still gets its 500
    keep_alive = co_await exchange->finish(error);
  }
  co_return *keep_alive && !shutting_down();
}

// A request that never reaches the app: one warning line, a short answer, then close.
net::awaitable<void> Connection::reject(int status, const std::string& reason,
                                        std::string_view extra_headers) {
  if (status == 408)
    log::error().info("Request header timeout from {}", client_label_);
  else
    log::error().warn("Invalid HTTP request received from {}: {} ({})", client_label_, reason,
                      status);
  std::string_view body = status == 400 ? std::string_view("Invalid HTTP request received.")
                                        : protocol::reason_phrase(status);
  std::string response = protocol::ResponseEncoder::error_response(
      status, body, worker_.response_defaults(), extra_headers);
  co_await output_.write({response, {}, {}});
}

// Half-close, then drain briefly so unread request bytes don't turn our close into a reset that
// destroys the response before the client reads it (RFC 9112 §9.6).
net::awaitable<void> Connection::close_gracefully(bool linger) {
  transport_.shutdown_send();
  if (linger && transport_.is_open()) {
    deadlines_.set(Deadlines::read, Clock::now() + linger_time);
    std::size_t drained = 0;
    while (drained < (1u << 20)) {
      auto [ec, n] = co_await transport_.async_read_some(request_.buffer().prepare(read_chunk),
                                                         net::as_tuple(net::use_awaitable));
      if (ec || n == 0) break;
      drained += n;
    }
  }
  close_now();
}

void Connection::close_now() {
  transport_.close();
  deadlines_.stop();
  output_.abandon();  // a queued writer sees the closed transport and gives up
}

}  // namespace asgi::server
