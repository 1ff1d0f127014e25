#include "asgi/server/output.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <stdexcept>
#include <utility>

#include "asgi/server/deadlines.hpp"
#include "asgi/server/logging.hpp"
#include "asgi/server/transport.hpp"

namespace asgi::server {

namespace net = boost::asio;

namespace {

// Responses up to this size are copied into one buffer and sent with send(2): it costs the kernel
// less than a sendmsg(2) with its vector, and the copy is a few hundred bytes.
constexpr std::size_t coalesce_limit = 2048;

// Advances `buffers` past the first `sent` bytes.
template <std::size_t N>
void drop_sent(std::array<net::const_buffer, N>& buffers, std::size_t sent) {
  for (net::const_buffer& buffer : buffers) {
    std::size_t step = std::min(sent, buffer.size());
    buffer += step;
    sent -= step;
  }
}

std::array<net::const_buffer, 4> output_buffers(const std::string& in_flight,
                                                protocol::WirePieces pieces) {
  return {net::buffer(in_flight), net::buffer(pieces.prefix), net::buffer(pieces.data),
          net::buffer(pieces.suffix)};
}

// What fits now, then asynchronously the rest.
template <std::size_t N>
net::awaitable<boost::system::error_code> send_all(Transport& transport,
                                                   std::array<net::const_buffer, N> buffers) {
  boost::system::error_code ec;
  drop_sent(buffers, transport.write_now(buffers, ec));
  if (!ec && net::buffer_size(buffers) > 0) {
    auto [async_ec, n] =
        co_await net::async_write(transport, buffers, net::as_tuple(net::use_awaitable));
    (void)n;
    ec = async_ec;
  }
  co_return ec;
}

}  // namespace

Output::Output(Transport& transport, Deadlines& deadlines, Clock::duration send_timeout)
    : transport_(transport), deadlines_(deadlines), send_timeout_(send_timeout) {}

void Output::arm_send_deadline() {
  deadlines_.set(Deadlines::write, Clock::now() + send_timeout_);
}

void Output::clear_send_deadline() {
  deadlines_.clear(Deadlines::write);
}

// ---- one write at a time ----------------------------------------------------------------------

bool Output::take() {
  if (failed_ || !transport_.is_open()) return false;
  writing_ = true;
  in_flight_.swap(held_);  // what is held from here on goes out with the next write
  arm_send_deadline();
  return true;
}

void Output::release(bool ok) {
  clear_send_deadline();
  in_flight_.clear();
  writing_ = false;
  if (!ok) failed_ = true;
  writers_.notify_all();
}

net::awaitable<bool> Output::acquire() {
  while (writing_) {  // later writers queue in order
    co_await writers_.wait();
    if (!transport_.is_open()) co_return false;
  }
  co_return take();
}

void Output::abandon() {
  writers_.notify_all();  // they see the closed transport and give up
}

void Output::release_memory() {
  std::string().swap(in_flight_);
  if (held_.empty()) std::string().swap(held_);
}

// ---- tier 1 and 3 -----------------------------------------------------------------------------

net::awaitable<bool> Output::write(protocol::WirePieces pieces) {
  std::optional<bool> written = try_write(pieces);
  if (!written) written = co_await write_rest(pieces);
  co_return *written;
}

std::optional<bool> Output::try_write(protocol::WirePieces pieces) {
  if (rest_owed_ != no_rest_owed) throw std::logic_error("Output: write_rest() was not awaited");
  if (writing_) {  // queued behind the current write: write_rest waits for it
    rest_owed_ = 0;
    writing_queued_ = true;
    return std::nullopt;
  }
  if (!take()) return false;
  boost::system::error_code ec;
  std::size_t total =
      in_flight_.size() + pieces.prefix.size() + pieces.data.size() + pieces.suffix.size();
  std::size_t sent = 0;
  if (total <= coalesce_limit) {
    // The buffer is the thread's, so a connection keeps no memory for it.
    thread_local std::string one_buffer;
    one_buffer.assign(in_flight_);
    one_buffer += pieces.prefix;
    one_buffer += pieces.data;
    one_buffer += pieces.suffix;
    sent = transport_.write_now(net::buffer(one_buffer), ec);
  } else {
    sent = transport_.write_now(output_buffers(in_flight_, pieces), ec);
  }
  if (!ec && sent < total) {  // the rest goes from in_flight_ and the caller's pieces
    rest_owed_ = sent;
    return std::nullopt;
  }
  release(!ec);
  return !ec;
}

net::awaitable<bool> Output::write_rest(protocol::WirePieces pieces) {
  std::size_t sent = std::exchange(rest_owed_, no_rest_owed);
  if (std::exchange(writing_queued_, false)) {  // the output was busy: wait for it, then write all
    bool acquired = co_await acquire();
    if (!acquired) co_return false;
    sent = 0;
  }
  auto buffers = output_buffers(in_flight_, pieces);
  drop_sent(buffers, sent);  // what try_write already sent
  boost::system::error_code ec = co_await send_all(transport_, buffers);
  release(!ec);
  co_return !ec;
}

// ---- tier 2 -----------------------------------------------------------------------------------

void Output::hold(protocol::WirePieces pieces) {
  held_ += pieces.prefix;
  held_ += pieces.data;
  held_ += pieces.suffix;
  schedule_flush();
}

// If the next pipelined app takes its time, the held responses must not wait for it.
void Output::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  net::post(transport_.get_executor(), [this, owner = owner_.lock()] {
    flush_scheduled_ = false;
    if (held_.empty() || writing_ || !transport_.is_open()) return;
    net::co_spawn(transport_.get_executor(), flush(), [owner](std::exception_ptr, bool) {});
  });
}

// ---- files ------------------------------------------------------------------------------------

net::awaitable<bool> Output::write_file(std::string_view prefix, int fd, std::uint64_t offset,
                                        std::uint64_t count, std::string_view suffix) {
  bool acquired = co_await acquire();
  if (!acquired) co_return false;
  std::array<net::const_buffer, 2> head{net::buffer(in_flight_), net::buffer(prefix)};
  boost::system::error_code ec = co_await send_all(transport_, head);
  bool ok = !ec;
  if (ok) ok = co_await send_file_bytes(fd, offset, count);
  if (ok && !suffix.empty()) {
    std::array<net::const_buffer, 1> tail{net::buffer(suffix)};
    ec = co_await send_all(transport_, tail);
    ok = !ec;
  }
  release(ok);
  co_return ok;
}

// When the socket buffer is full, wait until writable; the send deadline, re-armed for each wait,
// bounds a wait without progress rather than the whole file.
net::awaitable<bool> Output::send_file_bytes(int fd, std::uint64_t offset, std::uint64_t count) {
  while (count > 0) {
    boost::system::error_code ec;
    std::uint64_t sent = transport_.send_file_now(fd, offset, count, ec);
    count -= sent;
    if (ec == net::error::eof) {
      log::error().error("File for http.response.pathsend shrank while it was being sent");
      co_return false;
    }
    if (ec) co_return false;
    if (sent > 0) continue;
    arm_send_deadline();
    auto [wait_ec] = co_await transport_.async_wait_writable(net::as_tuple(net::use_awaitable));
    if (wait_ec) co_return false;
  }
  co_return true;
}

}  // namespace asgi::server
