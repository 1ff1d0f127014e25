#include "asgi/server/memory_stream.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

namespace asgi::server {

namespace net = boost::asio;

// One direction of the pair: the bytes written by one end and not yet read by the other.
struct Direction {
  std::string bytes;
  bool write_shut = false;  ///< the writer will send no more: end of stream after the bytes
};

struct MemoryStream::Shared {
  Shared(const executor_type& executor, std::size_t capacity_)
      : capacity(capacity_),
        readers{net::steady_timer(executor, net::steady_timer::time_point::max()),
                net::steady_timer(executor, net::steady_timer::time_point::max())},
        writers{net::steady_timer(executor, net::steady_timer::time_point::max()),
                net::steady_timer(executor, net::steady_timer::time_point::max())} {}

  std::size_t capacity;
  std::array<Direction, 2> inbound;  ///< inbound[i]: what end i reads
  std::array<bool, 2> closed{};
  std::array<unsigned, 2> cancellations{};
  // Waiting operations sleep on these timers (which never expire); cancel() wakes them.
  std::array<net::steady_timer, 2> readers;
  std::array<net::steady_timer, 2> writers;
};

std::pair<MemoryStream, MemoryStream> MemoryStream::make_pair(executor_type executor,
                                                              std::size_t capacity) {
  auto shared = std::make_shared<Shared>(executor, std::max<std::size_t>(capacity, 1));
  return {MemoryStream(shared, 0), MemoryStream(shared, 1)};
}

MemoryStream::~MemoryStream() {
  if (shared_) close();
}

MemoryStream::executor_type MemoryStream::get_executor() const {
  return shared_->readers[0].get_executor();
}

std::size_t MemoryStream::read_piece(net::mutable_buffer piece, error_code& ec) {
  if (shared_->closed[side_]) {
    ec = net::error::bad_descriptor;
    return 0;
  }
  Direction& in = shared_->inbound[side_];
  if (in.bytes.empty()) {
    if (in.write_shut) ec = net::error::eof;
    return 0;
  }
  std::size_t n = std::min(piece.size(), in.bytes.size());
  std::memcpy(piece.data(), in.bytes.data(), n);
  in.bytes.erase(0, n);
  shared_->writers[1 - side_].cancel();  // room for the peer's writer
  return n;
}

std::size_t MemoryStream::write_piece(net::const_buffer piece, error_code& ec) {
  Direction& out = shared_->inbound[1 - side_];
  if (shared_->closed[side_]) {
    ec = net::error::bad_descriptor;
    return 0;
  }
  if (out.write_shut || shared_->closed[1 - side_]) {
    ec = net::error::broken_pipe;
    return 0;
  }
  std::size_t n = std::min(piece.size(), shared_->capacity - out.bytes.size());
  out.bytes.append(static_cast<const char*>(piece.data()), n);
  if (n > 0) shared_->readers[1 - side_].cancel();  // bytes for the peer's reader
  return n;
}

std::size_t MemoryStream::available() const {
  return shared_->closed[side_] ? 0 : shared_->inbound[side_].bytes.size();
}

bool MemoryStream::readable() const {
  const Direction& in = shared_->inbound[side_];
  return shared_->closed[side_] || !in.bytes.empty() || in.write_shut;
}

bool MemoryStream::writable() const {
  const Direction& out = shared_->inbound[1 - side_];
  return shared_->closed[side_] || shared_->closed[1 - side_] || out.write_shut ||
         out.bytes.size() < shared_->capacity;
}

net::steady_timer& MemoryStream::wakeup(bool reading) {
  return reading ? shared_->readers[side_] : shared_->writers[side_];
}

unsigned MemoryStream::cancellations() const {
  return shared_->cancellations[side_];
}

void MemoryStream::cancel() {
  ++shared_->cancellations[side_];
  shared_->readers[side_].cancel();
  shared_->writers[side_].cancel();
}

void MemoryStream::shutdown_send() {
  shared_->inbound[1 - side_].write_shut = true;
  shared_->readers[1 - side_].cancel();
}

void MemoryStream::close() {
  if (shared_->closed[side_]) return;
  shutdown_send();
  shared_->closed[side_] = true;
  shared_->inbound[side_].bytes.clear();
  shared_->writers[1 - side_].cancel();  // the peer's writer fails now
  cancel();
}

bool MemoryStream::is_open() const {
  return !shared_->closed[side_];
}

}  // namespace asgi::server
