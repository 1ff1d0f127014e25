#pragma once
// The two exceptions an application can see from `send` and `receive`.

#include <exception>
#include <stdexcept>
#include <string>
#include <system_error>

namespace asgi {

/// The application broke the ASGI protocol: a message of the wrong type or order, an invalid
/// status, header or key. Thrown from `send`/`receive` where the misuse happens.
class ProtocolError : public std::logic_error {
 public:
  explicit ProtocolError(const std::string& what) : std::logic_error(what) {}
};

/// `send` was called after the client went away (ASGI 2.4: a server-specific OSError). The server
/// swallows it silently if the application lets it escape.
class ClientDisconnected : public std::system_error {
 public:
  ClientDisconnected()
      : std::system_error(std::make_error_code(std::errc::connection_reset),
                          "client disconnected") {}
};

/// What an exception says, for a log line: its what(), or "unknown exception" when it is not a
/// std::exception.
std::string describe_exception(std::exception_ptr error);
/// True when `error` holds a ClientDisconnected.
bool is_client_disconnected(std::exception_ptr error);

}  // namespace asgi
