#pragma once
// The state a WebSocket session shares between its parts (websocket_session.cpp: the app's receive,
// send and run; websocket_accept.cpp: the handshake; websocket_reader.cpp: the frame reader and
// keepalive pings). Private to the server: Beast appears only here and in those files.

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffered_read_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asgi/protocol/request_head.hpp"
#include "asgi/protocol/response_encoder.hpp"
#include "asgi/protocol/scope_builder.hpp"
#include "asgi/protocol/websocket_cycle.hpp"
#include "asgi/server/connection.hpp"
#include "asgi/server/logging.hpp"
#include "asgi/server/websocket_session.hpp"
#include "asgi/wait_queue.hpp"
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
// Beast finds a next layer's teardown by argument-dependent lookup; delegate to the socket's. An
// in-memory stream has no socket: its teardown is the half-close and close Beast's would do.
template <class TeardownHandler>
void async_teardown(role_type role, PreloadedSocket& stream, TeardownHandler&& handler) {
  asgi::server::Transport& transport = stream.next_layer().next_layer();
  if (transport.in_memory()) {
    transport.shutdown_send();
    transport.close();
    net::post(transport.get_executor(),
              net::append(std::forward<TeardownHandler>(handler), error_code()));
    return;
  }
  if (transport.is_tls()) transport.tls().send_close_notify();  // then the socket's teardown
  websocket::async_teardown(role, transport.socket(), std::forward<TeardownHandler>(handler));
}
inline void teardown(role_type role, PreloadedSocket& stream, error_code& ec) {
  asgi::server::Transport& transport = stream.next_layer().next_layer();
  if (transport.in_memory()) {
    transport.shutdown_send();
    transport.close();
    ec = {};
    return;
  }
  if (transport.is_tls()) transport.tls().send_close_notify();
  websocket::teardown(role, transport.socket(), ec);
}
}  // namespace boost::beast

namespace asgi::server {

using Clock = boost::asio::steady_timer::clock_type;
inline constexpr auto close_grace = std::chrono::seconds(5);  // for the client's close reply
inline constexpr std::size_t max_queued_bytes = 1u << 20;     // reading pauses above this, too

struct WebSocketSession::Impl {
  Impl(std::shared_ptr<Connection> c, protocol::RequestHead h, std::vector<std::string> offered)
      : connection(std::move(c)),
        head(std::make_unique<protocol::RequestHead>(std::move(h))),
        target(head->target),
        cycle(offered),
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
  WaitQueue messages;  ///< the app waits in receive() for a message or the close
  // send side
  bool writing = false;
  WaitQueue writes;       ///< writers wait for the write in progress (one at a time)
  WaitQueue reader_done;  ///< run() waits for the reader to see the close handshake end
  boost::asio::steady_timer ping_timer;
  /// A close handshake the peer does not finish is cut short; made on first need (an idle
  /// WebSocket should cost little).
  std::unique_ptr<boost::asio::steady_timer> grace_timer;
  Clock::time_point last_pong = Clock::now();
  std::uint32_t ping_sequence = 0;

  boost::asio::any_io_executor executor() const { return connection->transport().get_executor(); }

  const Config& config() const { return connection->config(); }
  /// Backpressure: reading pauses while the app has this much waiting for it.
  bool queue_full() const {
    return queue.size() >= config().ws_max_queue || queued_bytes >= max_queued_bytes;
  }

  std::string log_target() const { return protocol::target_for_log(target); }
  void log_access(std::string_view outcome) const {
    if (log::json_logs()) {
      std::string message = fmt::format("{} - \"WebSocket {}\" {}", connection->client_label(),
                                        log_target(), outcome);
      std::string_view client = connection->client_label();
      log::access_json(message,
                       {{"client", client.empty() ? log::LogField::second_type(nullptr) : client},
                        {"websocket", std::string_view(target)},
                        {"outcome", outcome}});
      return;
    }
    if (spdlog::logger* access = log::access())
      access->info("{} - \"WebSocket {}\" {}", connection->client_label(), log_target(), outcome);
  }

  boost::asio::awaitable<void> lock_writes() {
    while (writing) co_await writes.wait();
    writing = true;
  }
  void unlock_writes() {
    writing = false;
    writes.notify_all();
  }

  // Once a close frame went either way, the peer gets close_grace to finish the handshake and
  // close TCP; after that the socket is closed under it (a peer must not hold us open).
  void arm_close_grace() {
    if (!grace_timer) grace_timer = std::make_unique<boost::asio::steady_timer>(executor());
    grace_timer->expires_after(close_grace);
    grace_timer->async_wait([this](boost::system::error_code ec) {
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
    messages.notify_all();  // the app's next receive() is the disconnect with this code
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
    messages.notify_all();
    ping_timer.cancel();
    resume_reader();  // it reads on until the close handshake ends
  }

  /// Restarts the reader paused by a full queue.
  void resume_reader();
};

/// Completes the handshake the app accepted; false if the client is gone.
boost::asio::awaitable<bool> accept_websocket(WebSocketSession::Impl& s,
                                              const WebSocketAccept& message);
/// Starts the frame reader (see websocket_reader.cpp).
void start_read(std::shared_ptr<WebSocketSession> session, WebSocketSession::Impl& s);
/// Starts the keepalive pings (Uvicorn's semantics: no pong within the timeout -> 1011).
void schedule_ping(std::shared_ptr<WebSocketSession> session, WebSocketSession::Impl& s);

}  // namespace asgi::server
