#include "asgi/server/server_metrics.hpp"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <sys/mman.h>
#include <unistd.h>

#include <limits>
#include <utility>
#include <vector>

namespace asgi::server {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily family(std::string name, std::string help, MetricType type) {
  MetricFamily result;
  result.name = std::move(name);
  result.help = std::move(help);
  result.type = type;
  return result;
}

ClientMetric counter(double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.counter.value = value;
  return metric;
}

ClientMetric gauge(double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  return metric;
}

// Sums `histograms` into one Prometheus histogram (cumulative buckets, +Inf last).
ClientMetric histogram(const std::vector<const LoopHistogram*>& histograms,
                       std::vector<ClientMetric::Label> labels = {}) {
  std::array<std::uint64_t, LoopHistogram::bounds.size() + 1> counts{};
  double sum = 0;
  for (const LoopHistogram* one : histograms) {
    auto each = one->counts();
    for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += each[i];
    sum += one->sum();
  }
  ClientMetric metric;
  metric.label = std::move(labels);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    double bound = i < LoopHistogram::bounds.size() ? LoopHistogram::bounds[i]
                                                    : std::numeric_limits<double>::infinity();
    metric.histogram.bucket.push_back({cumulative, bound});
  }
  metric.histogram.sample_count = cumulative;
  metric.histogram.sample_sum = sum;
  return metric;
}

template <class Field>
double total(const std::deque<LoopMetrics>& loops, Field field) {
  double sum = 0;
  for (const LoopMetrics& loop : loops)
    sum += static_cast<double>((loop.*field).load(std::memory_order_relaxed));
  return sum;
}

}  // namespace

std::string ServerMetrics::render() const {
  std::vector<MetricFamily> families;
  auto total = [this](auto field) {
    double sum = 0;
    each_loop([&](const LoopMetrics& loop) {
      sum += static_cast<double>((loop.*field).load(std::memory_order_relaxed));
    });
    return sum;
  };

  MetricFamily requests =
      family("asgiserver_requests_total", "HTTP requests answered, by method and status",
             MetricType::Counter);
  for (std::size_t m = 0; m < LoopMetrics::methods.size(); ++m) {
    for (std::size_t s = 0; s < 500; ++s) {
      std::uint64_t count = 0;
      each_loop([&](const LoopMetrics& loop) {
        count += loop.requests[m][s].load(std::memory_order_relaxed);
      });
      if (count == 0) continue;
      requests.metric.push_back(counter(
          static_cast<double>(count),
          {{"method", std::string(LoopMetrics::methods[m])}, {"status", std::to_string(s + 100)}}));
    }
  }
  families.push_back(std::move(requests));

  MetricFamily duration =
      family("asgiserver_request_duration_seconds",
             "From a request's complete head to the end of its response", MetricType::Histogram);
  std::vector<const LoopHistogram*> durations;
  each_loop([&](const LoopMetrics& loop) { durations.push_back(&loop.request_duration); });
  duration.metric.push_back(histogram(durations));
  families.push_back(std::move(duration));

  MetricFamily body_in = family("asgiserver_request_body_bytes_total",
                                "Request body bytes received", MetricType::Counter);
  body_in.metric.push_back(counter(total(&LoopMetrics::request_body_bytes)));
  families.push_back(std::move(body_in));
  MetricFamily body_out = family("asgiserver_response_body_bytes_total", "Response body bytes sent",
                                 MetricType::Counter);
  body_out.metric.push_back(counter(total(&LoopMetrics::response_body_bytes)));
  families.push_back(std::move(body_out));

  MetricFamily in_flight =
      family("asgiserver_requests_in_flight", "HTTP requests being served now", MetricType::Gauge);
  in_flight.metric.push_back(gauge(total(&LoopMetrics::in_flight)));
  families.push_back(std::move(in_flight));

  MetricFamily connections = family("asgiserver_connections_open",
                                    "Open client connections, by protocol", MetricType::Gauge);
  connections.metric.push_back(
      gauge(total(&LoopMetrics::http_connections), {{"protocol", "http"}}));
  connections.metric.push_back(
      gauge(total(&LoopMetrics::websocket_connections), {{"protocol", "websocket"}}));
  families.push_back(std::move(connections));

  MetricFamily messages = family("asgiserver_websocket_messages_total",
                                 "WebSocket messages, by direction", MetricType::Counter);
  messages.metric.push_back(
      counter(total(&LoopMetrics::websocket_messages_in), {{"direction", "in"}}));
  messages.metric.push_back(
      counter(total(&LoopMetrics::websocket_messages_out), {{"direction", "out"}}));
  families.push_back(std::move(messages));

  MetricFamily lag =
      family("asgiserver_event_loop_lag_seconds",
             "How late each event loop ran its heartbeat timer", MetricType::Histogram);
  std::size_t index = 0;
  each_loop([&](const LoopMetrics& loop) {
    ++index;
    if (shared_ && &loop == shared_) return;  // the retired workers' slot has no loop
    auto counts = loop.loop_lag.counts();
    bool used = false;
    for (std::uint64_t count : counts) used = used || count > 0;
    if (!used && shared_) return;  // a slot no worker uses
    lag.metric.push_back(
        histogram({&loop.loop_lag}, {{"loop", std::to_string(shared_ ? index - 1 : index)}}));
  });
  families.push_back(std::move(lag));

  return prometheus::TextSerializer().Serialize(families);
}

void LoopMetrics::retire_into(LoopMetrics& into) {
  auto move = [](std::atomic<std::uint64_t>& from, std::atomic<std::uint64_t>& to) {
    LoopHistogram::bump(to, from.load(std::memory_order_relaxed));
    from.store(0, std::memory_order_relaxed);
  };
  for (std::size_t m = 0; m < requests.size(); ++m)
    for (std::size_t s = 0; s < requests[m].size(); ++s) move(requests[m][s], into.requests[m][s]);
  move(request_body_bytes, into.request_body_bytes);
  move(response_body_bytes, into.response_body_bytes);
  move(websocket_messages_in, into.websocket_messages_in);
  move(websocket_messages_out, into.websocket_messages_out);
  request_duration.move_into(into.request_duration);
  loop_lag.reset();  // per loop: a new worker's loop starts afresh
  in_flight.store(0, std::memory_order_relaxed);
  http_connections.store(0, std::memory_order_relaxed);
  websocket_connections.store(0, std::memory_order_relaxed);
}

std::optional<SharedMetricsRegion> SharedMetricsRegion::create(std::size_t workers,
                                                               std::size_t threads) {
  int fd = ::memfd_create("asgiserver-metrics", 0);  // no CLOEXEC: the workers inherit it
  if (fd < 0) return std::nullopt;
  std::size_t size = (1 + workers * threads) * sizeof(LoopMetrics);
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  // A fresh memfd reads as zeros: every atomic starts at 0 without touching a page.
  return attach(fd, workers, threads);
}

std::optional<SharedMetricsRegion> SharedMetricsRegion::attach(int fd, std::size_t workers,
                                                               std::size_t threads) {
  std::size_t size = (1 + workers * threads) * sizeof(LoopMetrics);
  void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    ::close(fd);
    return std::nullopt;
  }
  return SharedMetricsRegion(fd, static_cast<LoopMetrics*>(base), workers, threads);
}

SharedMetricsRegion::SharedMetricsRegion(SharedMetricsRegion&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      loops_(std::exchange(other.loops_, nullptr)),
      workers_(other.workers_),
      threads_(other.threads_) {}

SharedMetricsRegion::~SharedMetricsRegion() {
  if (loops_) ::munmap(loops_, bytes());
  if (fd_ >= 0) ::close(fd_);
}

void SharedMetricsRegion::retire(std::size_t worker) {
  for (std::size_t t = 0; t < threads_; ++t) loop(worker, t).retire_into(loops_[0]);
}

}  // namespace asgi::server
