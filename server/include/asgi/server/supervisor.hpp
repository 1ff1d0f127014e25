#pragma once
// --workers N: a supervisor process that binds the sockets once and runs N worker processes on
// them (each the same binary, serving with --threads event loops). It replaces a worker that dies
// or stops answering its health ping, replaces them one by one on SIGHUP (each new one ready
// before an old one stops), adds or removes one on SIGTTIN / SIGTTOU, and on SIGINT / SIGTERM
// lets every worker shut down gracefully. A worker that fails at startup stops the service
// (exit 3) instead of being restarted in a loop.

#include <optional>

#include "asgi/server/config.hpp"
#include "asgi/server/listeners.hpp"
#include "asgi/server/server_metrics.hpp"

namespace asgi::server {

/// Runs the supervisor until the service stops; returns the process exit status.
int run_supervisor(const Config& config, Listeners listeners);

/// In a worker process: the listening sockets the supervisor handed down and the descriptor of
/// its channel to the supervisor; nullopt in any other process.
struct WorkerInheritance {
  Listeners listeners;
  int channel_fd = -1;
  /// --metrics-bind: where this worker's loops count (the supervisor serves the sum).
  std::optional<SharedMetricsRegion> metrics;
  std::size_t metrics_slot = 0;
};
std::optional<WorkerInheritance> inherited_from_supervisor();

/// The one-byte messages on the channel between supervisor and worker.
namespace channel {
inline constexpr char ready = 'R';  ///< worker -> supervisor: startup complete, accepting
inline constexpr char ping = 'P';   ///< supervisor -> worker
inline constexpr char pong = 'O';   ///< worker -> supervisor: every event loop answered the ping
}  // namespace channel

}  // namespace asgi::server
