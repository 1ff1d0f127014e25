#include "websocket_session_state.hpp"

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/co_spawn.hpp>

namespace asgi::server {

namespace {

// The close code the app is told about, for an error that ended the read loop (hardening §7).
int close_code_for(const beast::error_code& ec) {
  if (ec == websocket::error::message_too_big) return 1009;
  if (ec == websocket::error::bad_frame_payload || ec == websocket::error::bad_close_payload)
    return 1007;
  if (ec == websocket::condition::protocol_violation) return 1002;
  return 1006;  // the connection dropped without a close frame
}

}  // namespace

// The reader's and the pinger's continuations (static: this file's own).
static void on_read(std::shared_ptr<WebSocketSession> session, WebSocketSession::Impl& s,
                    beast::error_code ec);
static net::awaitable<void> ping_once(std::shared_ptr<WebSocketSession> session,
                                      WebSocketSession::Impl& s);

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

static void on_read(std::shared_ptr<WebSocketSession> session, WebSocketSession::Impl& s,
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
    s.reader_done.notify_all();
    return;
  }
  if (!s.ws->is_message_done()) return start_read(std::move(session), s);
  const auto* data = static_cast<const char*>(s.read_buffer.data().data());
  std::string payload(data, s.read_buffer.size());
  s.read_buffer.consume(payload.size());
  if (s.read_buffer.capacity() > 64 * 1024) s.read_buffer = beast::flat_buffer();  // stay small
  s.queued_bytes += payload.size();
  if (LoopMetrics* metrics = s.connection->worker().metrics())
    LoopHistogram::bump(metrics->websocket_messages_in);
  if (s.ws->got_text())
    s.queue.emplace_back(std::nullopt, std::move(payload));
  else
    s.queue.emplace_back(std::move(payload), std::nullopt);
  s.messages.notify_all();
  if (!s.closed && s.queue_full())
    s.reader_paused = true;
  else
    start_read(std::move(session), s);
}

void WebSocketSession::Impl::resume_reader() {
  if (!reader_paused) return;
  reader_paused = false;
  start_read(owner->shared_from_this(), *this);
}

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

static net::awaitable<void> ping_once(std::shared_ptr<WebSocketSession> session,
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
    co_await s.ping_timer.async_wait(net::as_tuple(net::use_awaitable));
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

}  // namespace asgi::server
