#pragma once
// Who watches the tank across every process that serves crab_app (worker processes, instances
// behind a load balancer): each process announces its own viewer count on the tank's control
// channel about once a second, and the process running the simulation adds them up. A process
// that stops announcing (it died) no longer counts after kCrowdFreshness. I/O-free: tank.cpp
// carries the messages.

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace apps::crab::tank {

using CrowdClock = std::chrono::steady_clock;
inline constexpr auto kCrowdFreshness = std::chrono::seconds(3);

/// The tank's control messages between processes: food dropped on one process (for the one
/// running the simulation), and each process's viewer count.
struct RemoteDrop {
  double x = 0, y = 0;
};
struct ViewerCount {
  std::string process;
  std::size_t viewers = 0;
};
std::string control_message(const RemoteDrop& drop);
std::string control_message(const ViewerCount& count);
/// nullopt for anything else (a newer version's message, garbage).
std::optional<std::variant<RemoteDrop, ViewerCount>> parse_control_message(std::string_view text);

class CrowdTally {
 public:
  explicit CrowdTally(std::string own_process) : own_(std::move(own_process)) {}
  /// Another process said how many watch there (this process's own announcements are ignored).
  void heard(const ViewerCount& count, CrowdClock::time_point now);
  /// `local` viewers here plus every other process heard from within kCrowdFreshness.
  std::size_t total(std::size_t local, CrowdClock::time_point now);

 private:
  struct Heard {
    std::size_t viewers;
    CrowdClock::time_point at;
  };
  std::string own_;
  std::map<std::string, Heard> others_;
};

}  // namespace apps::crab::tank
