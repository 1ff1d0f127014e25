// The PROXY protocol parser, v1 and v2: every header fed at every split (a reader sees it arrive
// in pieces), the client's first bytes after it left alone, and the malformed headers that must
// close the connection.

#include "asgi/protocol/proxy_protocol.hpp"

#include <gtest/gtest.h>

#include <string>

using asgi::Address;
using asgi::protocol::parse_proxy_protocol;
using asgi::protocol::ProxyProtocolParse;
using Status = ProxyProtocolParse::Status;

namespace {

const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

std::string v2(unsigned char command, unsigned char family, std::string block) {
  std::string header("\r\n\r\n\0\r\nQUIT\n", 12);
  header += static_cast<char>(0x20 | command);
  header += static_cast<char>(family);
  header += static_cast<char>(block.size() >> 8);
  header += static_cast<char>(block.size() & 0xff);
  return header + block;
}

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out += static_cast<char>(v);
  return out;
}

// Every prefix shorter than the header is incomplete, says all its bytes are header bytes and
// allows reading further; the whole header (with or without what follows)
// parses to the same result.
ProxyProtocolParse parse_at_every_split(const std::string& header) {
  std::string data = header + request;
  for (std::size_t cut = 0; cut < header.size(); ++cut) {
    ProxyProtocolParse part = parse_proxy_protocol(std::string_view(data).substr(0, cut));
    EXPECT_EQ(part.status, Status::incomplete) << "cut " << cut << ": " << part.error;
    EXPECT_EQ(part.length, cut);
    EXPECT_GT(part.at_most, cut) << "cut " << cut;  // a reader can always make progress
  }
  ProxyProtocolParse exact = parse_proxy_protocol(header);
  ProxyProtocolParse with_request = parse_proxy_protocol(data);
  EXPECT_EQ(exact.status, with_request.status);
  EXPECT_EQ(exact.length, with_request.length);
  EXPECT_EQ(exact.header.source, with_request.header.source);
  return with_request;
}

}  // namespace

TEST(ProxyProtocolV1, Tcp4) {
  std::string header = "PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\r\n";
  ProxyProtocolParse parse = parse_at_every_split(header);
  ASSERT_EQ(parse.status, Status::complete) << parse.error;
  EXPECT_EQ(parse.length, header.size());
  EXPECT_TRUE(parse.header.addresses_given);
  EXPECT_EQ(parse.header.source, (Address{"192.0.2.10", 56324}));
  EXPECT_EQ(parse.header.destination, (Address{"198.51.100.1", 443}));
}

TEST(ProxyProtocolV1, Tcp6InCanonicalForm) {
  std::string header = "PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::1 65535 0\r\n";
  ProxyProtocolParse parse = parse_at_every_split(header);
  ASSERT_EQ(parse.status, Status::complete) << parse.error;
  EXPECT_EQ(parse.header.source, (Address{"2001:db8::1", 65535}));
  EXPECT_EQ(parse.header.destination, (Address{"::1", 0}));
}

TEST(ProxyProtocolV1, UnknownKeepsTheConnectionsAddresses) {
  for (std::string header : {"PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff:: ffff:: 1 2\r\n"}) {
    ProxyProtocolParse parse = parse_at_every_split(header);
    ASSERT_EQ(parse.status, Status::complete) << header;
    EXPECT_EQ(parse.length, header.size());
    EXPECT_FALSE(parse.header.addresses_given);
  }
}

TEST(ProxyProtocolV1, LongestHeaderFits) {
  std::string header =
      "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
      "65535 65535\r\n";
  ASSERT_EQ(header.size(), 104u);
  EXPECT_EQ(parse_at_every_split(header).status, Status::complete);
}

TEST(ProxyProtocolV1, MalformedHeadersAreInvalid) {
  for (std::string data : {
           std::string("GET / HTTP/1.1\r\n\r\n"),                  // no header at all
           std::string("PROXY\r\n"),                               // no protocol
           std::string("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"),    // one field too many
           std::string("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"),        // one too few
           std::string("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"),      // not TCP
           std::string("PROXY TCP4 ::1 ::1 1 2\r\n"),              // family mismatch
           std::string("PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n"),      // family mismatch
           std::string("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n"),    // not an address
           std::string("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"),  // port out of range
           std::string("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n"),    // leading zero
           std::string("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n"),     // sign
           std::string("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n"),     // double space
           std::string("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"),        // bare LF
           std::string("PROXY ") + std::string(120, 'x'),          // no CRLF within 107
       }) {
    ProxyProtocolParse parse = parse_proxy_protocol(data);
    EXPECT_EQ(parse.status, Status::invalid) << data;
    EXPECT_FALSE(parse.error.empty()) << data;
  }
}

TEST(ProxyProtocolV2, Inet) {
  std::string block = bytes({192, 0, 2, 10, 198, 51, 100, 1, 0xdc, 0x04, 0x01, 0xbb});
  std::string header = v2(1, 0x11, block);
  ProxyProtocolParse parse = parse_at_every_split(header);
  ASSERT_EQ(parse.status, Status::complete) << parse.error;
  EXPECT_EQ(parse.length, header.size());
  EXPECT_EQ(parse.header.source, (Address{"192.0.2.10", 56324}));
  EXPECT_EQ(parse.header.destination, (Address{"198.51.100.1", 443}));
}

TEST(ProxyProtocolV2, Inet6WithTlvsSkipped) {
  std::string block(36, '\0');
  block[15] = 1;     // source ::1
  block[16] = 0x20;  // destination 2001:db8::2
  block[17] = 0x01;
  block[18] = 0x0d;
  block[19] = static_cast<char>(0xb8);
  block[31] = 2;
  block[32] = 0x30;  // source port 12345
  block[33] = 0x39;
  block[35] = 80;                                     // destination port 80
  block += bytes({0x04, 0x00, 0x03, 'a', 'b', 'c'});  // a NOOP TLV
  ProxyProtocolParse parse = parse_at_every_split(v2(1, 0x21, block));
  ASSERT_EQ(parse.status, Status::complete) << parse.error;
  EXPECT_EQ(parse.header.source, (Address{"::1", 12345}));
  EXPECT_EQ(parse.header.destination, (Address{"2001:db8::2", 80}));
}

TEST(ProxyProtocolV2, LocalAndUnspecKeepTheConnectionsAddresses) {
  for (std::string header : {v2(0, 0x00, ""), v2(0, 0x11, std::string(12, '\1')), v2(1, 0x00, ""),
                             v2(1, 0x31, std::string(216, '\0'))}) {
    ProxyProtocolParse parse = parse_at_every_split(header);
    ASSERT_EQ(parse.status, Status::complete) << parse.error;
    EXPECT_EQ(parse.length, header.size());
    EXPECT_FALSE(parse.header.addresses_given);
  }
}

TEST(ProxyProtocolV2, MalformedHeadersAreInvalid) {
  std::string wrong_version = v2(1, 0x11, std::string(12, '\0'));
  wrong_version[12] = 0x11;
  for (std::string data : {
           wrong_version, v2(2, 0x11, std::string(12, '\0')),               // unknown command
           v2(1, 0x11, std::string(11, '\0')),                              // IPv4 block too short
           v2(1, 0x21, std::string(35, '\0')),                              // IPv6 block too short
           v2(1, 0x12, std::string(12, '\0')),                              // UDP
           v2(1, 0x41, std::string(12, '\0')),                              // unknown family
           std::string("\r\n\r\n\0\r\nQUIT!", 12) + std::string(20, '\0'),  // bad signature
       }) {
    ProxyProtocolParse parse = parse_proxy_protocol(data);
    EXPECT_EQ(parse.status, Status::invalid) << parse.error;
  }
}

TEST(ProxyProtocolV2, LengthTellsHowFarToRead) {
  std::string header = v2(1, 0x11, std::string(12, '\0') + std::string(100, 'T'));
  ProxyProtocolParse parse = parse_proxy_protocol(header.substr(0, 20));
  EXPECT_EQ(parse.status, Status::incomplete);
  EXPECT_EQ(parse.at_most, header.size());
}
