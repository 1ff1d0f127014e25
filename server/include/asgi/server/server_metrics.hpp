#pragma once
// --metrics-bind: what the server counts, for Prometheus. Each event loop writes its own
// LoopMetrics (one writer: relaxed atomic stores, no contention, no lock on the request path);
// a scrape sums them and renders the text format with prometheus-cpp's serializer.
//
//   asgiserver_requests_total{method,status}        asgiserver_request_duration_seconds (histogram)
//   asgiserver_request_body_bytes_total             asgiserver_response_body_bytes_total
//   asgiserver_requests_in_flight                   asgiserver_connections_open{protocol}
//   asgiserver_websocket_messages_total{direction}  asgiserver_event_loop_lag_seconds{loop} (hist.)

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace asgi::server {

/// A histogram with fixed buckets, one writer.
class LoopHistogram {
 public:
  static constexpr std::array<double, 13> bounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                 0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
  void observe(double seconds) {
    std::size_t i = 0;
    while (i < bounds.size() && seconds > bounds[i]) ++i;
    bump(buckets_[i]);
    sum_micros_.store(
        sum_micros_.load(std::memory_order_relaxed) + static_cast<std::uint64_t>(seconds * 1e6),
        std::memory_order_relaxed);
  }
  /// Non-cumulative counts per bucket (the last: above every bound), and the sum in seconds.
  std::array<std::uint64_t, bounds.size() + 1> counts() const {
    std::array<std::uint64_t, bounds.size() + 1> out{};
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = buckets_[i].load(std::memory_order_relaxed);
    return out;
  }
  double sum() const {
    return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
  }

  /// Adds this histogram to `into` and zeroes it (nobody writing either).
  void move_into(LoopHistogram& into) {
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      bump(into.buckets_[i], buckets_[i].load(std::memory_order_relaxed));
      buckets_[i].store(0, std::memory_order_relaxed);
    }
    bump(into.sum_micros_, sum_micros_.load(std::memory_order_relaxed));
    sum_micros_.store(0, std::memory_order_relaxed);
  }
  void reset() {
    for (auto& bucket : buckets_) bucket.store(0, std::memory_order_relaxed);
    sum_micros_.store(0, std::memory_order_relaxed);
  }

  static void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) {
    counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }

 private:
  std::array<std::atomic<std::uint64_t>, bounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> sum_micros_{0};
};

/// One event loop's figures; written only by that loop's thread. Plain atomics and nothing else,
/// so that it can live in memory shared between processes (worker processes' figures are summed
/// by the supervisor).
struct LoopMetrics {
  static constexpr std::array<std::string_view, 8> methods{"GET",  "POST",    "PUT",   "DELETE",
                                                           "HEAD", "OPTIONS", "PATCH", "other"};
  static std::size_t method_index(std::string_view method) {
    for (std::size_t i = 0; i + 1 < methods.size(); ++i)
      if (methods[i] == method) return i;
    return methods.size() - 1;
  }

  /// A response finished.
  void on_request_done(std::string_view method, int status, std::uint64_t body_in,
                       std::uint64_t body_out, std::chrono::steady_clock::duration duration) {
    int code = status >= 100 && status <= 599 ? status : 599;
    LoopHistogram::bump(requests[method_index(method)][static_cast<std::size_t>(code - 100)]);
    LoopHistogram::bump(request_body_bytes, body_in);
    LoopHistogram::bump(response_body_bytes, body_out);
    request_duration.observe(std::chrono::duration<double>(duration).count());
  }
  static void add(std::atomic<std::int64_t>& gauge, std::int64_t by) {
    gauge.store(gauge.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }

  std::array<std::array<std::atomic<std::uint64_t>, 500>, methods.size()> requests{};
  std::atomic<std::uint64_t> request_body_bytes{0};
  std::atomic<std::uint64_t> response_body_bytes{0};
  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::int64_t> http_connections{0};
  std::atomic<std::int64_t> websocket_connections{0};
  std::atomic<std::uint64_t> websocket_messages_in{0};
  std::atomic<std::uint64_t> websocket_messages_out{0};
  LoopHistogram request_duration;
  LoopHistogram loop_lag;

  /// Adds this loop's counters (not its gauges: a finished loop has nothing open) to `into`, and
  /// zeroes this one for reuse. Only when nobody writes either.
  void retire_into(LoopMetrics& into);
};

/// The figures of a process's loops, or of every worker process's (shared memory).
class ServerMetrics {
 public:
  /// In this process's own memory; add_loop() makes the loops.
  ServerMetrics() = default;
  /// Over `count` loops at `loops` (a shared mapping): slot 0 keeps what finished workers counted,
  /// the others are the workers' loops.
  ServerMetrics(LoopMetrics* loops, std::size_t count) : shared_(loops), shared_count_(count) {}

  LoopMetrics& add_loop() { return loops_.emplace_back(); }
  /// The Prometheus text exposition of everything, summed over the loops (lag per loop).
  std::string render() const;

 private:
  template <class Visit>
  void each_loop(Visit visit) const {
    for (const LoopMetrics& loop : loops_) visit(loop);
    for (std::size_t i = 0; i < shared_count_; ++i) visit(shared_[i]);
  }

  std::deque<LoopMetrics> loops_;  ///< a deque: adding one moves none
  LoopMetrics* shared_ = nullptr;
  std::size_t shared_count_ = 0;
};

/// The shared mapping the supervisor makes for its workers' figures: slot 0 for retired workers,
/// then `threads` slots per worker index.
class SharedMetricsRegion {
 public:
  /// Creates the region (memfd) for up to `workers` worker indexes of `threads` loops.
  static std::optional<SharedMetricsRegion> create(std::size_t workers, std::size_t threads);
  /// Maps the region a supervisor passed down (fd), in a worker.
  static std::optional<SharedMetricsRegion> attach(int fd, std::size_t workers,
                                                   std::size_t threads);
  SharedMetricsRegion(SharedMetricsRegion&& other) noexcept;
  SharedMetricsRegion& operator=(SharedMetricsRegion&&) = delete;
  ~SharedMetricsRegion();

  int fd() const { return fd_; }
  std::size_t workers() const { return workers_; }
  /// Loop `thread` of worker index `worker`.
  LoopMetrics& loop(std::size_t worker, std::size_t thread) {
    return loops_[1 + worker * threads_ + thread];
  }
  /// A worker index's loops are done (the process exited): fold them into slot 0.
  void retire(std::size_t worker);
  ServerMetrics view() const { return ServerMetrics(loops_, 1 + workers_ * threads_); }

 private:
  SharedMetricsRegion(int fd, LoopMetrics* loops, std::size_t workers, std::size_t threads)
      : fd_(fd), loops_(loops), workers_(workers), threads_(threads) {}
  std::size_t bytes() const { return (1 + workers_ * threads_) * sizeof(LoopMetrics); }

  int fd_ = -1;
  LoopMetrics* loops_ = nullptr;
  std::size_t workers_ = 0;
  std::size_t threads_ = 0;
};

}  // namespace asgi::server
