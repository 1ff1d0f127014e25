#pragma once
// Whether a keep-alive connection tries to read its next request with one non-blocking read
// after the other connections had their turn, instead of waiting for readiness.
//
// Under load the request is nearly always there by then, which saves what waiting for it costs (a
// failed read, a reactor operation and a trip through the scheduler); nginx does the same by
// tracking readiness. After a miss the next 8 requests wait for readiness instead; after each
// further miss in a row twice as many, up to 64, so a lone client with gaps between its requests
// rarely pays for an attempt. A hit resets the backoff. I/O-free, unit-tested on its own.

#include <algorithm>
#include <cstdint>

namespace asgi::server {

class ReadAheadPolicy {
 public:
  static constexpr std::uint8_t first_skip = 8;
  static constexpr std::uint8_t max_skip = 64;

  /// Asked once per request after the first: true when this one should be tried.
  bool due() {
    if (cooldown_ == 0) return true;
    --cooldown_;
    return false;
  }
  void on_miss() {
    skip_ = skip_ == 0 ? first_skip : static_cast<std::uint8_t>(std::min(skip_ * 2, +max_skip));
    cooldown_ = skip_;
  }
  void on_hit() { skip_ = 0; }

 private:
  std::uint8_t cooldown_ = 0;  ///< requests left before the next attempt
  std::uint8_t skip_ = 0;      ///< the cooldown after the last miss (0 after a hit)
};

}  // namespace asgi::server
