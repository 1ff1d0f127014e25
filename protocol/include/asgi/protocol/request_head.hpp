#pragma once
// What the parser learned from a request's head, before any of its body.

#include <cstdint>
#include <optional>
#include <string>

#include "asgi/headers.hpp"

namespace asgi::protocol {

struct RequestHead {
  std::string method;  ///< as sent (llhttp only accepts uppercase methods)
  std::string target;  ///< request-target, raw
  int http_major = 1;
  int http_minor = 1;
  Headers headers;  ///< names lowercased, values trimmed of surrounding whitespace
  bool keep_alive = true;
  bool chunked = false;
  std::optional<std::uint64_t> content_length;
  bool expect_continue = false;
  bool upgrade = false;      ///< llhttp saw `Connection: upgrade` with an `Upgrade` header
  bool te_trailers = false;  ///< the client accepts trailers (`TE: trailers`)

  bool has_body() const { return chunked || content_length.value_or(0) > 0; }
  std::string_view version() const { return http_minor == 0 ? "1.0" : "1.1"; }
};

}  // namespace asgi::protocol
