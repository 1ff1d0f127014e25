#include <gtest/gtest.h>

#include <tuple>

#include "asgi/protocol/http_date.hpp"
#include "asgi/protocol/percent.hpp"
#include "asgi/protocol/scope_builder.hpp"

using namespace asgi;
using namespace asgi::protocol;

TEST(SplitTarget, OriginAbsoluteAndAsteriskForms) {
  EXPECT_EQ(split_target("/a/b?x=1&y").path, "/a/b");
  EXPECT_EQ(split_target("/a/b?x=1&y").query, "x=1&y");
  EXPECT_EQ(split_target("/p").query, "");
  EXPECT_EQ(split_target("http://example.org/p?q=1").path, "/p");
  EXPECT_EQ(split_target("http://example.org/p?q=1").query, "q=1");
  EXPECT_EQ(split_target("http://example.org").path, "/");
  EXPECT_EQ(split_target("http://example.org?q").query, "q");
  EXPECT_EQ(split_target("*").path, "*");
  EXPECT_EQ(split_target("/a#frag").path, "/a");
}

TEST(PercentDecode, DecodesAndRepairsUtf8) {
  EXPECT_EQ(percent_decode_utf8("/a%20b%2Fc"), "/a b/c");
  EXPECT_EQ(percent_decode_utf8("/caf%C3%A9"), "/caf\xC3\xA9");
  EXPECT_EQ(percent_decode_utf8("/bad%ZZ%4"), "/bad%ZZ%4");  // malformed escapes stay
  EXPECT_EQ(percent_decode_utf8("/%FF"), "/\xEF\xBF\xBD");   // invalid UTF-8 -> U+FFFD
  EXPECT_EQ(percent_decode_utf8("/%ED%A0%80"),
            "/\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");                      // surrogate
  EXPECT_EQ(percent_decode_utf8("/%C0%AF"), "/\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
  EXPECT_EQ(percent_decode_utf8("/%F0%9F%A6%80"), "/\xF0\x9F\xA6\x80");    // crab emoji
}

TEST(QuoteForLog, EscapesControlsAndQuotes) {
  EXPECT_EQ(quote_for_log("/\x1b[31mX\r\nFAKE \"x\""), "/%1B[31mX%0D%0AFAKE%20%22x%22");
  EXPECT_EQ(quote_for_log("a%20b"), "a%2520b");
  EXPECT_EQ(quote_for_log("a%20b", false), "a%20b");
}

TEST(BuildHttpScope, CarriesEveryAsgiKey) {
  RequestHead head;
  head.method = "GET";
  head.target = "/scope/a%20b%2Fc?x=1&y=%20";
  head.http_minor = 1;
  head.headers.add("host", "example.org");
  head.headers.add("x-custom", "Value");
  head.headers.add("x-custom", "second");
  ConnectionInfo info;
  info.client = Address{"127.0.0.1", 34432};
  info.server = Address{"127.0.0.1", 8000};
  State state;
  state.set("answer", std::make_shared<Value>(42));
  Scope scope = build_http_scope(head, info, state);

  EXPECT_EQ(scope.type, "http");
  EXPECT_EQ(scope.http_version, "1.1");
  EXPECT_EQ(scope.method, "GET");
  EXPECT_EQ(scope.scheme, "http");
  EXPECT_EQ(scope.path, "/scope/a b/c");
  EXPECT_EQ(scope.raw_path, "/scope/a%20b%2Fc");
  EXPECT_EQ(scope.query_string, "x=1&y=%20");
  EXPECT_EQ(scope.root_path, "");
  EXPECT_EQ(scope.headers.get_all("x-custom"), (std::vector<std::string_view>{"Value", "second"}));
  EXPECT_EQ(scope.client->port, 34432);
  EXPECT_EQ(*scope.state.get<Value>("answer"), Value(42));
  EXPECT_TRUE(scope.extensions.contains("http.response.pathsend"));  // the server sends files

  Value v = scope.to_value();
  EXPECT_EQ(v.find("asgi")->find("version")->as<std::string>(), "3.0");
  EXPECT_EQ(v.find("raw_path")->as<Bytes>().data, "/scope/a%20b%2Fc");
  EXPECT_EQ(v.find("client")->as<List>()[1], Value(34432));
  EXPECT_EQ(v.find("headers")->as<List>()[0], Value(List{Bytes{"host"}, Bytes{"example.org"}}));
  EXPECT_EQ(Scope::from_value(v).to_value(), v);
}

TEST(BuildHttpScope, RootPathIsPrepended) {
  RequestHead head;
  head.method = "GET";
  head.target = "/one%2Ftwo";
  ConnectionInfo info;
  info.root_path = "/app";
  Scope scope = build_http_scope(head, info, State{});
  EXPECT_EQ(scope.root_path, "/app");
  EXPECT_EQ(scope.path, "/app/one/two");
  EXPECT_EQ(scope.raw_path, "/app/one%2Ftwo");
}

TEST(BuildHttpScope, RootPathIsNotPrefixedTwice) {
  ConnectionInfo info;
  info.root_path = "/app";
  for (auto [target, path, raw] :
       {std::tuple{"/app/one%2Ftwo", "/app/one/two", "/app/one%2Ftwo"},
        std::tuple{"/app", "/app", "/app"}, std::tuple{"/app?x=1", "/app", "/app"},
        std::tuple{"/apple", "/app/apple", "/app/apple"}, std::tuple{"/", "/app/", "/app/"}}) {
    RequestHead head;
    head.method = "GET";
    head.target = target;
    Scope scope = build_http_scope(head, info, State{});
    EXPECT_EQ(scope.path, path) << target;
    EXPECT_EQ(scope.raw_path, raw) << target;
    EXPECT_EQ(scope.root_path, "/app");
  }
}

TEST(HttpDate, ImfFixdate) {
  EXPECT_EQ(format_http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(cached_http_date().size(), 29u);
}

TEST(BuildScope, TlsExtensionOnlyOnTlsConnections) {
  RequestHead head;
  head.method = "GET";
  head.target = "/";
  ConnectionInfo plain;
  EXPECT_FALSE(build_http_scope(head, plain, State{}).extensions.contains("tls"));
  EXPECT_FALSE(build_websocket_scope(head, plain, State{}, {}).extensions.contains("tls"));

  ConnectionInfo secure;
  secure.scheme = "https";
  add_tls_extension(secure, Value(Dict{{"tls_version", Value(0x0304)}}));
  Scope http = build_http_scope(head, secure, State{});
  ASSERT_TRUE(http.extensions.contains("tls"));
  EXPECT_EQ(*http.extensions.find("tls")->find("tls_version"), Value(0x0304));
  EXPECT_TRUE(http.extensions.contains("http.response.pathsend"));  // the others stay
  Scope websocket = build_websocket_scope(head, secure, State{}, {});
  EXPECT_EQ(websocket.scheme, "wss");
  EXPECT_TRUE(websocket.extensions.contains("tls"));
  EXPECT_TRUE(websocket.extensions.contains("websocket.http.response"));
  EXPECT_FALSE(websocket.extensions.contains("http.response.pathsend"));
}
