// ResponseEncoder: framing choices, validation of app input and the message order rules.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "asgi/errors.hpp"
#include "asgi/protocol/http_date.hpp"
#include "asgi/protocol/response_encoder.hpp"

using namespace asgi;
using asgi::protocol::ResponseEncoder;
using asgi::protocol::ResponseOptions;

namespace {

ResponseOptions quiet(ResponseOptions o = {}) {
  o.date_header = false;  // deterministic bytes
  o.server_header = false;
  return o;
}

std::string wire(const protocol::WirePieces& p) {
  return std::string(p.prefix) + std::string(p.data) + std::string(p.suffix);
}

HttpResponseStart start(int status, Headers headers = {}, bool trailers = false) {
  HttpResponseStart s;
  s.status = status;
  s.headers = std::move(headers);
  s.trailers = trailers;
  return s;
}

HttpResponseBody body(std::string data, bool more = false) {
  HttpResponseBody b;
  b.body = std::move(data);
  b.more_body = more;
  return b;
}

}  // namespace

TEST(ResponseEncoder, SingleBodyGetsContentLength) {
  ResponseEncoder e(quiet());
  e.start(start(200, {{"content-type", "text/plain"}}));
  EXPECT_EQ(
      wire(e.body(body("Hello, world!"))),
      "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 13\r\n\r\nHello, world!");
  EXPECT_TRUE(e.complete());
  EXPECT_TRUE(e.keep_alive());
}

TEST(ResponseEncoder, StreamingIsChunked) {
  ResponseEncoder e(quiet());
  e.start(start(200));
  EXPECT_EQ(wire(e.body(body("hello", true))),
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n");
  EXPECT_EQ(wire(e.body(body("", true))), "");  // an empty chunk would end the body
  EXPECT_EQ(wire(e.body(body("world!"))), "6\r\nworld!\r\n0\r\n\r\n");
  EXPECT_TRUE(e.complete());
}

TEST(ResponseEncoder, Http10StreamingIsCloseDelimited) {
  ResponseOptions o = quiet();
  o.http_minor = 0;
  ResponseEncoder e(o);
  e.start(start(200));
  EXPECT_EQ(wire(e.body(body("a", true))), "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\na");
  EXPECT_EQ(wire(e.body(body("b"))), "b");
  EXPECT_FALSE(e.keep_alive());
}

TEST(ResponseEncoder, Http10KeepAliveIsAnnounced) {
  ResponseOptions o = quiet();
  o.http_minor = 0;
  ResponseEncoder e(o);
  e.start(start(200));
  EXPECT_EQ(wire(e.body(body("a"))),
            "HTTP/1.1 200 OK\r\ncontent-length: 1\r\nconnection: keep-alive\r\n\r\na");
}

TEST(ResponseEncoder, AppContentLengthIsEnforced) {
  ResponseEncoder longer(quiet());
  longer.start(start(200, {{"content-length", "3"}}));
  EXPECT_EQ(wire(longer.body(body("ab", true))), "HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nab");
  EXPECT_THROW(longer.body(body("cd")), ProtocolError);
  EXPECT_FALSE(longer.keep_alive());

  ResponseEncoder shorter(quiet());
  shorter.start(start(200, {{"Content-Length", "10"}}));
  EXPECT_THROW(shorter.body(body("abc")), ProtocolError);
  EXPECT_TRUE(shorter.failed());
  EXPECT_FALSE(shorter.head_rendered());  // nothing went out: the server can still answer 500

  ResponseEncoder first_too_long(quiet());
  first_too_long.start(start(200, {{"content-length", "3"}}));
  EXPECT_THROW(first_too_long.body(body("abcdef")), ProtocolError);
  EXPECT_FALSE(first_too_long.head_rendered());
}

std::string file_wire(const protocol::FilePieces& p, std::string_view file) {
  return std::string(p.prefix) + std::string(file.substr(0, p.file_bytes)) + std::string(p.suffix);
}

TEST(ResponseEncoder, FileBodyGetsContentLengthFromItsSize) {
  ResponseEncoder e(quiet());
  e.start(start(200, {{"content-type", "text/plain"}}));
  auto pieces = e.file(5);
  EXPECT_EQ(pieces.file_bytes, 5u);
  EXPECT_EQ(file_wire(pieces, "hello"),
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nhello");
  EXPECT_TRUE(e.complete());
  EXPECT_TRUE(e.keep_alive());
}

TEST(ResponseEncoder, FileBodyMustMatchTheAppsContentLength) {
  ResponseEncoder same(quiet());
  same.start(start(200, {{"content-length", "5"}}));
  EXPECT_EQ(file_wire(same.file(5), "hello"), "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello");

  for (std::uint64_t size : {4u, 6u}) {
    ResponseEncoder other(quiet());
    other.start(start(200, {{"content-length", "5"}}));
    EXPECT_THROW(other.file(size), ProtocolError) << size;
    EXPECT_FALSE(other.head_rendered());
  }
}

TEST(ResponseEncoder, FileBodyIsTheWholeBody) {
  ResponseEncoder before_start(quiet());
  EXPECT_THROW(before_start.file(1), ProtocolError);

  ResponseEncoder after_body(quiet());
  after_body.start(start(200));
  after_body.body(body("x", true));
  EXPECT_THROW(after_body.file(1), ProtocolError);

  ResponseEncoder twice(quiet());
  twice.start(start(200));
  twice.file(1);
  EXPECT_THROW(twice.file(1), ProtocolError);
  EXPECT_THROW(twice.body(body("x")), ProtocolError);
}

TEST(ResponseEncoder, FileBodyWithTrailersIsOneChunk) {
  ResponseOptions o = quiet();
  o.client_accepts_trailers = true;
  ResponseEncoder e(o);
  e.start(start(200, {}, /*trailers=*/true));
  EXPECT_EQ(file_wire(e.file(5), "hello"),
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n");
  EXPECT_FALSE(e.complete());
  EXPECT_EQ(wire(e.trailers(HttpResponseTrailers({{"x-sum", "1"}}))), "0\r\nx-sum: 1\r\n\r\n");
  EXPECT_TRUE(e.complete());
}

TEST(ResponseEncoder, FileBodyIsNotSentForHead204And304) {
  ResponseOptions head = quiet();
  head.head_request = true;
  ResponseEncoder h(head);
  h.start(start(200));
  auto pieces = h.file(5);
  EXPECT_EQ(pieces.file_bytes, 0u);
  EXPECT_EQ(file_wire(pieces, "hello"), "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n");

  ResponseEncoder not_modified(quiet());
  not_modified.start(start(304));
  EXPECT_EQ(not_modified.file(5).file_bytes, 0u);
  EXPECT_TRUE(not_modified.complete());
}

TEST(ResponseEncoder, NoBodyForHead204And304) {
  ResponseOptions head = quiet();
  head.head_request = true;
  ResponseEncoder h(head);
  h.start(start(200));
  EXPECT_EQ(wire(h.body(body("hello"))), "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n");
  EXPECT_TRUE(h.keep_alive());

  ResponseEncoder no_content(quiet());
  no_content.start(start(204, {{"content-length", "0"}}));
  EXPECT_EQ(wire(no_content.body(body("ignored"))), "HTTP/1.1 204 No Content\r\n\r\n");

  ResponseEncoder not_modified(quiet());
  not_modified.start(start(304));
  EXPECT_EQ(wire(not_modified.body(body("", true))), "HTTP/1.1 304 Not Modified\r\n\r\n");
  EXPECT_EQ(wire(not_modified.body(body(""))), "");
}

TEST(ResponseEncoder, AppTransferEncodingIsIgnoredNeverBothFramings) {
  ResponseEncoder e(quiet());
  e.start(start(200, {{"transfer-encoding", "chunked"}, {"x", "y"}}));
  EXPECT_EQ(wire(e.body(body("abc"))), "HTTP/1.1 200 OK\r\nx: y\r\ncontent-length: 3\r\n\r\nabc");
}

TEST(ResponseEncoder, ConnectionCloseFromAppOrRequest) {
  ResponseEncoder app(quiet());
  app.start(start(200, {{"connection", "close"}}));
  EXPECT_EQ(wire(app.body(body(""))),
            "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
  EXPECT_FALSE(app.keep_alive());

  ResponseOptions o = quiet();
  o.request_keep_alive = false;
  ResponseEncoder request(o);
  request.start(start(200));
  EXPECT_EQ(wire(request.body(body(""))),
            "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
}

// Header values are case-insensitive tokens (RFC 9110 §7.6.1): an app's "Close" ends keep-alive
// like "close" does; other tokens leave it on.
TEST(ResponseEncoder, AppConnectionCloseInAnyCaseEndsKeepAlive) {
  for (std::string value : {"close", "Close", "CLOSE", "cLoSe"}) {
    ResponseEncoder e(quiet());
    e.start(start(200, {{"connection", value}}));
    EXPECT_EQ(wire(e.body(body(""))),
              "HTTP/1.1 200 OK\r\nconnection: " + value + "\r\ncontent-length: 0\r\n\r\n");
    EXPECT_FALSE(e.keep_alive()) << value;
  }
  ResponseEncoder e(quiet());
  e.start(start(200, {{"connection", "keep-alive"}}));
  e.body(body(""));
  EXPECT_TRUE(e.keep_alive());
}

TEST(ResponseEncoder, DefaultHeadersComeFirstAndYieldToTheApp) {
  ResponseEncoder e(ResponseOptions{});
  e.start(start(200, {{"server", "custom"}}));
  std::string out = wire(e.body(body("")));
  EXPECT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\ndate: ")) << out;
  EXPECT_NE(out.find(" GMT\r\nserver: custom\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("asgiserver"), std::string::npos);
}

// The date and server lines are rendered once a second per thread: they must still follow the
// clock and each encoder's server name.
TEST(ResponseEncoder, DateAndServerLinesFollowTheClockAndTheName) {
  auto head_of = [](std::string_view server_name) {
    ResponseOptions o;
    o.server_name = server_name;
    ResponseEncoder e(o);
    e.start(start(200));
    return wire(e.body(body("")));
  };
  auto expected = [](std::string_view server_name) {
    return "HTTP/1.1 200 OK\r\ndate: " + std::string(protocol::cached_http_date()) +
           "\r\nserver: " + std::string(server_name) + "\r\ncontent-length: 0\r\n\r\n";
  };
  EXPECT_EQ(head_of("first"), expected("first"));
  EXPECT_EQ(head_of("second"), expected("second"));  // same second, another name
  const std::string date = std::string(protocol::cached_http_date());
  // The next second comes within ~1 s (coarse clock); a date that never changes must fail the
  // test, not hang it.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (protocol::cached_http_date() == date && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_NE(protocol::cached_http_date(), date) << "the cached date did not change within 5 s";
  EXPECT_EQ(head_of("second"), expected("second"));
}

TEST(ResponseEncoder, InvalidStatusAndHeadersAreRejectedBeforeAnyByte) {
  for (int status : {0, 99, 100, 101, 199, 600, 1000}) {
    ResponseEncoder e(quiet());
    EXPECT_THROW(e.start(start(status)), ProtocolError) << status;
  }
  for (auto [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"x", "a\r\nSet-Cookie: pwn=1"},
                                                        {"x", "a\nb"},
                                                        {"x", std::string("a\0b", 3)},
                                                        {"bad name", "v"},
                                                        {"", "v"},
                                                        {"x:y", "v"},
                                                        {"x", "a\x7f"},
                                                        {"content-length", "-1"}}) {
    ResponseEncoder e(quiet());
    Headers headers;
    headers.add(name, value);
    EXPECT_THROW(e.start(start(200, headers)), ProtocolError) << name;
    EXPECT_FALSE(e.head_rendered());
  }
  ResponseEncoder ok(quiet());
  EXPECT_NO_THROW(ok.start(start(599, {{"x", "tab\there \xC2\xB5"}})));
  EXPECT_EQ(wire(ok.body(body(""))).substr(0, 15), "HTTP/1.1 599 \r\n");
}

TEST(ResponseEncoder, MessageOrder) {
  ResponseEncoder e(quiet());
  EXPECT_THROW(e.body(body("early")), ProtocolError);
  ResponseEncoder twice(quiet());
  twice.start(start(200));
  EXPECT_THROW(twice.start(start(200)), ProtocolError);
  ResponseEncoder after(quiet());
  after.start(start(200));
  after.body(body("done"));
  EXPECT_THROW(after.body(body("more")), ProtocolError);
  EXPECT_THROW(after.start(start(200)), ProtocolError);
}

TEST(ResponseEncoder, TrailersOnlyForClientsThatAcceptThem) {
  ResponseOptions o = quiet();
  o.client_accepts_trailers = true;
  ResponseEncoder e(o);
  e.start(start(200, {{"trailer", "x-checksum"}}, true));
  EXPECT_EQ(
      wire(e.body(body("data"))),
      "HTTP/1.1 200 OK\r\ntrailer: x-checksum\r\ntransfer-encoding: chunked\r\n\r\n4\r\ndata\r\n");
  EXPECT_FALSE(e.complete());
  HttpResponseTrailers t;
  t.headers.add("x-checksum", "abc");
  EXPECT_EQ(wire(e.trailers(t)), "0\r\nx-checksum: abc\r\n\r\n");
  EXPECT_TRUE(e.complete());

  ResponseEncoder plain(quiet());
  plain.start(start(200, {}, true));
  plain.body(body("data"));
  EXPECT_EQ(wire(plain.trailers(t)), "0\r\n\r\n");
}

TEST(ResponseEncoder, ErrorResponse) {
  EXPECT_EQ(ResponseEncoder::error_response(400, "Invalid HTTP request received.", quiet()),
            "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n"
            "content-length: 30\r\nconnection: close\r\n\r\nInvalid HTTP request received.");
}
