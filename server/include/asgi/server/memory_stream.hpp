#pragma once
// An in-memory byte stream: two connected ends, what one writes the other reads. Each direction
// holds at most `capacity` unread bytes, so a writer meets partial writes and backpressure exactly
// where it would on a socket whose buffers are that small. A Transport can run on one end instead
// of a socket: the server layer's unit tests serve it, with the test holding the other end, and
// every step is deterministic (no kernel, no port, no timing of segments).
//
// Its calls mirror a non-blocking socket's: read_now / write_now move what they can now
// (0 = would block), the async operations wait for the peer and take any Asio completion token,
// honouring per-operation cancellation (Asio's cancellation slots) and cancel(). Errors are the
// socket's: eof after the peer's shutdown_send() or close(), broken_pipe when writing to a closed
// peer, operation_aborted for cancelled operations, bad_descriptor after close().
//
// Both ends belong to one executor and one thread (the io_context a test runs), and an end must
// not move while an operation on it is pending (a Transport holds its end on the heap).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <memory>
#include <utility>

namespace asgi::server {

class MemoryStream {
 public:
  using executor_type = boost::asio::any_io_executor;
  using error_code = boost::system::error_code;

  /// Two connected ends on `executor`; each direction holds up to `capacity` unread bytes.
  static std::pair<MemoryStream, MemoryStream> make_pair(executor_type executor,
                                                         std::size_t capacity = 64 * 1024);

  MemoryStream(MemoryStream&&) noexcept = default;
  MemoryStream& operator=(MemoryStream&&) noexcept = default;
  ~MemoryStream();  ///< closes this end

  executor_type get_executor() const;

  // ---- without waiting
  // ----------------------------------------------------------------------------
  /// Moves what is there now into `buffers`: 0 with `ec` clear when nothing is there yet.
  template <class MutableBuffers>
  std::size_t read_now(const MutableBuffers& buffers, error_code& ec) {
    std::size_t total = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      std::size_t n = read_piece(boost::asio::mutable_buffer(*it), ec);
      total += n;
      if (ec || n < boost::asio::mutable_buffer(*it).size()) break;
    }
    if (total > 0) ec = {};  // an end of stream met after some bytes shows on the next read
    return total;
  }
  /// Moves what fits now from `buffers`: 0 with `ec` clear when this direction is full.
  template <class ConstBuffers>
  std::size_t write_now(const ConstBuffers& buffers, error_code& ec) {
    std::size_t total = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      std::size_t n = write_piece(boost::asio::const_buffer(*it), ec);
      total += n;
      if (ec || n < boost::asio::const_buffer(*it).size()) break;
    }
    if (total > 0) ec = {};
    return total;
  }
  std::size_t available() const;  ///< bytes waiting to be read

  // ---- waiting
  // ------------------------------------------------------------------------------------
  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return when_ready<true>(
        true,
        [this, buffers](error_code& ec) -> std::size_t {
          if (boost::asio::buffer_size(buffers) == 0) return 0;
          std::size_t n = read_now(buffers, ec);
          return n > 0 || ec ? n : not_ready;
        },
        std::forward<Token>(token));
  }
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return when_ready<true>(
        false,
        [this, buffers](error_code& ec) -> std::size_t {
          if (boost::asio::buffer_size(buffers) == 0) return 0;
          std::size_t n = write_now(buffers, ec);
          return n > 0 || ec ? n : not_ready;
        },
        std::forward<Token>(token));
  }
  /// Completes when a read would not block (bytes, end of stream or an error are there).
  template <class Token>
  auto async_wait_readable(Token&& token) {
    return when_ready<false>(
        true, [this](error_code&) -> std::size_t { return readable() ? 0 : not_ready; },
        std::forward<Token>(token));
  }
  /// Completes when a write would not block.
  template <class Token>
  auto async_wait_writable(Token&& token) {
    return when_ready<false>(
        false, [this](error_code&) -> std::size_t { return writable() ? 0 : not_ready; },
        std::forward<Token>(token));
  }

  // ---- ending
  // -------------------------------------------------------------------------------------
  /// Pending operations on this end complete with operation_aborted.
  void cancel();
  /// The peer reads what was written, then end of stream.
  void shutdown_send();
  /// The peer reads end of stream, its writes fail; pending operations here are aborted.
  void close();
  bool is_open() const;

 private:
  struct Shared;
  MemoryStream(std::shared_ptr<Shared> shared, int side)
      : shared_(std::move(shared)), side_(side) {}

  static constexpr std::size_t not_ready = static_cast<std::size_t>(-1);

  std::size_t read_piece(boost::asio::mutable_buffer piece, error_code& ec);
  std::size_t write_piece(boost::asio::const_buffer piece, error_code& ec);
  bool readable() const;
  bool writable() const;
  /// The timer whose cancellation wakes this end's readers (or writers); it never expires.
  boost::asio::steady_timer& wakeup(bool reading);
  /// Counts cancel() and close() calls, so a woken operation knows it was cancelled.
  unsigned cancellations() const;

  // Tries `attempt` now and after every wake-up until it is ready (anything but not_ready), then
  // completes with its error and, when `with_count`, its byte count. The first try is posted:
  // an Asio operation never completes inside its initiating call.
  template <bool with_count, class Attempt, class Token>
  auto when_ready(bool reading, Attempt attempt, Token&& token) {
    using Signature =
        std::conditional_t<with_count, void(error_code, std::size_t), void(error_code)>;
    return boost::asio::async_compose<Token, Signature>(
        [this, reading, attempt = std::move(attempt), epoch = cancellations(), started = false](
            auto& self, error_code = {}) mutable {
          if (!started) {
            started = true;
            boost::asio::post(get_executor(), std::move(self));
            return;
          }
          error_code ec;
          std::size_t n = not_ready;
          if (epoch != cancellations() ||
              self.get_cancellation_state().cancelled() != boost::asio::cancellation_type::none) {
            ec = boost::asio::error::operation_aborted;
            n = 0;
          } else {
            n = attempt(ec);
          }
          if (n == not_ready) {
            wakeup(reading).async_wait(std::move(self));
            return;
          }
          if constexpr (with_count)
            self.complete(ec, n);
          else
            self.complete(ec);
        },
        token, get_executor());
  }

  std::shared_ptr<Shared> shared_;
  int side_ = 0;
};

}  // namespace asgi::server
