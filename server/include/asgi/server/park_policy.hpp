#pragma once
// When an idle keep-alive connection parks: gives back its coroutine frames, read buffer and
// parser and waits for its next request with a plain callback (about 1.8 KiB instead of 5).
//
// After its first request, soon: most such connections are done (or a browser's spare). After
// that, sixteen times its usual gap between requests, within bounds: a park and wake cost about
// 2 µs and a system call, so a client with a steady rhythm never pays for them, and a busy
// connection's deadline timer fires at most a few times a second instead of every few requests.
// I/O-free, so the rule is unit-tested on its own.

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace asgi::server {

class ParkPolicy {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr Clock::duration after_first_request = std::chrono::milliseconds(25);
  static constexpr Clock::duration min_delay = std::chrono::milliseconds(250);
  static constexpr Clock::duration max_delay = std::chrono::seconds(2);
  static constexpr int gaps = 16;

  /// A request's head was read.
  void on_request() { ++requests_; }
  std::uint64_t requests() const { return requests_; }

  /// The connection starts waiting for its next request at `idle_start`: how long it may wait
  /// before parking. Learns the gap between requests from successive calls.
  Clock::duration delay(Clock::time_point idle_start) {
    if (requests_ == 0) return after_first_request;  // nothing asked yet
    if (requests_ > 1) {
      Clock::duration gap = idle_start - last_idle_start_;
      gap_ = gap_ == Clock::duration::zero() ? gap : (gap_ + gap) / 2;
    }
    last_idle_start_ = idle_start;
    if (requests_ == 1) return after_first_request;
    return std::clamp<Clock::duration>(gaps * gap_, min_delay, max_delay);
  }

 private:
  std::uint64_t requests_ = 0;
  Clock::time_point last_idle_start_{};
  Clock::duration gap_{};  ///< running estimate of the time between requests
};

}  // namespace asgi::server
