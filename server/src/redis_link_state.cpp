#include "asgi/server/redis_link_state.hpp"

#include <fmt/format.h>

#include <utility>

namespace asgi::server {

std::optional<RedisLinkState::Line> RedisLinkState::up(Link link, Clock::time_point now) {
  const bool was_up = all_up();
  up_[static_cast<int>(link)] = true;
  if (was_up || !all_up()) return std::nullopt;
  outage_reported_ = false;
  if (!ever_up_) {
    ever_up_ = true;
    const std::size_t missed = std::exchange(missed_, 0);
    return Line{false, missed ? fmt::format("Broadcasting through Redis at {} ({} message(s) "
                                            "before that reached this process only)",
                                            where_, missed)
                              : fmt::format("Broadcasting through Redis at {}", where_)};
  }
  const double seconds = std::chrono::duration<double>(now - down_since_).count();
  return Line{false, fmt::format("Reconnected to Redis at {} after {:.1f} s; {} message(s) "
                                 "published meanwhile reached this process only",
                                 where_, seconds, std::exchange(missed_, 0))};
}

std::optional<RedisLinkState::Line> RedisLinkState::down(Link link, const std::string& reason,
                                                         Clock::time_point now) {
  up_[static_cast<int>(link)] = false;
  if (outage_reported_) return std::nullopt;  // this outage is already in the log
  outage_reported_ = true;
  down_since_ = now;
  if (!ever_up_)
    return Line{true, fmt::format("Cannot reach Redis at {} ({}); broadcasting stays in this "
                                  "process until it can, retrying with backoff",
                                  where_, reason)};
  return Line{true, fmt::format("Lost the connection to Redis at {} ({}); local subscribers "
                                "keep receiving, other processes miss messages until it is "
                                "back; retrying with backoff",
                                where_, reason)};
}

}  // namespace asgi::server
