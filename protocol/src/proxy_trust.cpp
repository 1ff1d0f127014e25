#include "asgi/protocol/proxy_trust.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "asgi/protocol/header_tokens.hpp"

namespace asgi::protocol {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buffer[INET6_ADDRSTRLEN];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  IpAddress ip;
  in_addr v4;
  if (::inet_pton(AF_INET, buffer, &v4) == 1) {
    ip.bytes[10] = ip.bytes[11] = 0xFF;
    std::memcpy(ip.bytes.data() + 12, &v4, 4);
    ip.v4 = true;
    return ip;
  }
  if (::inet_pton(AF_INET6, buffer, ip.bytes.data()) != 1) return std::nullopt;
  static constexpr std::uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  ip.v4 = std::memcmp(ip.bytes.data(), mapped_prefix, 12) == 0;
  return ip;
}

std::optional<ProxyTrust> ProxyTrust::parse(std::string_view list, std::string* error) {
  ProxyTrust trust;
  bool ok = true;
  for_each_token(list, [&](std::string_view entry) {
    if (entry == "*") {
      trust.everyone_ = true;
      return;
    }
    if (entry == "unix:") {
      trust.unix_peers_ = true;
      return;
    }
    std::size_t slash = entry.find('/');
    std::string_view host = entry.substr(0, slash);
    std::optional<IpAddress> address = IpAddress::parse(host);
    if (!address) {
      // Uvicorn keeps what is not an address as a literal (a socket path); "1.2.3.4/x" or
      // "10.0.0.0/33" are networks written wrong, and silently trusting nothing would be worse.
      bool looks_like_network =
          slash != std::string_view::npos && !host.empty() &&
          host.find_first_not_of("0123456789abcdefABCDEF.:") == std::string_view::npos;
      if (looks_like_network) {
        ok = false;
        if (error) *error = std::string(entry);
        return;
      }
      trust.literals_.emplace_back(entry);
      return;
    }
    Network network{*address, 128};
    if (slash != std::string_view::npos) {
      std::string_view bits = entry.substr(slash + 1);
      int prefix = -1;
      auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
      int limit = address->v4 ? 32 : 128;
      if (ec != std::errc() || end != bits.data() + bits.size() || prefix < 0 || prefix > limit) {
        ok = false;
        if (error) *error = std::string(entry);
        return;
      }
      network.prefix_bits = address->v4 ? prefix + 96 : prefix;
    }
    trust.networks_.push_back(network);
  });
  if (!ok) return std::nullopt;
  return trust;
}

bool ProxyTrust::trusts(std::string_view host) const {
  if (everyone_) return true;
  if (std::optional<IpAddress> address = IpAddress::parse(host)) {
    for (const Network& network : networks_) {
      int whole = network.prefix_bits / 8;
      int rest = network.prefix_bits % 8;
      if (std::memcmp(address->bytes.data(), network.address.bytes.data(), whole) != 0) continue;
      if (rest == 0) return true;
      auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
      if ((address->bytes[whole] & mask) == (network.address.bytes[whole] & mask)) return true;
    }
    return false;
  }
  for (const std::string& literal : literals_)
    if (literal == host) return true;
  return false;
}

}  // namespace asgi::protocol
