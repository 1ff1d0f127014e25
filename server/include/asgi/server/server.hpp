#pragma once
// The process: binds the listening socket, starts the event-loop workers, accepts connections
// round-robin onto them and handles SIGINT/SIGTERM.

#include "asgi/app.hpp"
#include "asgi/server/config.hpp"

namespace asgi::server {

/// Serves until a signal arrives. Returns the process exit status (3: startup failure).
int run_server(const Config& config, const App& app);

}  // namespace asgi::server
