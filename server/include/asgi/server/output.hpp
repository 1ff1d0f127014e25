#pragma once
// A connection's one output path: every byte the server writes (responses, 100 Continue, error
// answers, a WebSocket denial) goes through here, one write at a time, in order. Three tiers, as
// uWebSockets names them:
//   1. written now: try_write() sends from the caller's own call (the app's send) with one
//      non-blocking write and no coroutine frame; a response that fits the socket buffer, nearly
//      every one, ends there.
//   2. held: a complete response to a pipelined request is kept back (hold()) and goes out with
//      the next write, so a batch of pipelined responses leaves in one system call. A post()ed
//      flush sends it if the next app takes its time, and the request loop flushes before it
//      waits for more input, so what is held is bounded by what one read brought in.
//   3. backpressure: what did not fit is written asynchronously while its writer waits
//      (write_rest()): the app's send() returns only when its bytes are out, so a client that
//      stops reading slows its app down instead of growing the server's memory. --timeout-send
//      bounds a wait without progress.
// Any write error or timeout is final: later writes return false at once.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "asgi/protocol/response_encoder.hpp"
#include "asgi/wait_queue.hpp"

namespace asgi::server {

class Transport;
class Deadlines;

class Output {
 public:
  using Clock = std::chrono::steady_clock;

  Output(Transport& transport, Deadlines& deadlines, Clock::duration send_timeout);
  /// A held response's flush keeps `owner` (the connection) alive until it ran.
  void set_owner(std::weak_ptr<void> owner) { owner_ = std::move(owner); }

  /// Writes held output and then `pieces`: true when all of it was written, false if the client
  /// is gone.
  boost::asio::awaitable<bool> write(protocol::WirePieces pieces);
  /// write() without a coroutine frame when it can: the result, or nullopt when the caller must
  /// co_await write_rest() with the same pieces straight away (they must stay valid until it
  /// completes). Any other write before that is a logic error (std::logic_error).
  [[nodiscard]] std::optional<bool> try_write(protocol::WirePieces pieces);
  boost::asio::awaitable<bool> write_rest(protocol::WirePieces pieces);
  /// Writes held output and `prefix`, then `count` bytes of the file `fd` from `offset` (with
  /// sendfile where the transport allows it), then `suffix`. False if the client is gone or the
  /// file ended early (the connection must then close).
  boost::asio::awaitable<bool> write_file(std::string_view prefix, int fd, std::uint64_t offset,
                                          std::uint64_t count, std::string_view suffix);
  /// Keeps `pieces` back to go out with the next write (tier 2).
  void hold(protocol::WirePieces pieces);
  bool has_held() const { return !held_.empty(); }
  /// Writes what is held; false if the client is gone.
  boost::asio::awaitable<bool> flush() { return write({}); }

  /// Arms and clears the send deadline around a write made outside this class (Beast's
  /// WebSocket frames).
  void arm_send_deadline();
  void clear_send_deadline();
  /// The connection closed: queued writers wake and give up.
  void abandon();
  /// An idle connection gives its buffers back.
  void release_memory();

 private:
  boost::asio::awaitable<bool> acquire();
  bool take();
  void release(bool ok);
  void schedule_flush();
  boost::asio::awaitable<bool> send_file_bytes(int fd, std::uint64_t offset, std::uint64_t count);

  Transport& transport_;
  Deadlines& deadlines_;
  Clock::duration send_timeout_;
  std::weak_ptr<void> owner_;
  std::string held_;       ///< tier 2
  std::string in_flight_;  ///< what was held when the current write started
  static constexpr std::size_t no_rest_owed = SIZE_MAX;
  std::size_t rest_owed_ = no_rest_owed;  ///< bytes try_write sent before write_rest's turn
  bool writing_ = false;
  bool writing_queued_ = false;  ///< try_write found a write under way: write_rest waits for it
  bool failed_ = false;
  bool flush_scheduled_ = false;
  WaitQueue writers_;  ///< writers queued behind the current write
};

}  // namespace asgi::server
