#include "asgi/server/connection.hpp"

#include <sys/sendfile.h>
#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <utility>

#include "asgi/protocol/status.hpp"
#include "asgi/protocol/websocket_handshake.hpp"
#include "asgi/server/http_exchange.hpp"
#include "asgi/server/logging.hpp"
#include "asgi/server/websocket_session.hpp"

namespace asgi::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr std::size_t read_chunk = 16 * 1024;
constexpr std::size_t idle_read_chunk = 1024;  // most request heads fit; bigger ones grow it
constexpr auto linger_time = std::chrono::seconds(2);  // hardening.md §1: let the client read
// When an idle connection parks (see park()). After its first request, soon: most such
// connections are done (or a browser's spare). After that, sixteen times its usual gap between
// requests within bounds: a park and wake cost about 2 µs and a system call, so a client with a
// steady rhythm never pays for them, and a busy connection's deadline timer fires at most a few
// times a second instead of every few requests.
constexpr auto park_after_first_request = std::chrono::milliseconds(25);
constexpr auto park_after_min = std::chrono::milliseconds(250);
constexpr auto park_after_max = std::chrono::seconds(2);
constexpr int park_after_gaps = 16;
// Responses up to this size are copied into one buffer and sent with send(2) (see try_write).
constexpr std::size_t coalesce_limit = 2048;
// After a read-ahead found nothing, the next 8 requests wait for readiness instead; after each
// further miss in a row twice as many, up to 64 (a lone client with gaps between its requests
// then rarely pays for an attempt).
constexpr std::uint8_t read_ahead_first_skip = 8;
constexpr std::uint8_t read_ahead_max_skip = 64;

void release(std::string& s) {
  std::string().swap(s);
}

// Advances `buffers` past the first `sent` bytes.
template <std::size_t N>
void drop_sent(std::array<net::const_buffer, N>& buffers, std::size_t sent) {
  for (net::const_buffer& buffer : buffers) {
    std::size_t step = std::min(sent, buffer.size());
    buffer += step;
    sent -= step;
  }
}
void drop_sent(net::const_buffer& buffer, std::size_t sent) {
  buffer += sent;
}

// One non-blocking send (a gather send for several buffers, a plain send(2) for one). Most
// responses fit in the socket's send buffer, and an asynchronous write would take another trip
// through the event loop even when it completes at once. True when nothing is left to send (or
// `ec` is set); otherwise `buffers` holds the rest.
template <class Buffers>
bool send_now(tcp::socket& socket, Buffers& buffers, boost::system::error_code& ec) {
  std::size_t sent = socket.write_some(buffers, ec);
  if (ec == net::error::would_block || ec == net::error::try_again) {
    ec = {};
    sent = 0;
  }
  drop_sent(buffers, sent);
  return ec || net::buffer_size(buffers) == 0;
}

// send_now, then asynchronously what did not fit.
template <std::size_t N>
net::awaitable<boost::system::error_code> send_all(tcp::socket& socket,
                                                   std::array<net::const_buffer, N> buffers) {
  boost::system::error_code ec;
  if (!send_now(socket, buffers, ec)) {
    auto [async_ec, n] =
        co_await net::async_write(socket, buffers, net::as_tuple(net::use_awaitable));
    (void)n;
    ec = async_ec;
  }
  co_return ec;
}

Address to_address(const tcp::endpoint& endpoint) {
  return {endpoint.address().to_string(), endpoint.port()};
}

template <class Duration>
Connection::Clock::duration to_clock(Duration d) {
  return std::chrono::duration_cast<Connection::Clock::duration>(d);
}

}  // namespace

Connection::Connection(tcp::socket socket, Worker& worker)
    : socket_(std::move(socket)),
      worker_(worker),
      parser_(std::make_unique<protocol::RequestParser>(worker.config().limits)),
      timer_(socket_.get_executor()) {
  info_.root_path = worker.config().root_path;
  worker_.add(this);
}

Connection::~Connection() {
  worker_.remove(this);
}

void Connection::begin_shutdown() {
  boost::system::error_code ec;
  if (idle_) socket_.cancel(ec);           // read_head sees the shutdown and closes quietly
  if (websocket_) websocket_->shutdown();  // close 1012
}

Connection::Clock::duration Connection::send_timeout() const {
  return to_clock(config().timeout_send);
}

void Connection::cancel() {
  cancel_signal_.emit(net::cancellation_type::terminal);
  boost::system::error_code ec;
  socket_.cancel(ec);
}

// ---- the request loop -------------------------------------------------------------------------

void Connection::start() {
  boost::system::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  auto local = socket_.local_endpoint(ec);
  if (ec) return;  // the client left before we looked
  info_.client = to_address(remote);
  info_.server = to_address(local);
  client_label_ = info_.client->host + ":" + std::to_string(remote.port());
  socket_.set_option(tcp::no_delay(true), ec);  // we coalesce writes ourselves
  socket_.non_blocking(true, ec);               // write() tries a plain send first
  serve_in_coroutine();
}

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
  net::co_spawn(socket_.get_executor(), std::move(serve),
                net::bind_cancellation_slot(cancel_signal_.slot(), std::move(done)));
}

// ---- the request loop -------------------------------------------------------------------------

net::awaitable<Connection::ServeEnd> Connection::serve() {
  // A cancellation (shutdown timeout) aborts the pending operation; our own cleanup after it must
  // still be able to await.
  co_await net::this_coro::throw_if_cancelled(false);
  bool linger = false;
  bool keep_alive = true;
  if (std::exchange(serve_declined_upgrade_, false)) {
    // The app declined the websocket scope of the request still in the parser: serve it as HTTP.
    keep_alive = co_await serve_http(parser_->head());
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
    protocol::RequestHead& request = parser_->head();
    ++requests_served_;
    if (protocol::is_websocket_upgrade(request) && config().ws != "none") {
      bool handshake_ok = co_await check_upgrade(request);
      if (handshake_ok) co_return ServeEnd::upgraded;  // run_websocket takes over
      linger = true;  // answered with an error: let the client read it
      break;
    }
    keep_alive = co_await serve_http(request);
  }
  if (!corked_.empty()) co_await write({});
  co_await close_gracefully(linger);
  co_return ServeEnd::closed;
}

// An idle keep-alive connection gives back its coroutine frames, buffers and parser, and waits
// for its next request with a plain callback: about 1.6 KiB instead of 5 (nginx does the same
// with its buffers). The keep-alive deadline keeps running; it, a shutdown or a cancel abort the
// wait.
void Connection::park() {
  release_http_state();
  release(response_scratch_);
  release(in_flight_);
  worker_.note_parked();
  idle_ = true;
  auto wake = [self = shared_from_this()](const boost::system::error_code& ec) {
    self->unpark(ec);
  };
  // std::allocator: an exact-size block, not one of Asio's recycled (often much bigger) ones.
  socket_.async_wait(tcp::socket::wait_read, net::bind_allocator(std::allocator<void>(), wake));
}

void Connection::release_http_state() {
  input_.release_if_empty();
  parser_.reset();
}

void Connection::unpark(const boost::system::error_code& ec) {
  idle_ = false;
  boost::system::error_code ignored;
  if (ec || (shutting_down() && socket_.available(ignored) == 0)) {
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    close_now();
    return;
  }
  parser_ = std::make_unique<protocol::RequestParser>(config().limits);
  serve_in_coroutine();
}

// Parses until a request head is complete. The keep-alive timeout covers the wait for a request's
// first byte (also on a fresh connection); from that byte on, the header timeout runs.
net::awaitable<Connection::HeadResult> Connection::read_head() {
  Clock::time_point header_deadline = Clock::time_point::max();
  boost::system::error_code no_error;
  for (;;) {
    if (!input_.empty()) {
      auto result = parser_->feed(input_.data());
      input_.consume(result.consumed);
      using Status = protocol::RequestParser::Status;
      if (result.status == Status::head || result.status == Status::complete)
        co_return HeadResult::ready;
      if (result.status == Status::error) {
        co_await reject(parser_->error_status(), parser_->error_reason());
        co_return HeadResult::rejected;
      }
    }
    if (!corked_.empty()) {  // flush pipelined responses before waiting for more input
      bool written = co_await write({});
      if (!written) co_return HeadResult::closed;
    }
    bool started = parser_->message_started();
    if (!started && input_.empty() && read_ahead_due()) {
      co_await net::post(net::use_awaitable);  // the others go first
      ReadAhead read_ahead = read_ahead_now();
      if (read_ahead == ReadAhead::data) continue;
      if (read_ahead == ReadAhead::closed) co_return HeadResult::closed;
    }
    // Shutting down: a connection with no request under way closes now (bytes already in the
    // kernel buffer are a request the client sent before we stopped: serve it).
    if (!started && shutting_down() && socket_.available(no_error) == 0)
      co_return HeadResult::closed;
    if (started && header_deadline == Clock::time_point::max())
      header_deadline = Clock::now() + to_clock(config().timeout_request_header);
    Clock::time_point now = Clock::now();
    Clock::time_point keep_alive_deadline = now + to_clock(config().timeout_keep_alive);
    set_read_deadline(started ? header_deadline : keep_alive_deadline);
    if (!started) set_park_deadline(now + park_delay(now));
    // An idle connection keeps only a small buffer: a request head rarely needs more.
    if (!started && input_.capacity() > idle_read_chunk) input_.release_if_empty();
    idle_ = !started;
    auto [ec, n] = co_await socket_.async_read_some(
        input_.prepare(started ? read_chunk : idle_read_chunk), net::as_tuple(net::use_awaitable));
    idle_ = false;
    set_read_deadline(Clock::time_point::max());
    park_deadline_ = Clock::time_point::max();
    if (n == 0 && !started && shutting_down()) co_return HeadResult::closed;
    if (park_requested_) {
      park_requested_ = false;
      if (ec == net::error::operation_aborted && !read_timed_out_) {
        set_read_deadline(keep_alive_deadline);  // still runs while parked
        co_return HeadResult::parked;
      }
    }
    if (ec || n == 0) {
      if (read_timed_out_ && parser_->message_started()) {
        co_await reject(408, "Request header timeout");
        co_return HeadResult::rejected;
      }
      co_return HeadResult::closed;
    }
    input_.commit(n);
  }
}

// Under load, a keep-alive client's next request arrives while the event loop serves the other
// connections. Reading it only then, with a plain non-blocking read, saves what waiting for it
// costs (a failed read, a reactor operation and a trip through the scheduler); nginx does the
// same by tracking readiness. A connection whose request was not there yet stops trying for a
// while, so a lone client pays for a miss only now and then.
bool Connection::read_ahead_due() {
  if (requests_served_ == 0) return false;
  if (read_ahead_cooldown_ == 0) return true;
  --read_ahead_cooldown_;
  return false;
}

Connection::ReadAhead Connection::read_ahead_now() {
  boost::system::error_code ec;
  std::size_t n = socket_.read_some(input_.prepare(idle_read_chunk), ec);
  if (ec == net::error::would_block || ec == net::error::try_again) {
    read_ahead_skip_ = read_ahead_skip_ == 0
                           ? read_ahead_first_skip
                           : std::min<std::uint8_t>(read_ahead_skip_ * 2, read_ahead_max_skip);
    read_ahead_cooldown_ = read_ahead_skip_;
    return ReadAhead::not_yet;
  }
  if (ec || n == 0) return ReadAhead::closed;
  read_ahead_skip_ = 0;  // a hit: the next miss starts the backoff again
  input_.commit(n);
  return ReadAhead::data;
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
    net::co_spawn(self->socket_.get_executor(), std::move(close),
                  log::LogEscapedException{"connection"});
  };
  net::co_spawn(socket_.get_executor(), std::move(run),
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
    auto make_scope = [&] { return protocol::build_http_scope(head, info_, worker_.state()); };
    boost::asio::awaitable<void> app =
        worker_.call_app(make_scope, Receive(exchange), Send(exchange));
    co_await std::move(app);
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
  co_await write({response, {}, {}});
}

// Half-close, then drain briefly so unread request bytes don't turn our close into a reset that
// destroys the response before the client reads it (RFC 9112 §9.6).
net::awaitable<void> Connection::close_gracefully(bool linger) {
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  if (linger && !ec) {
    set_read_deadline(Clock::now() + linger_time);
    std::size_t drained = 0;
    while (drained < (1u << 20)) {
      auto [rec, n] = co_await socket_.async_read_some(input_.prepare(read_chunk),
                                                       net::as_tuple(net::use_awaitable));
      if (rec || n == 0) break;
      drained += n;
    }
  }
  close_now();
}

void Connection::close_now() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
  wake_writers();  // a queued writer sees the closed socket and gives up
}

// ---- reading and writing ------------------------------------------------------------------------

net::awaitable<Connection::ReadResult> Connection::read_more(Clock::duration timeout) {
  set_read_deadline(Clock::now() + timeout);
  auto [ec, n] = co_await socket_.async_read_some(input_.prepare(read_chunk),
                                                  net::as_tuple(net::use_awaitable));
  set_read_deadline(Clock::time_point::max());
  if (ec || n == 0) co_return read_timed_out_ ? ReadResult::timed_out : ReadResult::closed;
  input_.commit(n);
  co_return ReadResult::data;
}

void Connection::cork(protocol::WirePieces pieces) {
  corked_ += pieces.prefix;
  corked_ += pieces.data;
  corked_ += pieces.suffix;
  schedule_flush();
}

// If the next pipelined app takes its time, the corked responses must not wait for it.
void Connection::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  net::post(socket_.get_executor(), [self = shared_from_this()] {
    self->flush_scheduled_ = false;
    if (self->corked_.empty() || self->writing_ || !self->socket_.is_open()) return;
    net::co_spawn(self->socket_.get_executor(), self->write({}), [](std::exception_ptr, bool) {});
  });
}

net::awaitable<bool> Connection::acquire_output() {
  while (writing_) {   // one write at a time; later writers queue in order
    if (!write_done_)  // made on first need: most connections never have a queued writer
      write_done_ =
          std::make_unique<net::steady_timer>(socket_.get_executor(), Clock::time_point::max());
    co_await write_done_->async_wait(net::as_tuple(net::use_awaitable));  // woken by cancel()
    if (!socket_.is_open()) co_return false;
  }
  co_return take_output();
}

void Connection::wake_writers() {
  if (write_done_) write_done_->cancel();
}

bool Connection::take_output() {
  if (write_timed_out_ || !socket_.is_open()) return false;
  writing_ = true;
  in_flight_.swap(corked_);  // corks made during this write go out with the next one
  set_write_deadline(Clock::now() + to_clock(config().timeout_send));
  return true;
}

void Connection::release_output() {
  set_write_deadline(Clock::time_point::max());
  in_flight_.clear();
  writing_ = false;
  wake_writers();
}

namespace {
std::array<net::const_buffer, 4> output_buffers(const std::string& in_flight,
                                                protocol::WirePieces pieces) {
  return {net::buffer(in_flight), net::buffer(pieces.prefix), net::buffer(pieces.data),
          net::buffer(pieces.suffix)};
}
}  // namespace

net::awaitable<bool> Connection::write(protocol::WirePieces pieces) {
  std::optional<bool> written = try_write(pieces);
  if (!written) written = co_await write_rest(pieces);
  co_return *written;
}

// Every response goes through here: a coroutine frame would cost more than the rest of the write
// when the response fits in the socket buffer, which is nearly always.
std::optional<bool> Connection::try_write(protocol::WirePieces pieces) {
  if (writing_) return std::nullopt;  // queued behind the current write: write_rest waits
  if (!take_output()) return false;
  boost::system::error_code ec;
  std::size_t total =
      in_flight_.size() + pieces.prefix.size() + pieces.data.size() + pieces.suffix.size();
  std::size_t unsent = 0;
  if (total <= coalesce_limit) {
    // A small response goes out as one buffer: send(2) costs the kernel less than a sendmsg(2)
    // with its vector, and the copy is a few hundred bytes. The buffer is the thread's, so a
    // connection keeps no memory for it (idle connections stay small).
    thread_local std::string one_buffer;
    one_buffer.assign(in_flight_);
    one_buffer += pieces.prefix;
    one_buffer += pieces.data;
    one_buffer += pieces.suffix;
    net::const_buffer buffer = net::buffer(one_buffer);
    if (!send_now(socket_, buffer, ec)) unsent = buffer.size();
  } else {
    auto buffers = output_buffers(in_flight_, pieces);
    if (!send_now(socket_, buffers, ec)) unsent = net::buffer_size(buffers);
  }
  if (unsent > 0) {  // the rest goes from in_flight_ and the caller's pieces, both still intact
    partly_sent_ = total - unsent;
    return std::nullopt;
  }
  release_output();
  return !ec;
}

net::awaitable<bool> Connection::write_rest(protocol::WirePieces pieces) {
  std::size_t sent = std::exchange(partly_sent_, no_partial_write);
  if (sent == no_partial_write) {  // the output was busy: wait for it, then write all
    bool acquired = co_await acquire_output();
    if (!acquired) co_return false;
    sent = 0;
  }
  auto buffers = output_buffers(in_flight_, pieces);
  drop_sent(buffers, sent);  // what try_write already sent
  boost::system::error_code ec = co_await send_all(socket_, buffers);
  release_output();
  co_return !ec;
}

net::awaitable<bool> Connection::write_file(std::string_view prefix, int fd, std::uint64_t offset,
                                            std::uint64_t count, std::string_view suffix) {
  bool acquired = co_await acquire_output();
  if (!acquired) co_return false;
  std::array<net::const_buffer, 2> head{net::buffer(in_flight_), net::buffer(prefix)};
  boost::system::error_code ec = co_await send_all(socket_, head);
  bool ok = !ec;
  if (ok) ok = co_await send_file_bytes(fd, offset, count);
  if (ok && !suffix.empty()) {
    std::array<net::const_buffer, 1> tail{net::buffer(suffix)};
    ec = co_await send_all(socket_, tail);
    ok = !ec;
  }
  release_output();
  co_return ok;
}

// sendfile(2) on the non-blocking socket; when the socket buffer is full, wait until writable.
// The send deadline cancels the wait if the client stops reading.
net::awaitable<bool> Connection::send_file_bytes(int fd, std::uint64_t offset,
                                                 std::uint64_t count) {
  boost::system::error_code ec;
  socket_.native_non_blocking(true, ec);
  if (ec) co_return false;
  auto file_offset = static_cast<off_t>(offset);
  while (count > 0) {
    constexpr std::uint64_t max_step = 1u << 30;  // sendfile moves at most ~2 GiB per call
    ssize_t n = ::sendfile(socket_.native_handle(), fd, &file_offset,
                           static_cast<std::size_t>(std::min(count, max_step)));
    if (n > 0) {
      count -= static_cast<std::uint64_t>(n);
      continue;
    }
    if (n == 0) {
      log::error().error("File for http.response.pathsend shrank while it was being sent");
      co_return false;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) co_return false;
    arm_send_deadline();  // --timeout-send bounds a wait without progress, not the whole file
    auto [wait_ec] =
        co_await socket_.async_wait(tcp::socket::wait_write, net::as_tuple(net::use_awaitable));
    if (wait_ec) co_return false;
  }
  co_return true;
}

// ---- deadlines ----------------------------------------------------------------------------------
// One timer per connection. Operations only move deadlines; the timer fires at most once per
// timeout period and cancels the socket's operations when a deadline has passed.

void Connection::set_read_deadline(Clock::time_point when) {
  if (when != Clock::time_point::max()) read_timed_out_ = false;  // a new operation starts
  read_deadline_ = when;
  if (when != Clock::time_point::max() && (!timer_armed_ || when < timer_.expiry()))
    arm_timer(when);
}

Connection::Clock::duration Connection::park_delay(Clock::time_point idle_start) {
  if (requests_served_ == 0) return park_after_first_request;  // nothing asked yet
  if (requests_served_ > 1) {
    Clock::duration gap = idle_start - last_idle_start_;
    request_gap_ = request_gap_ == Clock::duration::zero() ? gap : (request_gap_ + gap) / 2;
  }
  last_idle_start_ = idle_start;
  if (requests_served_ == 1) return park_after_first_request;
  return std::clamp<Clock::duration>(park_after_gaps * request_gap_, park_after_min,
                                     park_after_max);
}

void Connection::set_park_deadline(Clock::time_point when) {
  park_deadline_ = when;
  if (!timer_armed_ || when < timer_.expiry()) arm_timer(when);
}

void Connection::set_write_deadline(Clock::time_point when) {
  write_deadline_ = when;
  if (when != Clock::time_point::max() && (!timer_armed_ || when < timer_.expiry()))
    arm_timer(when);
}

void Connection::arm_timer(Clock::time_point when) {
  timer_armed_ = true;
  timer_.expires_at(when);
  auto fired = [self = weak_from_this()](boost::system::error_code ec) {
    if (ec) return;  // re-armed or cancelled
    if (auto connection = self.lock()) connection->on_timer();
  };
  // std::allocator: an exact-size block, not one of Asio's recycled (often much bigger) ones; an
  // idle connection keeps this one.
  timer_.async_wait(net::bind_allocator(std::allocator<void>(), fired));
}

void Connection::on_timer() {
  timer_armed_ = false;
  Clock::time_point now = Clock::now();
  bool expired = false;
  if (now >= read_deadline_) {
    read_timed_out_ = expired = true;
    read_deadline_ = Clock::time_point::max();
  }
  if (now >= write_deadline_) {
    write_timed_out_ = expired = true;
    write_deadline_ = Clock::time_point::max();
  }
  if (now >= park_deadline_) {
    park_deadline_ = Clock::time_point::max();
    if (idle_) park_requested_ = expired = true;  // read_head returns `parked`, then park()
  }
  if (expired) {
    boost::system::error_code ec;
    socket_.cancel(ec);
  }
  Clock::time_point next = std::min({read_deadline_, write_deadline_, park_deadline_});
  if (next != Clock::time_point::max()) arm_timer(next);
}

}  // namespace asgi::server
