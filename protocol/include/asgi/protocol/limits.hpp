#pragma once
// Request limits. Defaults are nginx- and Node-like sizes: large enough for real clients, small
// enough that a hostile one cannot make a request cost much memory.

#include <cstddef>
#include <cstdint>

namespace asgi::protocol {

struct RequestLimits {
  std::size_t max_request_line = 8192;        ///< method + target + version; over it -> 414
  std::size_t max_head_bytes = 32768;         ///< request line + all header fields; over it -> 431
  std::size_t max_header_count = 100;         ///< over it -> 431
  std::uint64_t max_body_bytes = 100u << 20;  ///< 0 = unlimited; over it -> 413
  std::size_t max_chunk_extension_bytes = 4096;  ///< per chunk; over it -> 400
};

}  // namespace asgi::protocol
