#include "asgi/protocol/proxy_protocol.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace asgi::protocol {

namespace {

using Status = ProxyProtocolParse::Status;

constexpr std::string_view v1_signature = "PROXY ";
constexpr std::size_t v1_max_length = 107;  // the specification's bound, CRLF included
constexpr std::string_view v2_signature{"\r\n\r\n\0\r\nQUIT\n", 12};
constexpr std::size_t v2_fixed_length = 16;

ProxyProtocolParse invalid(std::string error) {
  ProxyProtocolParse parse;
  parse.status = Status::invalid;
  parse.error = std::move(error);
  return parse;
}

ProxyProtocolParse incomplete(std::size_t have, std::size_t at_most) {
  ProxyProtocolParse parse;
  parse.length = have;
  parse.at_most = at_most;
  return parse;
}

// An address in the family's strict text form, returned in canonical form.
std::optional<std::string> canonical_address(std::string_view text, int family) {
  std::string copy(text);
  std::array<unsigned char, 16> binary{};
  if (::inet_pton(family, copy.c_str(), binary.data()) != 1) return std::nullopt;
  std::array<char, INET6_ADDRSTRLEN> out{};
  ::inet_ntop(family, binary.data(), out.data(), out.size());
  return std::string(out.data());
}

// 0..65535 in decimal, without a sign or leading zeros.
std::optional<std::uint16_t> port_number(std::string_view text) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  for (;;) {
    std::size_t space = line.find(' ', start);
    fields.push_back(line.substr(start, space - start));
    if (space == std::string_view::npos) return fields;
    start = space + 1;
  }
}

ProxyProtocolParse parse_v1(std::string_view data) {
  std::size_t end = data.substr(0, v1_max_length).find("\r\n");
  if (end == std::string_view::npos) {
    if (data.size() >= v1_max_length) return invalid("v1 header longer than 107 bytes");
    if (std::find(data.begin(), data.end(), '\n') != data.end())
      return invalid("v1 header with a bare LF");
    return incomplete(data.size(), v1_max_length);
  }
  std::vector<std::string_view> fields = split_spaces(data.substr(0, end));
  // fields[0] is "PROXY"
  ProxyProtocolParse parse;
  parse.status = Status::complete;
  parse.length = end + 2;
  if (fields.size() >= 2 && fields[1] == "UNKNOWN") return parse;  // the rest is ignored
  if (fields.size() != 6) return invalid("v1 header without exactly 5 fields");
  int family = fields[1] == "TCP4" ? AF_INET : fields[1] == "TCP6" ? AF_INET6 : 0;
  if (family == 0) return invalid("v1 protocol is not TCP4, TCP6 or UNKNOWN");
  auto source = canonical_address(fields[2], family);
  auto destination = canonical_address(fields[3], family);
  if (!source || !destination) return invalid("v1 address is not " + std::string(fields[1]));
  auto source_port = port_number(fields[4]);
  auto destination_port = port_number(fields[5]);
  if (!source_port || !destination_port) return invalid("v1 port is not a number 0-65535");
  parse.header.addresses_given = true;
  parse.header.source = Address{*source, *source_port};
  parse.header.destination = Address{*destination, *destination_port};
  return parse;
}

std::uint16_t big_endian16(const unsigned char* bytes) {
  return static_cast<std::uint16_t>((bytes[0] << 8) | bytes[1]);
}

Address address_at(const unsigned char* address, const unsigned char* port, int family) {
  std::array<char, INET6_ADDRSTRLEN> out{};
  ::inet_ntop(family, address, out.data(), out.size());
  return Address{std::string(out.data()), big_endian16(port)};
}

ProxyProtocolParse parse_v2(std::string_view data) {
  if (data.size() < v2_fixed_length) return incomplete(data.size(), v2_fixed_length);
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  if ((bytes[12] >> 4) != 2)
    return invalid("v2 header with version " + std::to_string(bytes[12] >> 4));
  unsigned command = bytes[12] & 0x0f;
  if (command > 1) return invalid("v2 header with an unknown command");
  unsigned family = bytes[13] >> 4;
  unsigned transport = bytes[13] & 0x0f;
  std::size_t total = v2_fixed_length + big_endian16(bytes + 14);
  if (data.size() < total) return incomplete(data.size(), total);
  ProxyProtocolParse parse;
  parse.status = Status::complete;
  parse.length = total;
  if (command == 0) return parse;  // LOCAL: the balancer's own connection
  if (family > 3 || transport > 2) return invalid("v2 header with an unknown address family");
  if (family == 0 || family == 3) return parse;  // UNSPEC or UNIX: nothing to use
  if (transport != 1) return invalid("v2 header for a datagram (not a stream) connection");
  const unsigned char* block = bytes + v2_fixed_length;
  std::size_t block_length = total - v2_fixed_length;
  if (family == 1) {
    if (block_length < 12) return invalid("v2 IPv4 address block shorter than 12 bytes");
    parse.header.source = address_at(block, block + 8, AF_INET);
    parse.header.destination = address_at(block + 4, block + 10, AF_INET);
  } else {
    if (block_length < 36) return invalid("v2 IPv6 address block shorter than 36 bytes");
    parse.header.source = address_at(block, block + 32, AF_INET6);
    parse.header.destination = address_at(block + 16, block + 34, AF_INET6);
  }
  parse.header.addresses_given = true;
  return parse;
}

}  // namespace

ProxyProtocolParse parse_proxy_protocol(std::string_view data) {
  if (data.empty()) return incomplete(0, v1_max_length);
  if (data[0] == v1_signature[0]) {
    std::size_t compare = std::min(data.size(), v1_signature.size());
    if (data.substr(0, compare) != v1_signature.substr(0, compare))
      return invalid("not a PROXY protocol header");
    if (data.size() < v1_signature.size()) return incomplete(data.size(), v1_max_length);
    return parse_v1(data);
  }
  std::size_t compare = std::min(data.size(), v2_signature.size());
  if (data.substr(0, compare) != v2_signature.substr(0, compare))
    return invalid("not a PROXY protocol header");
  if (data.size() < v2_signature.size()) return incomplete(data.size(), v2_fixed_length);
  return parse_v2(data);
}

}  // namespace asgi::protocol
