// RequestParser: every case is parsed whole, split at every byte boundary and byte by byte, and
// must give the same result each way.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "asgi/protocol/request_parser.hpp"

using asgi::protocol::RequestLimits;
using asgi::protocol::RequestParser;

namespace {

struct Message {
  std::string method, target, version;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keep_alive = false;
  bool expect_continue = false;
  int error = 0;  ///< set on the last element when parsing failed
  bool operator==(const Message&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Message& m) {
  return os << (m.error ? "error " + std::to_string(m.error) : m.method + " " + m.target)
            << " body=" << m.body.size();
}

// Drives the parser the way the server does: buffer, feed, drop what was consumed.
std::vector<Message> parse(std::string_view input, const std::vector<std::size_t>& cuts,
                           RequestLimits limits = {}, std::size_t high_water = 65536) {
  RequestParser parser(limits);
  std::vector<Message> messages;
  std::string buffer, body;
  bool head_recorded = false;
  std::size_t start = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(input.size());
  for (std::size_t end : ends) {
    buffer.append(input.substr(start, end - start));
    start = end;
    for (;;) {
      auto result = parser.feed(buffer, &body, high_water);
      buffer.erase(0, result.consumed);
      using Status = RequestParser::Status;
      if (result.status == Status::error) {
        messages.push_back(Message{.error = parser.error_status()});
        return messages;
      }
      if ((result.status == Status::head || result.status == Status::complete) && !head_recorded) {
        auto& head = parser.head();
        Message m{head.method, head.target, std::string(head.version())};
        for (auto [name, value] : head.headers) m.headers.emplace_back(name, value);
        m.keep_alive = head.keep_alive;
        m.expect_continue = head.expect_continue;
        messages.push_back(m);
        head_recorded = true;
      }
      if (result.status == Status::complete) {
        messages.back().body = std::move(body);
        body.clear();
        head_recorded = false;
        continue;
      }
      if (result.status == Status::need_more) break;
    }
  }
  return messages;
}

// Parses `input` whole, at every split point and byte by byte; all must agree. Returns the whole.
std::vector<Message> parse_every_way(std::string_view input, RequestLimits limits = {}) {
  auto whole = parse(input, {}, limits);
  for (std::size_t i = 1; i < input.size(); ++i)
    EXPECT_EQ(parse(input, {i}, limits), whole) << "split at byte " << i;
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < input.size(); ++i) every.push_back(i);
  EXPECT_EQ(parse(input, every, limits), whole) << "byte by byte";
  return whole;
}

int error_of(std::string_view input, RequestLimits limits = {}) {
  auto messages = parse_every_way(input, limits);
  return messages.empty() ? 0 : messages.back().error;
}

}  // namespace

TEST(RequestParser, SimpleGet) {
  auto m =
      parse_every_way("GET /a%20b?x=1 HTTP/1.1\r\nHost: example.org\r\nX-Custom: Value\r\n\r\n");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].method, "GET");
  EXPECT_EQ(m[0].target, "/a%20b?x=1");
  EXPECT_EQ(m[0].version, "1.1");
  EXPECT_TRUE(m[0].keep_alive);
  EXPECT_EQ(m[0].headers, (std::vector<std::pair<std::string, std::string>>{
                              {"host", "example.org"}, {"x-custom", "Value"}}));
}

TEST(RequestParser, HeaderNamesLowercasedDuplicatesKeptValuesTrimmed) {
  auto m =
      parse_every_way("GET / HTTP/1.1\r\nHost: a\r\nX-A: one \t\r\nx-a: two\r\nEmpty:\r\n\r\n");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].headers, (std::vector<std::pair<std::string, std::string>>{
                              {"host", "a"}, {"x-a", "one"}, {"x-a", "two"}, {"empty", ""}}));
}

TEST(RequestParser, PipelinedRequestsStayInOrder) {
  auto m = parse_every_way(
      "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
      "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
      "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].target, "/1");
  EXPECT_EQ(m[1].target, "/2");
  EXPECT_EQ(m[1].body, "hello");
  EXPECT_EQ(m[2].target, "/3");
}

TEST(RequestParser, ChunkedBodyIsDecoded) {
  auto m = parse_every_way(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nTrailer: x\r\n\r\n");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].body, "hello, world!!!");
}

TEST(RequestParser, KeepAliveRules) {
  EXPECT_FALSE(
      parse_every_way("GET / HTTP/1.1\r\nHost: a\r\nConnection: CLOSE\r\n\r\n")[0].keep_alive);
  EXPECT_FALSE(parse_every_way("GET / HTTP/1.0\r\n\r\n")[0].keep_alive);
  EXPECT_TRUE(parse_every_way("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")[0].keep_alive);
}

TEST(RequestParser, ExpectContinue) {
  auto m = parse_every_way(
      "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nhi");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_TRUE(m[0].expect_continue);
  EXPECT_EQ(m[0].body, "hi");
}

TEST(RequestParser, BodyPausesAtHighWater) {
  std::string body(1000, 'x');
  std::string input = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n" + body;
  RequestParser parser(RequestLimits{});
  std::string sink;
  auto r = parser.feed(input, &sink, 100);
  ASSERT_EQ(r.status, RequestParser::Status::head);
  std::size_t offset = r.consumed;
  r = parser.feed(std::string_view(input).substr(offset), &sink, 100);
  EXPECT_EQ(r.status, RequestParser::Status::body_full);
  EXPECT_EQ(sink.size(), 100u);  // never more than the high-water mark
  offset += r.consumed;
  sink.clear();
  r = parser.feed(std::string_view(input).substr(offset), &sink, 2000);
  EXPECT_EQ(r.status, RequestParser::Status::complete);
  EXPECT_EQ(sink.size(), 900u);
}

TEST(RequestParser, DataAfterConnectionCloseIsNeverParsed) {
  // The server stops feeding after a non-keep-alive message; the parser pauses at its end.
  std::string input =
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /evil HTTP/1.1\r\nHost: a\r\n\r\n";
  RequestParser parser(RequestLimits{});
  auto r = parser.feed(input);
  EXPECT_EQ(r.status, RequestParser::Status::complete);
  EXPECT_FALSE(parser.head().keep_alive);
  EXPECT_EQ(r.consumed, input.find("GET /evil"));
}

TEST(RequestParser, RejectsSmugglingShapes) {
  // Framing conflicts and header syntax (request smuggling vectors)
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: "
                     "chunked\r\n\r\n0\r\n\r\n"),
            400);
  EXPECT_EQ(
      error_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello"),
      400);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello"), 400);
  EXPECT_EQ(error_of("POST /hello HTTP/1.1\r\nHost: localhost\r\nFoo: bar\r\n Content-Length: "
                     "38\r\n\r\nGET /bye HTTP/1.1\r\nHost: localhost\r\n\r\n"),
            400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\nX : y\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\nHost: a\n\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n"), 400);
  EXPECT_EQ(
      error_of(
          "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"),
      400);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
                     "chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n"),
            400);
}

TEST(RequestParser, RequestLineErrors) {
  EXPECT_EQ(error_of("G?T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET /?x=y z HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n"), 405);
  EXPECT_EQ(error_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(error_of("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 505);
  EXPECT_EQ(error_of("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), 0);
}

TEST(RequestParser, HostRules) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a,b\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.0\r\n\r\n"), 0);  // HTTP/1.0 needs no Host
}

TEST(RequestParser, TransferCodings) {
  EXPECT_EQ(
      error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
      501);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
                     "chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            400);  // llhttp rejects it first
  EXPECT_EQ(error_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n"),
            0);
}

TEST(RequestParser, Limits) {
  RequestLimits limits;
  limits.max_request_line = 100;
  limits.max_head_bytes = 300;
  limits.max_header_count = 5;
  limits.max_body_bytes = 10;
  limits.max_chunk_extension_bytes = 16;
  EXPECT_EQ(error_of("GET /" + std::string(100, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", limits),
            414);
  EXPECT_EQ(error_of("GET /" + std::string(90, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", limits), 0);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\nCookie: " + std::string(400, 'c') + "\r\n\r\n",
                     limits),
            431);
  std::string many = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 5; ++i) many += "X" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(error_of(many + "\r\n", limits), 431);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world", limits),
            413);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello "
                     "\r\n5\r\nworld\r\n0\r\n\r\n",
                     limits),
            413);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;" +
                         std::string(40, 'e') + "\r\nhello\r\n0\r\n\r\n",
                     limits),
            400);
}

TEST(RequestParser, EndlessHeaderLineFailsAtTheLimitNotAtTheEnd) {
  RequestLimits limits;
  limits.max_head_bytes = 1024;
  RequestParser parser(limits);
  auto r = parser.feed("GET / HTTP/1.1\r\nHost: a\r\nX: ");
  ASSERT_EQ(r.status, RequestParser::Status::need_more);
  std::string chunk(512, 'v');
  int fed = 0;
  for (; fed < 100; ++fed) {
    r = parser.feed(chunk);
    if (r.status == RequestParser::Status::error) break;
  }
  EXPECT_EQ(parser.error_status(), 431);
  EXPECT_LE(fed, 2);
}

TEST(RequestParser, MessageStartedOnlyAfterFirstByte) {
  RequestParser parser(RequestLimits{});
  EXPECT_FALSE(parser.message_started());
  parser.feed("GE");
  EXPECT_TRUE(parser.message_started());
  parser.feed("T / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_FALSE(parser.message_started()) << "an idle keep-alive connection is not mid-request";
  EXPECT_TRUE(parser.head_complete());
}
