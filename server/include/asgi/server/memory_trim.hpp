#pragma once
// Gives the memory that parked (idle) connections released back to the OS. malloc keeps freed
// blocks in its heap, so without this a server's RSS stays at the high-water mark of the moment
// its connections were busy, however idle they are now.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>

namespace asgi::server {

class MemoryTrim {
 public:
  explicit MemoryTrim(boost::asio::io_context& context) : timer_(context) {}
  /// A connection freed its buffers and frames; after enough of them, trims soon (at most about
  /// once a second, so a busy server does not pay for it).
  void note_release();

 private:
  void trim();

  boost::asio::steady_timer timer_;
  std::size_t released_ = 0;
  bool scheduled_ = false;
  std::chrono::steady_clock::time_point last_trim_{};
};

}  // namespace asgi::server
