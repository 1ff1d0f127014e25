#pragma once
// One client connection on its worker's single thread: reads requests and runs one HTTP exchange
// (the app) per request, strictly in order; hands the connection to a WebSocket session on an
// upgrade; parks while idle. The byte stream is a Transport, the writes go through its Output, the
// timeouts through its Deadlines, the reading and parsing of requests through its RequestReader.
//
// A connection's life:
//
//   start ──> serve() ──────────────────────────────────────────────> close (graceful: half-close,
//    (coroutine: the request loop; first the PROXY      then drain briefly)
//     header and the TLS handshake where configured)
//      │  read_head ─> serve_http (one HttpExchange per request) ─┐    ^
//      │      ^──────────────── keep-alive ───────────────────────┘    │ not keep-alive, EOF,
//      │                                                               │ error, timeout, shutdown
//      ├─ idle past ParkPolicy's delay ─> park() (no coroutine: a readiness callback, no buffers)
//      │                                    └─ readable ─> unpark() ─> serve() again
//      │                                    └─ keep-alive timeout, shutdown ─> close
//      └─ WebSocket handshake ─> run_websocket() (its own coroutine; serve() has ended)
//                                   ├─ served ─> close
//                                   └─ declined (the app raised on the websocket scope without
//                                      using it) ─> serve() again, starting with that request
//                                      answered as plain HTTP

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "asgi/protocol/proxy_headers.hpp"
#include "asgi/protocol/request_parser.hpp"
#include "asgi/protocol/scope_builder.hpp"
#include "asgi/server/deadlines.hpp"
#include "asgi/server/output.hpp"
#include "asgi/server/park_policy.hpp"
#include "asgi/server/read_ahead_policy.hpp"
#include "asgi/server/request_reader.hpp"
#include "asgi/server/transport.hpp"
#include "asgi/server/worker.hpp"

namespace asgi::server {

class WebSocketSession;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Clock = std::chrono::steady_clock;

  Connection(Transport transport, Worker& worker);
  ~Connection();
  /// Starts serving (in a coroutine owned by the connection).
  void start();

  // ---- graceful shutdown ----
  /// Close now if idle; otherwise finish the current response with `connection: close`.
  void begin_shutdown();
  /// Cancel everything, the app's pending operation included.
  void cancel();
  bool shutting_down() const { return worker_.shutting_down(); }

  // ---- for the HTTP exchange and the WebSocket session -----------------------------------------
  Worker& worker() { return worker_; }
  const Config& config() const { return worker_.config(); }
  Transport& transport() { return transport_; }
  Output& output() { return output_; }
  RequestReader& request() { return request_; }
  /// The client for log lines: the one a trusted proxy named for the current request, else the
  /// peer ("host:port", empty on a UNIX socket).
  const std::string& client_label() const {
    return forwarded_label_.empty() ? client_label_ : forwarded_label_;
  }
  const protocol::ConnectionInfo& info() const { return info_; }
  /// What a trusted proxy said about the current request (empty when nothing or not trusted).
  const protocol::ForwardedRequest& forwarded() const { return forwarded_; }
  /// Where the current response's head is rendered (one string per connection, reused).
  std::string& response_scratch() { return response_scratch_; }
  /// True when unparsed bytes (a pipelined request) are already buffered.
  bool has_buffered_input() const { return request_.has_buffered_input(); }
  /// After a WebSocket upgrade (and when parking): frees the request parser and the (emptied)
  /// input buffer.
  void release_http_state();

 private:
  enum class HeadResult { ready, closed, rejected, parked };
  enum class ServeEnd { closed, parked, upgraded };
  enum class ReadAhead { data, not_yet, closed };

  void serve_in_coroutine();
  bool peer_is_trusted() const;  ///< --forwarded-allow-ips trusts the (current) client
  /// The peer in server log lines: "host:port", or a UNIX socket's nameless client.
  std::string peer_for_log() const {
    return client_label_.empty() ? "a UNIX socket peer" : client_label_;
  }
  /// false: failed, and the connection is closed.
  boost::asio::awaitable<bool> accept_proxy_protocol();
  boost::asio::awaitable<bool> handshake_tls();
  void read_forwarded(const protocol::RequestHead& head);
  /// No request yet: accepted, its first request on the way.
  bool fresh() const { return park_policy_.requests() == 0; }
  bool enter_load();  ///< false: over --limit-concurrency
  void leave_load();
  boost::asio::awaitable<void> answer_overloaded(protocol::RequestHead& head);
  boost::asio::awaitable<ServeEnd> serve();
  boost::asio::awaitable<HeadResult> read_head();
  ReadAhead read_ahead_now();  ///< a non-blocking read, after the others had their turn
  boost::asio::awaitable<bool> check_upgrade(protocol::RequestHead& head);
  boost::asio::awaitable<bool> serve_http(protocol::RequestHead& head);
  boost::asio::awaitable<void> reject(int status, const std::string& reason,
                                      std::string_view extra_headers = {});
  void run_websocket();
  void park();
  void unpark(const boost::system::error_code& ec);
  boost::asio::awaitable<void> close_gracefully(bool linger);
  void close_now();

  Transport transport_;
  Worker& worker_;
  Deadlines deadlines_;
  Output output_;
  RequestReader request_;
  protocol::ConnectionInfo info_;
  std::string client_label_;  ///< "host:port" for logs
  bool peer_is_trusted_proxy_ = false;
  protocol::ForwardedRequest forwarded_;
  std::string forwarded_label_;  ///< forwarded_'s client for logs
  std::string response_scratch_;
  std::shared_ptr<WebSocketSession> websocket_;  ///< set while serving a WebSocket
  boost::asio::cancellation_signal cancel_signal_;
  ParkPolicy park_policy_;
  ReadAheadPolicy read_ahead_;
  bool holds_load_slot_ = false;  ///< a request or WebSocket of ours counts in the process load
  bool idle_ = false;             ///< waiting for the first byte of a request (or parked)
  bool serve_declined_upgrade_ = false;  ///< serve() starts with the request in the parser
  bool proxy_protocol_due_ = false;      ///< serve() starts with the PROXY protocol header
  bool counted_as_websocket_ = false;    ///< in the metrics' open connections
  bool tls_handshake_due_ = false;       ///< then with the TLS handshake
};

}  // namespace asgi::server
