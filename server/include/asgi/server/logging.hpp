#pragma once
// Uvicorn-style logging on spdlog: server messages to stderr ("INFO:     Started server process"),
// access lines to stdout ('INFO:     127.0.0.1:51234 - "GET / HTTP/1.1" 200 OK').

#include <spdlog/logger.h>

#include <exception>
#include <memory>
#include <string>

#include "asgi/server/config.hpp"

namespace asgi::server::log {

/// Creates both loggers; call once before anything logs. `plain_access`: access lines are
/// written as they are (a --access-log-format), without the level prefix.
void setup(LogLevel level, bool access_log, bool plain_access = false);

spdlog::logger& error();

/// Completion handler for spawned coroutines: they handle what they expect, so anything that
/// escapes is logged (never rethrown into the event loop, never silently dropped).
struct LogEscapedException {
  const char* where;
  void operator()(std::exception_ptr escaped) const;
};
/// nullptr when the access log is off, so callers skip building the line at all.
spdlog::logger* access();

}  // namespace asgi::server::log
