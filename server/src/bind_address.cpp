#include "asgi/server/bind_address.hpp"

#include <charconv>

namespace asgi::server {

namespace {

template <class Number>
std::optional<Number> parse_number(std::string_view text, Number max) {
  Number value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > max)
    return std::nullopt;
  return value;
}

}  // namespace

std::optional<BindAddress> BindAddress::parse(std::string_view text, std::string& error) {
  BindAddress bind;
  if (text.starts_with("unix:")) {
    bind.kind = Kind::unix_socket;
    bind.path = std::string(text.substr(5));
    if (bind.path.empty() || bind.path.find('\0') != std::string::npos) {
      error = "unix: needs a socket path";
      return std::nullopt;
    }
    return bind;
  }
  if (text.starts_with("fd://")) {
    bind.kind = Kind::inherited_fd;
    std::optional<int> fd = parse_number<int>(text.substr(5), 1 << 20);
    if (!fd) {
      error = "fd:// needs a file descriptor number";
      return std::nullopt;
    }
    bind.fd = *fd;
    return bind;
  }
  std::string_view port_text;
  if (text.starts_with('[')) {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error = "an IPv6 address is written [ADDRESS]:PORT";
      return std::nullopt;
    }
    bind.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      error = "expected HOST:PORT, [IPv6]:PORT, unix:PATH or fd://N";
      return std::nullopt;
    }
    bind.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  std::optional<unsigned> port = parse_number<unsigned>(port_text, 65535);
  if (bind.host.empty() || !port) {
    error = "expected HOST:PORT with a port from 0 to 65535";
    return std::nullopt;
  }
  bind.port = static_cast<std::uint16_t>(*port);
  return bind;
}

}  // namespace asgi::server
