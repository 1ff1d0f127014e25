#include "asgi/server/websocket_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffered_read_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <cstring>
#include <optional>

#include "asgi/errors.hpp"
#include "asgi/protocol/app_ending.hpp"
#include "asgi/protocol/http_date.hpp"
#include "asgi/protocol/response_encoder.hpp"
#include "asgi/protocol/scope_builder.hpp"
#include "asgi/protocol/status.hpp"
#include "asgi/protocol/websocket_cycle.hpp"
#include "asgi/server/connection.hpp"
#include "asgi/server/logging.hpp"
#include "scanned_socket.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

// Bytes read together with the handshake (the first frame may share its TCP segment) are
// preloaded into this stream's buffer before Beast reads from the socket (through the scanner
// that sees the client's real close code).
using PreloadedSocket =
    beast::buffered_read_stream<asgi::server::ScannedSocket, beast::flat_buffer>;

namespace boost::beast {
// Beast finds a next layer's teardown by argument-dependent lookup; delegate to the socket's.
template <class TeardownHandler>
void async_teardown(role_type role, PreloadedSocket& stream, TeardownHandler&& handler) {
  websocket::async_teardown(role, stream.next_layer().next_layer().socket(),
                            std::forward<TeardownHandler>(handler));
}
inline void teardown(role_type role, PreloadedSocket& stream, error_code& ec) {
  websocket::teardown(role, stream.next_layer().next_layer().socket(), ec);
}
}  // namespace boost::beast

namespace asgi::server {

namespace {

using Clock = net::steady_timer::clock_type;
constexpr auto close_grace = std::chrono::seconds(5);  // for the client's close reply
constexpr std::size_t max_queued_bytes = 1u << 20;     // reading pauses above this, too

// The close code the app is told about, for an error that ended the read loop (hardening §7).
int close_code_for(const beast::error_code& ec) {
  if (ec == websocket::error::message_too_big) return 1009;
  if (ec == websocket::error::bad_frame_payload || ec == websocket::error::bad_close_payload)
    return 1007;
  if (ec == websocket::condition::protocol_violation) return 1002;
  return 1006;  // the connection dropped without a close frame
}

// Whether the client's permessage-deflate offer names client_max_window_bits, read the way Beast
// reads the offer: the first Sec-WebSocket-Extensions field, its first permessage-deflate.
bool offers_client_window_bits(const protocol::RequestHead& head) {
  for (auto [name, value] : head.headers) {
    if (!beast::iequals(name, "sec-websocket-extensions")) continue;
    for (const auto& offer : beast::http::ext_list(value)) {
      if (!beast::iequals(offer.first, "permessage-deflate")) continue;
      for (const auto& param : offer.second)
        if (beast::iequals(param.first, "client_max_window_bits")) return true;
      return false;
    }
    return false;
  }
  return false;
}

// Waits on a timer used as a condition variable (woken by cancel()).
net::awaitable<void> wait_on(net::steady_timer& timer) {
  co_await timer.async_wait(net::as_tuple(net::use_awaitable));
}

}  // namespace

// A timer made on first use: most sessions never need most of their timers, and an idle
// WebSocket should cost little (each timer is about 120 bytes).
class LazyTimer {
 public:
  net::steady_timer& get(const net::any_io_executor& executor) {
    if (!timer_) timer_ = std::make_unique<net::steady_timer>(executor, Clock::time_point::max());
    return *timer_;
  }
  void cancel() {
    if (timer_) timer_->cancel();
  }

 private:
  std::unique_ptr<net::steady_timer> timer_;
};

struct WebSocketSession::Impl {
  Impl(std::shared_ptr<Connection> c, protocol::RequestHead h, std::vector<std::string> offered)
      : connection(std::move(c)),
        head(std::make_unique<protocol::RequestHead>(std::move(h))),
        target(head->target),
        cycle(offered),
        receive_wakeup(connection->transport().get_executor(), Clock::time_point::max()),
        ping_timer(connection->transport().get_executor()) {}

  std::shared_ptr<Connection> connection;
  std::unique_ptr<protocol::RequestHead> head;  ///< until the handshake is done
  std::string target;                           ///< for the logs
  protocol::WebSocketCycle cycle;
  std::optional<websocket::stream<PreloadedSocket>> ws;
  // websocket.http.response; on the heap: few sessions deny, and every idle one would carry it
  std::unique_ptr<protocol::ResponseEncoder> denial;

  // receive side
  bool touched = false;  // the app called receive() or send()
  bool connect_delivered = false;
  bool disconnect_delivered = false;
  std::vector<WebSocketReceive> queue;  // a deque would allocate even while empty
  std::size_t queued_bytes = 0;
  bool closed = false;   // no more frames will arrive
  bool closing = false;  // we started the close handshake
  int close_code = 1006;
  std::string close_reason;
  bool reader_running = false;
  bool reader_paused = false;  // the queue is full: receive() restarts the reader
  beast::flat_buffer read_buffer;
  WebSocketSession* owner = nullptr;
  net::steady_timer receive_wakeup;  // the app waits for messages
  // send side
  bool writing = false;
  LazyTimer write_idle;
  LazyTimer done_wakeup;
  net::steady_timer ping_timer;
  LazyTimer grace_timer;  // a close handshake the peer does not finish is cut short
  Clock::time_point last_pong = Clock::now();
  std::uint32_t ping_sequence = 0;

  net::any_io_executor executor() const { return connection->transport().get_executor(); }

  const Config& config() const { return connection->config(); }
  /// Backpressure: reading pauses while the app has this much waiting for it.
  bool queue_full() const {
    return queue.size() >= config().ws_max_queue || queued_bytes >= max_queued_bytes;
  }

  std::string log_target() const { return protocol::target_for_log(target); }
  void log_access(std::string_view outcome) const {
    if (spdlog::logger* access = log::access())
      access->info("{} - \"WebSocket {}\" {}", connection->client_label(), log_target(), outcome);
  }

  net::awaitable<void> lock_writes() {
    while (writing) {
      net::steady_timer& idle = write_idle.get(executor());
      co_await wait_on(idle);
    }
    writing = true;
  }
  void unlock_writes() {
    writing = false;
    write_idle.cancel();
  }

  // Once a close frame went either way, the peer gets close_grace to finish the handshake and
  // close TCP; after that the socket is closed under it (a peer must not hold us open).
  void arm_close_grace() {
    net::steady_timer& timer = grace_timer.get(executor());
    timer.expires_after(close_grace);
    timer.async_wait([this](boost::system::error_code ec) {
      if (ec || !reader_running) return;  // cancelled (session gone) or already finished
      connection->transport().close();
    });
  }

  // Records a close we initiate; false if the connection is already closing or closed.
  bool begin_close(int code, std::string reason) {
    if (closed || closing || !ws) return false;
    closing = true;
    close_code = code;
    close_reason = std::move(reason);
    cycle.on_closed();
    receive_wakeup.cancel();  // the app's next receive() is the disconnect with this code
    ping_timer.cancel();
    arm_close_grace();
    return true;
  }

  // Answers the client's Close with `code` instead of Beast's echo of the client's code; the
  // app's disconnect gets `code` and `reason`. Only from the control callback: Beast calls it
  // before it writes its reply, and skips the reply once a close of ours is under way (behind a
  // write in progress, ours is queued ahead of Beast's).
  void answer_close(int code, std::string reason) {
    if (!begin_close(code, std::move(reason))) return;
    ws->async_close(websocket::close_reason(static_cast<websocket::close_code>(code)),
                    [keep = owner->shared_from_this()](beast::error_code) {});
  }

  void end(int code, std::string reason) {
    if (!closed && !closing) {
      close_code = code;
      close_reason = std::move(reason);
    }
    closed = true;
    cycle.on_closed();
    receive_wakeup.cancel();
    ping_timer.cancel();
    resume_reader();  // it reads on until the close handshake ends
  }

  void resume_reader();
};

WebSocketSession::WebSocketSession(std::shared_ptr<Connection> connection,
                                   protocol::RequestHead head,
                                   std::vector<std::string> subprotocols)
    : impl_(
          std::make_unique<Impl>(std::move(connection), std::move(head), std::move(subprotocols))) {
  impl_->owner = this;
}

WebSocketSession::~WebSocketSession() = default;

// ---- receive
// -------------------------------------------------------------------------------------

net::awaitable<Event> WebSocketSession::receive() {
  Impl& s = *impl_;
  s.touched = true;
  if (!s.connect_delivered) {
    s.connect_delivered = true;
    co_return WebSocketConnect{};
  }
  while (s.queue.empty() && !s.closed && !s.closing)  // woken by cancel(); no helper frame
    co_await s.receive_wakeup.async_wait(net::as_tuple(net::use_awaitable));
  if (!s.queue.empty()) {
    WebSocketReceive message = std::move(s.queue.front());
    s.queue.erase(s.queue.begin());  // at most ws_max_queue (32) entries: cheap
    s.queued_bytes -= message.bytes ? message.bytes->size() : message.text->size();
    if (!s.queue_full()) s.resume_reader();  // room again
    co_return message;
  }
  if (s.disconnect_delivered) throw ClientDisconnected();  // websocket.disconnect comes once
  s.disconnect_delivered = true;
  co_return WebSocketDisconnect(s.close_code, s.close_reason);
}

// ---- send
// ----------------------------------------------------------------------------------------

namespace {

void start_read(std::shared_ptr<WebSocketSession> session, WebSocketSession::Impl& s);
void on_read(std::shared_ptr<WebSocketSession> session, WebSocketSession::Impl& s,
             beast::error_code ec);
void schedule_ping(std::shared_ptr<WebSocketSession> session, WebSocketSession::Impl& s);
net::awaitable<void> ping_once(std::shared_ptr<WebSocketSession> session,
                               WebSocketSession::Impl& s);

// Completes the handshake: Beast validates it again and writes the 101 with the negotiated
// permessage-deflate, our default headers, the chosen subprotocol and the app's headers.
net::awaitable<bool> accept(WebSocketSession::Impl& s, const WebSocketAccept& message) {
  const Config& config = s.config();
  s.ws.emplace(s.connection->transport());
  ReadBuffer& input = s.connection->input();
  if (!input.empty()) {
    auto space = s.ws->next_layer().buffer().prepare(input.size());
    std::memcpy(space.data(), input.data().data(), input.size());
    s.ws->next_layer().next_layer().scanner().scan(static_cast<char*>(space.data()), input.size());
    s.ws->next_layer().buffer().commit(input.size());
    input.consume(input.size());
  }
  websocket::stream<PreloadedSocket>& ws = *s.ws;
  ws.read_message_max(config.ws_max_size);
  ws.auto_fragment(false);
  websocket::permessage_deflate deflate;
  deflate.server_enable = config.ws_per_message_deflate;
  // Smaller windows than zlib's defaults keep a compressed connection near 40 KiB instead of
  // 256 KiB (the trade Uvicorn's websockets backend makes too).
  deflate.server_max_window_bits = 12;
  // A client whose offer has no client_max_window_bits (some browsers) may compress with the
  // full 32 KiB window, and the response must not limit it (RFC 7692 §7.1.2.2): Beast accepts
  // that offer only when our inflater takes 15 bits, so such a connection gets them.
  deflate.client_max_window_bits = offers_client_window_bits(*s.head) ? 12 : 15;
  deflate.memLevel = 5;
  ws.set_option(deflate);
  ws.set_option(websocket::stream_base::timeout{std::chrono::seconds(30),
                                                websocket::stream_base::none(), false});
  std::vector<std::pair<std::string, std::string>> extra;
  for (auto [name, value] : message.headers) extra.emplace_back(name, value);
  ws.set_option(websocket::stream_base::decorator(
      [&config, subprotocol = message.subprotocol, extra](websocket::response_type& response) {
        response.erase(beast::http::field::server);
        if (config.date_header)
          response.set(beast::http::field::date, protocol::cached_http_date());
        if (config.server_header) response.set(beast::http::field::server, "asgiserver");
        if (subprotocol) response.set(beast::http::field::sec_websocket_protocol, *subprotocol);
        for (const auto& [name, value] : extra) response.insert(name, value);
      }));
  ws.control_callback([&s](websocket::frame_type kind, beast::string_view payload) {
    if (kind == websocket::frame_type::pong) s.last_pong = Clock::now();
    if (kind != websocket::frame_type::close) return;
    // The client closed: tell the app now, not when (or if) the client also closes TCP.
    // Beast passes the reason as the payload and has already stored the code.
    auto code = s.ws->reason().code;
    // Beast saw 1014 as the scanner's stand-in (it refuses 1014 itself): answer 1014.
    if (code == protocol::WebSocketCloseScanner::stand_in_code &&
        s.ws->next_layer().next_layer().scanner().close_code() == 1014) {
      s.answer_close(1014, std::string(payload.data(), payload.size()));
      return;
    }
    if (code != websocket::close_code::none && !protocol::is_valid_close_code(code)) {
      // Beast takes any code from 3000 up; RFC 6455 §7.4 ends at 4999: a protocol error.
      s.answer_close(1002, "");
      return;
    }
    s.end(code == websocket::close_code::none ? 1005 : static_cast<int>(code),
          std::string(payload.data(), payload.size()));
    s.arm_close_grace();
  });

  beast::http::request<beast::http::empty_body> request;
  request.method_string(s.head->method);
  request.target(s.head->target);
  request.version(s.head->http_major * 10 + s.head->http_minor);
  for (auto [name, value] : s.head->headers) request.insert(name, value);
  co_await s.lock_writes();
  auto [ec] = co_await ws.async_accept(request, net::as_tuple(net::use_awaitable));
  s.unlock_writes();
  if (ec) {
    s.end(1006, "");
    co_return false;
  }
  s.log_access("[accepted]");
  // From here on only frames arrive: the HTTP side's buffer, parser and request head can go.
  s.connection->release_http_state();
  s.head.reset();
  co_return true;
}

}  // namespace

net::awaitable<void> WebSocketSession::send(Message message) {
  Impl& s = *impl_;
  s.touched = true;
  if (s.closed && !s.closing && s.cycle.state() != protocol::WebSocketCycle::State::handshake)
    throw ClientDisconnected();
  switch (s.cycle.on_send(message)) {
    case protocol::WebSocketCycle::Action::accept: {
      bool accepted = co_await accept(s, std::get<WebSocketAccept>(message));
      if (!accepted) throw ClientDisconnected();
      s.reader_running = true;
      start_read(shared_from_this(), s);
      if (s.config().ws_ping_interval.count() > 0) schedule_ping(shared_from_this(), s);
      break;
    }
    case protocol::WebSocketCycle::Action::send: {
      auto& payload = std::get<WebSocketSend>(message);
      bool text = payload.text.has_value();
      const std::string& data = text ? *payload.text : *payload.bytes;
      co_await s.lock_writes();
      s.ws->text(text);
      s.connection->output().arm_send_deadline();
      auto [ec, written] =
          co_await s.ws->async_write(net::buffer(data), net::as_tuple(net::use_awaitable));
      (void)written;
      s.connection->output().clear_send_deadline();
      s.unlock_writes();
      if (ec) {
        s.end(1006, "");
        throw ClientDisconnected();
      }
      break;
    }
    case protocol::WebSocketCycle::Action::close: {
      // The close handshake runs on its own: the app does not wait for the client's reply.
      auto& close = std::get<WebSocketClose>(message);
      if (s.begin_close(close.code, close.reason))
        net::co_spawn(s.connection->transport().get_executor(), close_handshake(),
                      log::LogEscapedException{"websocket close"});
      break;
    }
    case protocol::WebSocketCycle::Action::deny_with_403: {
      s.log_access("403");
      std::string response = protocol::ResponseEncoder::error_response(
          403, "", s.connection->worker().response_defaults());
      co_await s.connection->output().write({response, {}, {}});
      s.end(1006, "");
      break;
    }
    case protocol::WebSocketCycle::Action::deny_start: {
      auto& start = std::get<WebSocketHttpResponseStart>(message);
      protocol::ResponseOptions options = s.connection->worker().response_defaults();
      options.request_keep_alive = false;  // the connection ends with the denial
      s.denial = std::make_unique<protocol::ResponseEncoder>(options);
      s.denial->start(HttpResponseStart(start.status, start.headers));
      s.log_access(std::to_string(start.status));
      break;
    }
    case protocol::WebSocketCycle::Action::deny_body:
    case protocol::WebSocketCycle::Action::deny_end: {
      auto& body = std::get<WebSocketHttpResponseBody>(message);
      HttpResponseBody chunk(body.body, body.more_body);
      bool written = co_await s.connection->output().write(s.denial->body(chunk));
      if (!body.more_body || !written) s.end(1006, "");
      if (!written) throw ClientDisconnected();
      break;
    }
  }
}

// Starts the close handshake with `code` (once); the app's disconnect event carries it.
net::awaitable<void> WebSocketSession::close_connection(int code, std::string reason) {
  if (impl_->begin_close(code, std::move(reason))) co_await close_handshake();
}

net::awaitable<void> WebSocketSession::close_handshake() {
  Impl& s = *impl_;
  co_await s.lock_writes();
  auto [ec] = co_await s.ws->async_close(
      websocket::close_reason(static_cast<websocket::close_code>(s.close_code), s.close_reason),
      net::as_tuple(net::use_awaitable));
  s.unlock_writes();
  (void)ec;  // the read loop learns the outcome and ends the session
}

void WebSocketSession::shutdown() {
  Impl& s = *impl_;
  if (!s.ws || s.closed || s.closing) return;
  net::co_spawn(s.connection->transport().get_executor(), close_connection(1012, ""),
                log::LogEscapedException{"websocket shutdown"});
}

namespace {

// The reader: one Beast read at a time, restarted from its own completion handler (a callback,
// so an idle WebSocket parks no coroutine), paused while the app has not taken what arrived
// (backpressure). A message's first read asks for little, so idle sockets keep a small buffer.
void start_read(std::shared_ptr<WebSocketSession> session, WebSocketSession::Impl& s) {
  constexpr std::size_t first_read = 512, next_reads = 64 * 1024;
  std::size_t limit = s.read_buffer.size() == 0 ? first_read : next_reads;
  auto done = [session, &s](beast::error_code ec, std::size_t) mutable {
    on_read(std::move(session), s, ec);
  };
  s.ws->async_read_some(s.read_buffer, limit, std::move(done));
}

void on_read(std::shared_ptr<WebSocketSession> session, WebSocketSession::Impl& s,
             beast::error_code ec) {
  if (ec) {
    if (ec == websocket::error::closed) {
      auto reason = s.ws->reason();
      s.end(reason.code == websocket::close_code::none ? 1005 : static_cast<int>(reason.code),
            std::string(reason.reason.data(), reason.reason.size()));
    } else {
      s.end(close_code_for(ec), "");
    }
    s.reader_running = false;
    s.done_wakeup.cancel();
    return;
  }
  if (!s.ws->is_message_done()) return start_read(std::move(session), s);
  const auto* data = static_cast<const char*>(s.read_buffer.data().data());
  std::string payload(data, s.read_buffer.size());
  s.read_buffer.consume(payload.size());
  if (s.read_buffer.capacity() > 64 * 1024) s.read_buffer = beast::flat_buffer();  // stay small
  s.queued_bytes += payload.size();
  if (s.ws->got_text())
    s.queue.emplace_back(std::nullopt, std::move(payload));
  else
    s.queue.emplace_back(std::move(payload), std::nullopt);
  s.receive_wakeup.cancel();
  if (!s.closed && s.queue_full())
    s.reader_paused = true;
  else
    start_read(std::move(session), s);
}

}  // namespace

void WebSocketSession::Impl::resume_reader() {
  if (!reader_paused) return;
  reader_paused = false;
  start_read(owner->shared_from_this(), *this);
}

namespace {

// Keepalive (Uvicorn's semantics): a ping every interval; no pong within the timeout -> 1011.
// Between pings only a timer callback waits (no coroutine frames parked on an idle socket).
void schedule_ping(std::shared_ptr<WebSocketSession> session, WebSocketSession::Impl& s) {
  if (s.closed || s.closing) return;
  s.ping_timer.expires_after(to_clock(s.config().ws_ping_interval));
  auto fire = [session, &s](boost::system::error_code ec) mutable {
    if (ec || s.closed || s.closing) return;
    net::co_spawn(s.executor(), ping_once(std::move(session), s),
                  log::LogEscapedException{"websocket ping"});
  };
  s.ping_timer.async_wait(net::bind_allocator(std::allocator<void>(), std::move(fire)));
}

net::awaitable<void> ping_once(std::shared_ptr<WebSocketSession> session,
                               WebSocketSession::Impl& s) {
  const Config& config = s.config();
  Clock::time_point sent = Clock::now();
  std::string payload = std::to_string(++s.ping_sequence);
  co_await s.lock_writes();
  auto [ec] = co_await s.ws->async_ping(websocket::ping_data(payload.c_str()),
                                        net::as_tuple(net::use_awaitable));
  s.unlock_writes();
  if (!ec && config.ws_ping_timeout.count() > 0) {
    s.ping_timer.expires_after(to_clock(config.ws_ping_timeout));
    co_await wait_on(s.ping_timer);
    if (s.closed || s.closing) co_return;
    if (s.last_pong < sent) {
      log::error().info("WebSocket {} closed: keepalive ping timeout",
                        s.connection->client_label());
      co_await session->close_connection(1011, "keepalive ping timeout");
      co_return;
    }
  }
  schedule_ping(std::move(session), s);
}

}  // namespace

// ---- the session
// ---------------------------------------------------------------------------------

net::awaitable<WebSocketSession::Outcome> WebSocketSession::run() {
  // A cancellation (shutdown timeout) aborts the pending operation; the cleanup after it must
  // still be able to await.
  co_await net::this_coro::throw_if_cancelled(false);
  Impl& s = *impl_;
  auto self = shared_from_this();
  std::exception_ptr error;
  try {
    // Built straight into the app's parameter: the scope lives in the app's frame only.
    auto make_scope = [&s] {
      return protocol::build_websocket_scope(*s.head, s.connection->info(),
                                             s.connection->worker().state(), s.cycle.offered());
    };
    net::awaitable<void> app =
        s.connection->worker().call_app(make_scope, Receive(self), Send(self));
    co_await std::move(app);
  } catch (...) {
    error = std::current_exception();
  }
  co_await net::this_coro::reset_cancellation_state();

  bool raised = error && !is_client_disconnected(error);
  if (raised && !s.touched) co_return Outcome::declined;  // an HTTP-only app: serve as HTTP
  using State = protocol::WebSocketCycle::State;
  protocol::AppExit exit = raised  ? protocol::AppExit::raised
                           : error ? protocol::AppExit::client_gone
                                   : protocol::AppExit::returned;
  protocol::ResponseProgress progress{
      .complete = s.closed || s.closing,
      .accepted = s.ws.has_value(),
      .denied = s.cycle.state() != State::handshake && !s.ws.has_value()};
  protocol::AppEnding ending = protocol::websocket_app_ending(exit, progress);
  if (raised) {
    log::error().error("Exception in ASGI application while serving \"WebSocket {}\": {}",
                       s.log_target(), describe_exception(error));
  } else if (!ending.problem.empty()) {
    log::error().error("{}", ending.problem);
  }
  if (ending.http_status) {
    s.log_access(std::to_string(ending.http_status));
    std::string response = protocol::ResponseEncoder::error_response(
        ending.http_status, ending.http_status == 500 ? "Internal Server Error" : "",
        s.connection->worker().response_defaults());
    co_await s.connection->output().write({response, {}, {}});
  } else if (ending.close_code) {
    co_await close_connection(ending.close_code, "");  // never just drop the socket
  }
  // Let the read loop see the client's close reply, but not forever.
  auto deadline = Clock::now() + close_grace;
  while (s.reader_running && Clock::now() < deadline) {
    net::steady_timer& done = s.done_wakeup.get(s.executor());
    done.expires_at(deadline);
    co_await wait_on(done);
  }
  s.ping_timer.cancel();
  if (s.reader_running) {
    s.connection->transport().close();
  }
  co_return Outcome::served;
}

}  // namespace asgi::server
