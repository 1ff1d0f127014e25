#pragma once
// Whether --broadcast-url's two Redis connections (one subscribed, one for commands) are up, and
// the log lines that say so: one when the link is first up, one when it is lost (however many
// attempts fail after that), one when it is back, with how many messages reached this process
// only meanwhile. I/O-free, so the "says so once" rule is unit-tested.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace asgi::server {

class RedisLinkState {
 public:
  enum class Link { subscriber = 0, commands = 1 };
  using Clock = std::chrono::steady_clock;
  struct Line {
    bool warning = false;
    std::string text;
  };

  explicit RedisLinkState(std::string where) : where_(std::move(where)) {}

  /// A connection is up. The line to log when that makes the whole link up.
  std::optional<Line> up(Link link, Clock::time_point now);
  /// A connection failed or could not be made. The line to log when the link was up (or had
  /// never been tried): once per outage.
  std::optional<Line> down(Link link, const std::string& reason, Clock::time_point now);
  /// A message could not be sent to other processes (counted for the "back" line).
  void missed() { ++missed_; }
  bool commands_up() const { return up_[1]; }

 private:
  bool all_up() const { return up_[0] && up_[1]; }

  std::string where_;
  bool up_[2] = {false, false};
  bool ever_up_ = false;
  bool outage_reported_ = false;
  Clock::time_point down_since_{};
  std::size_t missed_ = 0;
};

}  // namespace asgi::server
