#pragma once
// Which peers may speak for the client: --forwarded-allow-ips, shared by the proxy headers
// (X-Forwarded-*, Forwarded) and the PROXY protocol.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asgi::protocol {

/// An IPv4 or IPv6 address as 16 bytes (IPv4 and IPv4-mapped IPv6 both as ::ffff:a.b.c.d, so a
/// dual-stack listener's peers match IPv4 entries).
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = false;
  /// A bare IPv4 or IPv6 literal (no brackets, no port, no zone); nullopt otherwise.
  static std::optional<IpAddress> parse(std::string_view text);
};

/// The trust list: IP addresses, CIDR networks, `*` (everyone), `unix:` (peers on a UNIX-domain
/// socket, which have no address) and other literals compared as text (a socket path, `unknown`).
class ProxyTrust {
 public:
  /// What Uvicorn trusts by default, plus the IPv6 loopback and UNIX-socket peers: a proxy on the
  /// same machine.
  static constexpr std::string_view default_list = "127.0.0.1,::1,unix:";

  /// Parses a comma-separated list; nullopt on an entry that looks like a network but is not one
  /// ("10.0.0.0/33", "10.0.0.0/x"), with `error` naming it.
  static std::optional<ProxyTrust> parse(std::string_view list, std::string* error = nullptr);

  bool trusts_everyone() const { return everyone_; }
  /// A host as a peer, a PROXY header or a forwarded-for element names it.
  bool trusts(std::string_view host) const;
  /// A peer on a UNIX-domain socket (no client address).
  bool trusts_unix_peers() const { return everyone_ || unix_peers_; }

 private:
  struct Network {
    IpAddress address;
    int prefix_bits = 128;  ///< counted on the 16-byte form
  };
  bool everyone_ = false;
  bool unix_peers_ = false;
  std::vector<Network> networks_;
  std::vector<std::string> literals_;
};

}  // namespace asgi::protocol
