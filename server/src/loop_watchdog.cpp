#include "asgi/server/loop_watchdog.hpp"

#include <vector>

#include "asgi/server/logging.hpp"
#include "asgi/server/worker.hpp"

namespace asgi::server {

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::duration duration) {
  return std::chrono::duration<double>(duration).count();
}

}  // namespace

LoopWatchdog::LoopWatchdog(const std::list<Worker>& workers, Seconds threshold)
    : workers_(workers), threshold_(to_clock(threshold)), thread_([this] { run(); }) {}

LoopWatchdog::~LoopWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void LoopWatchdog::run() {
  // A stall is noticed within a quarter of the threshold.
  const Clock::duration interval =
      std::max<Clock::duration>(threshold_ / 4, std::chrono::milliseconds(5));
  std::vector<Clock::time_point> reported(workers_.size());  // the heartbeat a report was about
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
    Clock::time_point now = Clock::now();
    std::size_t index = 0;
    for (const Worker& worker : workers_) {
      const LoopActivity& activity = worker.activity();
      Clock::time_point beat = activity.last_beat();
      if (beat == Clock::time_point()) {  // not started yet
        ++index;
        continue;
      }
      Clock::time_point& report = reported[index];
      if (report != Clock::time_point() && beat != report) {
        log::error().info("Event loop {} runs again after {:.2f} s", index + 1,
                          seconds(beat - report));
        report = Clock::time_point();
      }
      if (report == Clock::time_point() && now - beat > threshold_) {
        std::string app = activity.current_app();
        log::error().warn(
            "Event loop {} is blocked: it has not come back for {:.2f} s, running app code for "
            "{}. An app must not block its event loop (use async waits, or run the work on a "
            "thread pool)",
            index + 1, seconds(now - beat), app.empty() ? std::string("no request") : app);
        report = beat;
      }
      ++index;
    }
  }
}

}  // namespace asgi::server
