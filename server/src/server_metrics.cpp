#include "asgi/server/server_metrics.hpp"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <limits>
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

  MetricFamily requests =
      family("asgiserver_requests_total", "HTTP requests answered, by method and status",
             MetricType::Counter);
  for (std::size_t m = 0; m < LoopMetrics::methods.size(); ++m) {
    for (std::size_t s = 0; s < 500; ++s) {
      std::uint64_t count = 0;
      for (const LoopMetrics& loop : loops_)
        count += loop.requests[m][s].load(std::memory_order_relaxed);
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
  for (const LoopMetrics& loop : loops_) durations.push_back(&loop.request_duration);
  duration.metric.push_back(histogram(durations));
  families.push_back(std::move(duration));

  MetricFamily body_in = family("asgiserver_request_body_bytes_total",
                                "Request body bytes received", MetricType::Counter);
  body_in.metric.push_back(counter(total(loops_, &LoopMetrics::request_body_bytes)));
  families.push_back(std::move(body_in));
  MetricFamily body_out = family("asgiserver_response_body_bytes_total", "Response body bytes sent",
                                 MetricType::Counter);
  body_out.metric.push_back(counter(total(loops_, &LoopMetrics::response_body_bytes)));
  families.push_back(std::move(body_out));

  MetricFamily in_flight =
      family("asgiserver_requests_in_flight", "HTTP requests being served now", MetricType::Gauge);
  in_flight.metric.push_back(gauge(total(loops_, &LoopMetrics::in_flight)));
  families.push_back(std::move(in_flight));

  MetricFamily connections = family("asgiserver_connections_open",
                                    "Open client connections, by protocol", MetricType::Gauge);
  connections.metric.push_back(
      gauge(total(loops_, &LoopMetrics::http_connections), {{"protocol", "http"}}));
  connections.metric.push_back(
      gauge(total(loops_, &LoopMetrics::websocket_connections), {{"protocol", "websocket"}}));
  families.push_back(std::move(connections));

  MetricFamily messages = family("asgiserver_websocket_messages_total",
                                 "WebSocket messages, by direction", MetricType::Counter);
  messages.metric.push_back(
      counter(total(loops_, &LoopMetrics::websocket_messages_in), {{"direction", "in"}}));
  messages.metric.push_back(
      counter(total(loops_, &LoopMetrics::websocket_messages_out), {{"direction", "out"}}));
  families.push_back(std::move(messages));

  MetricFamily lag =
      family("asgiserver_event_loop_lag_seconds",
             "How late each event loop ran its heartbeat timer", MetricType::Histogram);
  std::size_t index = 0;
  for (const LoopMetrics& loop : loops_)
    lag.metric.push_back(histogram({&loop.loop_lag}, {{"loop", std::to_string(++index)}}));
  families.push_back(std::move(lag));

  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace asgi::server
