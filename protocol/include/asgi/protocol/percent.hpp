#pragma once
// Percent-decoding for `scope.path`, UTF-8 checks and repair, and quoting for logs.

#include <string>
#include <string_view>

namespace asgi::protocol {

/// Decodes %XX escapes (malformed escapes stay as they are, like Python's unquote) and then
/// replaces invalid UTF-8 with U+FFFD, so the result is always valid UTF-8.
std::string percent_decode_utf8(std::string_view raw);

/// Replaces every invalid UTF-8 sequence with U+FFFD.
std::string repair_utf8(std::string_view bytes);

/// True when `text` is valid UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
/// Reads the bytes where they are: outgoing WebSocket messages are checked without a copy.
bool is_valid_utf8(std::string_view text);

/// Escapes bytes that could forge or garble a log line (controls, space, '"', non-ASCII and,
/// for decoded text, '%') as %XX, the way Uvicorn quotes paths in its access log.
std::string quote_for_log(std::string_view text, bool escape_percent = true);

}  // namespace asgi::protocol
