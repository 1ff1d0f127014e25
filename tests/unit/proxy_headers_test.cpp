#include <gtest/gtest.h>

#include "asgi/protocol/proxy_headers.hpp"
#include "asgi/protocol/proxy_trust.hpp"

using namespace asgi;
using namespace asgi::protocol;

namespace {

ProxyTrust trust(std::string_view list) {
  std::optional<ProxyTrust> parsed = ProxyTrust::parse(list);
  EXPECT_TRUE(parsed) << list;
  return parsed.value_or(ProxyTrust{});
}

ForwardedRequest read(Headers headers, std::string_view list = "127.0.0.1") {
  return read_proxy_headers(headers, trust(list));
}

Address address(std::string host, std::uint16_t port) {
  return Address{std::move(host), port};
}

}  // namespace

TEST(ProxyTrust, AddressesNetworksLiteralsAndEveryone) {
  ProxyTrust t = trust("127.0.0.1, 10.0.0.0/8, 2001:db8::/32, /run/proxy.sock");
  EXPECT_TRUE(t.trusts("127.0.0.1"));
  EXPECT_TRUE(t.trusts("::ffff:127.0.0.1"));  // a dual-stack listener's view of an IPv4 peer
  EXPECT_FALSE(t.trusts("127.0.0.2"));
  EXPECT_TRUE(t.trusts("10.255.1.2"));
  EXPECT_FALSE(t.trusts("11.0.0.1"));
  EXPECT_TRUE(t.trusts("2001:db8:1::5"));
  EXPECT_FALSE(t.trusts("2001:db9::5"));
  EXPECT_TRUE(t.trusts("/run/proxy.sock"));
  EXPECT_FALSE(t.trusts("unknown"));
  EXPECT_FALSE(t.trusts_unix_peers());
  EXPECT_FALSE(t.trusts_everyone());

  ProxyTrust odd_prefix = trust("192.168.1.128/25");
  EXPECT_TRUE(odd_prefix.trusts("192.168.1.200"));
  EXPECT_FALSE(odd_prefix.trusts("192.168.1.127"));

  EXPECT_TRUE(trust("*").trusts("203.0.113.7"));
  EXPECT_TRUE(trust("*").trusts_unix_peers());
  ProxyTrust defaults = trust(ProxyTrust::default_list);
  EXPECT_TRUE(defaults.trusts("127.0.0.1"));
  EXPECT_TRUE(defaults.trusts("::1"));
  EXPECT_TRUE(defaults.trusts_unix_peers());
  EXPECT_FALSE(defaults.trusts("192.0.2.1"));
  EXPECT_FALSE(trust("").trusts("127.0.0.1"));
}

TEST(ProxyTrust, RejectsMisspelledNetworks) {
  std::string error;
  EXPECT_FALSE(ProxyTrust::parse("10.0.0.0/33", &error));
  EXPECT_EQ(error, "10.0.0.0/33");
  EXPECT_FALSE(ProxyTrust::parse("127.0.0.1, 10.0.0.0/x"));
  EXPECT_FALSE(ProxyTrust::parse("::1/129"));
  EXPECT_FALSE(ProxyTrust::parse("10.0.0/8"));
}

TEST(ForwardedClient, HostsPortsAndMalformedEntries) {
  EXPECT_EQ(parse_forwarded_client("1.2.3.4:1234"), address("1.2.3.4", 1234));
  EXPECT_EQ(parse_forwarded_client("1.2.3.4"), address("1.2.3.4", 0));
  EXPECT_EQ(parse_forwarded_client("[2001:db8::1]:443"), address("2001:db8::1", 443));
  EXPECT_EQ(parse_forwarded_client("[2001:db8::1]"), address("2001:db8::1", 0));
  EXPECT_EQ(parse_forwarded_client("2001:db8::1"), address("2001:db8::1", 0));
  EXPECT_EQ(parse_forwarded_client("1.2.3.4:notaport"), address("1.2.3.4:notaport", 0));
  EXPECT_EQ(parse_forwarded_client("[2001:db8::1"), address("[2001:db8::1", 0));
  EXPECT_EQ(parse_forwarded_client("1.2.3.4:70000"), address("1.2.3.4:70000", 0));
  EXPECT_EQ(parse_forwarded_client("  "), std::nullopt);
}

TEST(XForwarded, UvicornExamples) {
  ForwardedRequest r =
      read({{"x-forwarded-for", "203.0.113.7, 10.0.0.2"}, {"x-forwarded-proto", "https"}});
  EXPECT_EQ(r.client, address("10.0.0.2", 0));
  EXPECT_EQ(r.secure, true);
  EXPECT_EQ(read({{"x-forwarded-for", "203.0.113.7, 10.0.0.2"}}, "*").client,
            address("203.0.113.7", 0));
  EXPECT_EQ(read({{"x-forwarded-for", "203.0.113.7:4444"}}).client, address("203.0.113.7", 4444));
}

TEST(XForwarded, WalksRightToLeftPastTrustedProxies) {
  const char* list = "127.0.0.1, 10.0.0.0/8";
  EXPECT_EQ(read({{"x-forwarded-for", "198.51.100.1, 203.0.113.7, 10.0.0.2"}}, list).client,
            address("203.0.113.7", 0));
  // A trusted proxy that wrote its port is still recognised (Uvicorn would stop at it).
  EXPECT_EQ(read({{"x-forwarded-for", "203.0.113.7, 10.0.0.2:8080"}}, list).client,
            address("203.0.113.7", 0));
  // Every entry trusted: the leftmost.
  EXPECT_EQ(read({{"x-forwarded-for", "10.0.0.9, 10.0.0.2"}}, list).client, address("10.0.0.9", 0));
  // Several header lines are one list.
  EXPECT_EQ(
      read({{"x-forwarded-for", "203.0.113.7"}, {"x-forwarded-for", "10.0.0.2"}}, list).client,
      address("203.0.113.7", 0));
}

TEST(XForwarded, ProtoHostAndJunk) {
  EXPECT_EQ(read({{"x-forwarded-proto", "http"}, {"x-forwarded-proto", " HTTPS "}}).secure, true);
  EXPECT_EQ(read({{"x-forwarded-proto", "wss"}}).secure, true);
  EXPECT_EQ(read({{"x-forwarded-proto", "ws"}}).secure, false);
  EXPECT_EQ(read({{"x-forwarded-proto", "asdf"}}).secure, std::nullopt);
  EXPECT_EQ(read({{"x-forwarded-host", "example.com:8443"}}).host, "example.com:8443");
  EXPECT_EQ(read({{"x-forwarded-host", "a.example, b.example"}}).host, "b.example");
  EXPECT_EQ(read({{"x-forwarded-host", "evil.com/path"}}).host, std::nullopt);
  EXPECT_EQ(read({{"x-forwarded-host", "evil com"}}).host, std::nullopt);
  EXPECT_EQ(read({{"x-forwarded-for", " , , "}}).client, std::nullopt);
  EXPECT_TRUE(read({{"host", "x"}, {"user-agent", "y"}}).empty());
}

TEST(Forwarded, Rfc7239Forms) {
  ForwardedRequest r = read({{"forwarded", "for=192.0.2.60;proto=https;host=example.com"}});
  EXPECT_EQ(r.client, address("192.0.2.60", 0));
  EXPECT_EQ(r.secure, true);
  EXPECT_EQ(r.host, "example.com");
  EXPECT_EQ(read({{"forwarded", "For=\"[2001:db8:cafe::17]:4711\""}}).client,
            address("2001:db8:cafe::17", 4711));
  EXPECT_EQ(read({{"forwarded", "for=\"192.0.2.43:47011\""}}).client, address("192.0.2.43", 47011));
  EXPECT_EQ(read({{"forwarded", "for=unknown"}}).client, address("unknown", 0));
  EXPECT_EQ(read({{"forwarded", "for=_hidden;by=_proxy"}}).client, address("_hidden", 0));
  EXPECT_EQ(read({{"forwarded", "for=\"quoted\\\"escape\""}}).client, address("quoted\"escape", 0));
}

TEST(Forwarded, NearestUntrustedHopGivesClientProtoAndHost) {
  const char* list = "127.0.0.1, 10.0.0.0/8";
  ForwardedRequest r = read(
      {{"forwarded", "for=198.51.100.1;proto=http, for=203.0.113.7;proto=https;host=a.example"},
       {"forwarded", "for=10.0.0.2;proto=http;host=internal"}},
      list);
  EXPECT_EQ(r.client, address("203.0.113.7", 0));
  EXPECT_EQ(r.secure, true);
  EXPECT_EQ(r.host, "a.example");
  EXPECT_EQ(read({{"forwarded", "for=198.51.100.1, for=10.0.0.2"}}, "*").client,
            address("198.51.100.1", 0));
}

TEST(Forwarded, MalformedIsIgnoredWholeAndWinsOverXForwarded) {
  for (const char* bad : {"for", "for=", "for=1.2.3.4;for=5.6.7.8", "for=\"unterminated",
                          "for=1.2.3.4 junk", "=x", "for=a\x01"}) {
    ForwardedRequest r =
        read({{"forwarded", bad}, {"x-forwarded-for", "9.9.9.9"}, {"x-forwarded-proto", "https"}});
    EXPECT_TRUE(r.empty()) << bad;
  }
  // A valid Forwarded: X-Forwarded-* are not mixed in.
  ForwardedRequest r = read({{"forwarded", "for=192.0.2.60"},
                             {"x-forwarded-proto", "https"},
                             {"x-forwarded-host", "other"}});
  EXPECT_EQ(r.client, address("192.0.2.60", 0));
  EXPECT_EQ(r.secure, std::nullopt);
  EXPECT_EQ(r.host, std::nullopt);
  EXPECT_EQ(read({{"forwarded", "for=192.0.2.60;host=\"bad host\""}}).host, std::nullopt);
}

TEST(ApplyForwarded, RewritesClientSchemeAndHost) {
  Scope http;
  http.type = "http";
  http.scheme = "http";
  http.client = Address{"127.0.0.1", 5000};
  http.headers = Headers{{"host", "internal:8000"}, {"accept", "*/*"}};
  apply_forwarded(http, {Address{"203.0.113.7", 0}, true, "example.com"});
  EXPECT_EQ(http.client, address("203.0.113.7", 0));
  EXPECT_EQ(http.scheme, "https");
  EXPECT_EQ(http.headers, (Headers{{"host", "example.com"}, {"accept", "*/*"}}));

  Scope websocket;
  websocket.type = "websocket";
  websocket.scheme = "ws";
  apply_forwarded(websocket, {std::nullopt, true, std::nullopt});
  EXPECT_EQ(websocket.scheme, "wss");
  apply_forwarded(websocket, {std::nullopt, false, "h"});
  EXPECT_EQ(websocket.scheme, "ws");
  EXPECT_EQ(websocket.headers.get("host"), "h");

  Scope untouched;
  untouched.client = Address{"127.0.0.1", 1};
  apply_forwarded(untouched, {});
  EXPECT_EQ(untouched.client, address("127.0.0.1", 1));
}
