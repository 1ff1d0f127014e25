#pragma once
// Uvicorn-style logging on spdlog: server messages to stderr ("INFO:     Started server process"),
// access lines to stdout ('INFO:     127.0.0.1:51234 - "GET / HTTP/1.1" 200 OK').

#include <spdlog/logger.h>

#include <cstdint>
#include <exception>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "asgi/server/config.hpp"

namespace asgi::server::log {

/// Creates both loggers; call once before anything logs. `plain_access`: access lines are
/// written as they are (a --access-log-format), without the level prefix. `json`: every line is
/// one JSON object (time, level, logger, message; access lines add their fields).
/// `colors`: level names colored as Uvicorn does (nullopt: when the stream is a terminal).
void setup(LogLevel level, bool access_log, bool plain_access = false, bool json = false,
           std::optional<bool> colors = std::nullopt);

/// Asks for the access lines still queued to be written (at exit).
void flush_access();

/// Whether lines are JSON (--log-format json).
bool json_logs();
/// A field of a JSON access line.
using LogField = std::pair<std::string_view,
                           std::variant<std::nullptr_t, std::int64_t, double, std::string_view>>;
/// JSON logs: an access line, `message` (Uvicorn's text) and its fields in one object.
void access_json(std::string_view message, std::initializer_list<LogField> fields);

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
