#pragma once
// What an event loop is doing, readable from another thread: when it last came back to its loop
// (a heartbeat a timer on the loop stores) and which request's app code it last handed control
// to. The event-loop watchdog reads both to name an app that blocks its loop.
//
// The label is written by the loop's thread and read by the watchdog's, without a lock: a
// sequence counter (odd while writing) tells the reader to retry a torn read, and the bytes are
// atomics so that the race is defined behaviour.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace asgi::server {

class LoopActivity {
 public:
  using Clock = std::chrono::steady_clock;

  /// On the loop: it ran a turn now.
  void beat() {
    heartbeat_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  }
  /// From anywhere: when the loop last ran a turn.
  Clock::time_point last_beat() const {
    return Clock::time_point(Clock::duration(heartbeat_.load(std::memory_order_relaxed)));
  }

  /// On the loop, whenever the server hands control to an app: `owner` identifies the request
  /// (only a change of owner rewrites the label, so a request pays once). `starting`: the app's
  /// first turn, always written, since a new request may reuse a finished one's address.
  void note_app(const void* owner, std::string_view what, std::string_view target,
                bool starting = false) {
    if (owner == owner_ && !starting) return;
    owner_ = owner;
    std::uint64_t sequence = sequence_.load(std::memory_order_relaxed);
    sequence_.store(sequence + 1, std::memory_order_relaxed);  // odd: being written
    std::atomic_thread_fence(std::memory_order_release);
    std::size_t length = 0;
    auto put = [this, &length](std::string_view text) {
      for (char c : text) {
        if (length == label_.size()) return;
        label_[length++].store(c, std::memory_order_relaxed);
      }
    };
    put(what);
    put(" ");
    put(target);
    length_.store(length, std::memory_order_relaxed);
    sequence_.store(sequence + 2, std::memory_order_release);
  }

  /// From the watchdog: the last label written ("GET /block?seconds=2"), or empty.
  std::string current_app() const {
    for (int attempt = 0; attempt < 100; ++attempt) {
      std::uint64_t before = sequence_.load(std::memory_order_acquire);
      if (before % 2 == 1) continue;
      std::string text;
      std::size_t length = length_.load(std::memory_order_relaxed);
      for (std::size_t i = 0; i < length; ++i) text += label_[i].load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (sequence_.load(std::memory_order_relaxed) == before) return text;
    }
    return {};
  }

 private:
  std::atomic<Clock::rep> heartbeat_{0};  ///< 0: the loop has not started
  const void* owner_ = nullptr;           ///< the loop's thread only
  std::atomic<std::uint64_t> sequence_{0};
  std::atomic<std::size_t> length_{0};
  std::array<std::atomic<char>, 200> label_{};
};

}  // namespace asgi::server

namespace asgi::server {

/// Held by the server's receive/send while an app awaits them: marks the app's request as the one
/// running when the app calls in and again when the server returns to it (other requests may have
/// run on the loop meanwhile).
class AppTurn {
 public:
  AppTurn(LoopActivity& activity, const void* owner, std::string_view what, std::string_view target)
      : activity_(activity), owner_(owner), what_(what), target_(target) {
    activity_.note_app(owner_, what_, target_);
  }
  ~AppTurn() { activity_.note_app(owner_, what_, target_); }
  AppTurn(const AppTurn&) = delete;
  AppTurn& operator=(const AppTurn&) = delete;

 private:
  LoopActivity& activity_;
  const void* owner_;
  std::string_view what_;
  std::string_view target_;
};

}  // namespace asgi::server
