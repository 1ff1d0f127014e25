#pragma once
// One client connection: reads requests, runs one HTTP exchange (the app) per request, strictly in
// order, and owns the socket, the input buffer, the output (corked pipelined responses) and the
// deadlines. Lives on its worker's single thread.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asgi/protocol/request_parser.hpp"
#include "asgi/protocol/response_encoder.hpp"
#include "asgi/protocol/scope_builder.hpp"
#include "asgi/server/read_buffer.hpp"
#include "asgi/server/worker.hpp"

namespace asgi::server {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Clock = std::chrono::steady_clock;
  enum class ReadResult { data, closed, timed_out };

  Connection(boost::asio::ip::tcp::socket socket, Worker& worker);
  ~Connection();
  /// Starts serving (in a coroutine owned by the connection).
  void start();

  // ---- graceful shutdown ----
  /// Close now if idle; otherwise finish the current response with `connection: close`.
  void begin_shutdown();
  /// Cancel everything, the app's pending operation included.
  void cancel();
  bool shutting_down() const { return worker_.shutting_down(); }
  boost::asio::cancellation_slot cancellation_slot() { return cancel_signal_.slot(); }

  // ---- used by HttpExchange --------------------------------------------------------------------
  Worker& worker() { return worker_; }
  const Config& config() const { return worker_.config(); }
  protocol::RequestParser& parser() { return *parser_; }
  ReadBuffer& input() { return input_; }
  boost::asio::ip::tcp::socket& socket() { return socket_; }
  const std::string& client_label() const { return client_label_; }
  const protocol::ConnectionInfo& info() const { return info_; }
  /// Where the current response's head is rendered (one string per connection, reused).
  std::string& response_scratch() { return response_scratch_; }

  /// Reads more bytes into input(), waiting at most `timeout`.
  boost::asio::awaitable<ReadResult> read_more(Clock::duration timeout);
  /// Writes corked output and then `pieces` in one gather write. False if the client is gone.
  boost::asio::awaitable<bool> write(protocol::WirePieces pieces);
  /// write() without a coroutine frame for the usual case, a free output and pieces that fit in
  /// the socket buffer: returns what write() would, or nullopt when the caller must co_await
  /// write_rest() with the same pieces, straight away (they must stay valid until it completes).
  std::optional<bool> try_write(protocol::WirePieces pieces);
  boost::asio::awaitable<bool> write_rest(protocol::WirePieces pieces);
  /// Writes corked output and `prefix`, then `count` bytes of the file `fd` from `offset` (with
  /// sendfile: no copy through user space), then `suffix`. False if the client is gone or the file
  /// ended early (the connection must then close).
  boost::asio::awaitable<bool> write_file(std::string_view prefix, int fd, std::uint64_t offset,
                                          std::uint64_t count, std::string_view suffix);
  /// Appends `pieces` to the corked output, written with the next write or flush.
  void cork(protocol::WirePieces pieces);
  /// A write that makes no progress for --timeout-send cancels the socket's operations.
  void arm_send_deadline() { set_write_deadline(Clock::now() + send_timeout()); }
  void clear_send_deadline() { set_write_deadline(Clock::time_point::max()); }
  /// After a WebSocket upgrade (and when parking): frees the request parser and the (emptied)
  /// input buffer.
  void release_http_state();
  /// True when unparsed bytes (a pipelined request) are already buffered.
  bool has_buffered_input() const { return !input_.empty(); }

 private:
  enum class HeadResult { ready, closed, rejected, parked };

  /// How the request loop ended: closed, parked (idle), or upgraded to a WebSocket.
  enum class ServeEnd { closed, parked, upgraded };
  void serve_in_coroutine();
  boost::asio::awaitable<ServeEnd> serve();
  void run_websocket();
  void park();
  void unpark(const boost::system::error_code& ec);

  boost::asio::awaitable<HeadResult> read_head();
  enum class ReadAhead { data, not_yet, closed };
  bool read_ahead_due();
  ReadAhead read_ahead_now();  ///< a non-blocking read, after the others had their turn
  boost::asio::awaitable<bool> check_upgrade(protocol::RequestHead& head);
  boost::asio::awaitable<bool> serve_http(protocol::RequestHead& head);
  boost::asio::awaitable<void> reject(int status, const std::string& reason,
                                      std::string_view extra_headers = {});
  Clock::duration send_timeout() const;
  boost::asio::awaitable<void> close_gracefully(bool linger);
  void close_now();
  void schedule_flush();
  /// One write at a time: take_output() holds a free output until release_output();
  /// acquire_output() first waits for the current write (false when the connection is gone).
  boost::asio::awaitable<bool> acquire_output();
  bool take_output();
  void wake_writers();
  void release_output();
  boost::asio::awaitable<bool> send_file_bytes(int fd, std::uint64_t offset, std::uint64_t count);

  void set_read_deadline(Clock::time_point when);
  void set_write_deadline(Clock::time_point when);
  void set_park_deadline(Clock::time_point when);
  /// How long this connection may idle before it parks (learns its rhythm of requests).
  Clock::duration park_delay(Clock::time_point idle_start);
  void arm_timer(Clock::time_point when);
  void on_timer();

  boost::asio::ip::tcp::socket socket_;
  Worker& worker_;
  std::unique_ptr<protocol::RequestParser> parser_;  ///< none while parked
  protocol::ConnectionInfo info_;
  std::string client_label_;  ///< "host:port" for logs
  ReadBuffer input_;
  std::string corked_;
  std::string in_flight_;
  std::string response_scratch_;
  bool idle_ = false;  ///< waiting for the first byte of a request (or parked)
  std::shared_ptr<class WebSocketSession> websocket_;  ///< set while serving a WebSocket
  boost::asio::cancellation_signal cancel_signal_;
  bool writing_ = false;
  static constexpr std::size_t no_partial_write = SIZE_MAX;
  std::size_t partly_sent_ = no_partial_write;  ///< bytes try_write sent before write_rest's turn
  bool flush_scheduled_ = false;
  std::unique_ptr<boost::asio::steady_timer> write_done_;  ///< wakes writers queued behind one

  boost::asio::steady_timer timer_;  ///< one timer serves both deadlines
  bool timer_armed_ = false;
  Clock::time_point read_deadline_ = Clock::time_point::max();
  Clock::time_point write_deadline_ = Clock::time_point::max();
  Clock::time_point park_deadline_ = Clock::time_point::max();
  Clock::time_point last_idle_start_{};
  std::uint64_t requests_served_ = 0;
  Clock::duration request_gap_{};  ///< running estimate of the time between requests
  bool park_requested_ = false;
  bool serve_declined_upgrade_ = false;   ///< serve() starts with the request in the parser
  std::uint8_t read_ahead_cooldown_ = 0;  ///< requests left before the next read-ahead
  std::uint8_t read_ahead_skip_ = 0;      ///< the cooldown after the last miss (0 after a hit)
  bool read_timed_out_ = false;
  bool write_timed_out_ = false;
};

}  // namespace asgi::server
