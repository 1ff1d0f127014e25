#pragma once
// Reason phrases (RFC 9110 §15) for status lines and access logs. Apps never supply a reason, so
// no CR/LF can reach a status line.

#include <string_view>

namespace asgi::protocol {

/// The reason phrase for `status`, or "" for an unregistered code.
std::string_view reason_phrase(int status);

/// "HTTP/1.1 200 OK\r\n" for 100..599, rendered once and cached.
std::string_view status_line(int status);

}  // namespace asgi::protocol
