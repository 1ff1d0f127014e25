#pragma once
// --log-level trace: every ASGI message between the server and an app, as Uvicorn's trace level
// shows them ("ASGI [3] Send http.response.start status=200 headers=2"): types and sizes, never
// bodies (they may hold secrets and are unbounded).

#include <atomic>
#include <cstdint>
#include <string>

#include "asgi/events.hpp"

namespace asgi::server {

/// Whether the trace level is on (a cheap check before building any line).
bool tracing();
/// A new number for an app call's trace lines.
std::uint64_t next_trace_id();
std::string describe_for_trace(const Event& event);
std::string describe_for_trace(const Message& message);

}  // namespace asgi::server
