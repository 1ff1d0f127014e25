#pragma once
// One --bind value, in Gunicorn's and Hypercorn's forms: HOST:PORT, [IPv6]:PORT, unix:PATH,
// fd://N. Parsed without touching the network, so a typo is reported before anything is bound.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace asgi::server {

struct BindAddress {
  enum class Kind { tcp, unix_socket, inherited_fd };
  Kind kind = Kind::tcp;
  std::string host;        ///< tcp: a name or address literal, without brackets
  std::uint16_t port = 0;  ///< tcp: 0 picks a free port
  std::string path;        ///< unix_socket
  int fd = -1;             ///< inherited_fd: an already listening socket (fd://3)

  /// nullopt with `error` set when `text` is none of the forms.
  static std::optional<BindAddress> parse(std::string_view text, std::string& error);
  bool operator==(const BindAddress&) const = default;
};

}  // namespace asgi::server
