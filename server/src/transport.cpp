#include "asgi/server/transport.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>

namespace asgi::server {

namespace net = boost::asio;
using generic_endpoint = net::generic::stream_protocol::endpoint;

namespace {

template <class Endpoint>
Endpoint convert(const generic_endpoint& endpoint) {
  Endpoint result;
  std::memcpy(result.data(), endpoint.data(), std::min(endpoint.size(), result.capacity()));
  result.resize(std::min(endpoint.size(), result.capacity()));
  return result;
}

bool is_inet(const generic_endpoint& endpoint) {
  int family = endpoint.protocol().family();
  return family == AF_INET || family == AF_INET6;
}

Address inet_address(const generic_endpoint& endpoint) {
  auto tcp = convert<net::ip::tcp::endpoint>(endpoint);
  return {tcp.address().to_string(), tcp.port()};
}

// Reads and writes a file through user space, for transports (and files) sendfile(2) cannot
// serve. At most one buffer per call: the caller waits for writability between calls.
std::uint64_t copy_file_now(Transport& transport, int fd, std::uint64_t& offset,
                            std::uint64_t count, boost::system::error_code& ec) {
  std::array<char, 64 * 1024> buffer;
  std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(count, buffer.size()));
  ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset));
  if (n < 0) {
    ec.assign(errno, boost::system::system_category());
    return 0;
  }
  if (n == 0) {
    ec = net::error::eof;
    return 0;
  }
  std::size_t sent =
      transport.write_now(net::buffer(buffer.data(), static_cast<std::size_t>(n)), ec);
  offset += sent;
  return sent;
}

}  // namespace

Transport::Transport(Socket socket) : socket_(std::move(socket)) {
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  auto local = socket_.local_endpoint(ec);
  tcp_ = !ec && is_inet(local);
  if (tcp_) socket_.set_option(net::ip::tcp::no_delay(true), ec);  // we coalesce writes ourselves
}

Transport::Transport(Socket socket, std::shared_ptr<const TlsContext> context)
    : Transport(std::move(socket)) {
  tls_ = std::make_unique<TlsSession>(std::move(context), socket_.native_handle());
}

net::awaitable<boost::system::error_code> Transport::handshake() {
  for (;;) {
    boost::system::error_code ec;
    TlsSession::Want want = tls_->handshake(ec);
    if (ec || want == TlsSession::Want::nothing) co_return ec;
    auto [wait_ec] = co_await socket_.async_wait(
        want == TlsSession::Want::write ? Socket::wait_write : Socket::wait_read,
        net::as_tuple(net::use_awaitable));
    if (wait_ec) co_return wait_ec;
  }
}

Transport::Transport(MemoryStream stream, Peers peers)
    : socket_(stream.get_executor()),
      memory_(std::make_unique<MemoryStream>(std::move(stream))),
      memory_peers_(std::move(peers)) {}

bool Transport::would_block(boost::system::error_code& ec) {
  if (ec != net::error::would_block && ec != net::error::try_again) return false;
  ec = {};
  return true;
}

std::size_t Transport::read_now(net::mutable_buffer buffer, boost::system::error_code& ec) {
  if (memory_) return memory_->read_now(buffer, ec);
  if (tls_) {
    TlsSession::Want want;
    return tls_->read(buffer, ec, want);
  }
  std::size_t n = socket_.read_some(buffer, ec);
  return would_block(ec) ? 0 : n;
}

std::uint64_t Transport::send_file_now(int fd, std::uint64_t& offset, std::uint64_t count,
                                       boost::system::error_code& ec) {
  if (memory_ || tls_)
    return copy_file_now(*this, fd, offset, count, ec);  // TLS encrypts in user space
  constexpr std::uint64_t max_step = 1u << 30;           // sendfile moves at most ~2 GiB per call
  auto file_offset = static_cast<off_t>(offset);
  for (;;) {
    ssize_t n = ::sendfile(socket_.native_handle(), fd, &file_offset,
                           static_cast<std::size_t>(std::min(count, max_step)));
    if (n > 0) {
      offset = static_cast<std::uint64_t>(file_offset);
      return static_cast<std::uint64_t>(n);
    }
    if (n == 0) {
      ec = net::error::eof;  // the file is shorter than promised
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    if (errno == EINVAL || errno == ENOSYS)  // a file sendfile cannot read
      return copy_file_now(*this, fd, offset, count, ec);
    ec.assign(errno, boost::system::system_category());
    return 0;
  }
}

std::size_t Transport::available() {
  if (memory_) return memory_->available();
  boost::system::error_code ec;
  return socket_.available(ec) + (tls_ ? tls_->buffered_input() : 0);
}

void Transport::cancel() {
  if (memory_) return memory_->cancel();
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

void Transport::shutdown_send() {
  if (memory_) return memory_->shutdown_send();
  if (tls_) tls_->send_close_notify();
  boost::system::error_code ignored;
  socket_.shutdown(Socket::shutdown_send, ignored);
}

void Transport::close() {
  if (memory_) return memory_->close();
  boost::system::error_code ignored;
  socket_.close(ignored);
}

std::optional<Transport::Peers> Transport::peers() {
  if (memory_) return memory_->is_open() ? memory_peers_ : std::nullopt;
  boost::system::error_code ec;
  generic_endpoint remote = socket_.remote_endpoint(ec);
  if (ec) return std::nullopt;
  generic_endpoint local = socket_.local_endpoint(ec);
  if (ec) return std::nullopt;
  Peers peers;
  if (is_inet(remote)) {
    peers.client = inet_address(remote);
    peers.server = inet_address(local);
    peers.label = peers.client->host + ":" + std::to_string(*peers.client->port);
  } else {
    std::string path = convert<net::local::stream_protocol::endpoint>(local).path();
    peers.server = Address{path, std::nullopt};  // the client is unnamed: no address, no label
  }
  return peers;
}

}  // namespace asgi::server
