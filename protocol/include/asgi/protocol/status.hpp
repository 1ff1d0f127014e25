#pragma once
// Reason phrases (RFC 9110 §15) for status lines and access logs. Apps never supply a reason, so
// no CR/LF can reach a status line.

#include <string_view>

#include "asgi/status.hpp"

namespace asgi::protocol {

using asgi::reason_phrase;

/// "HTTP/1.1 200 OK\r\n" for 100..599, rendered once and cached.
std::string_view status_line(int status);

}  // namespace asgi::protocol
