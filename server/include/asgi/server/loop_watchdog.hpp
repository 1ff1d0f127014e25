#pragma once
// The event-loop watchdog (--loop-lag-warn): a thread of its own that looks at every event loop's
// heartbeat, so that a loop an app blocked is reported even if it never comes back. One warning
// names the loop, the request whose app code it was running and how long it has been blocked; a
// line at info level says when it runs again. Never blocking the event loop is the first rule of
// async code, and the mistake a newcomer makes first (a sleep, a synchronous database call).

#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>

#include "asgi/server/config.hpp"

namespace asgi::server {

class Worker;

class LoopWatchdog {
 public:
  LoopWatchdog(const std::list<Worker>& workers, Seconds threshold);
  ~LoopWatchdog();
  LoopWatchdog(const LoopWatchdog&) = delete;
  LoopWatchdog& operator=(const LoopWatchdog&) = delete;

 private:
  void run();

  const std::list<Worker>& workers_;
  std::chrono::steady_clock::duration threshold_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace asgi::server
