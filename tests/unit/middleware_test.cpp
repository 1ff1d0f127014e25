// asgi::toolkit middleware (request_id, gzip) and WebSocket helpers, through the real server with
// the test client. gzip is checked by inflating what arrived with zlib.

#include <gtest/gtest.h>
#include <zlib.h>

#include "asgi/asgi.hpp"
#include "asgi/testing/client.hpp"
#include "asgi/toolkit.hpp"

namespace {

namespace net = boost::asio;
namespace kit = asgi::toolkit;
using asgi::testing::Client;

std::string gunzip(const std::string& data) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  int result = Z_OK;
  while (result == Z_OK) {
    char chunk[4096];
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    result = inflate(&z, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - z.avail_out);
  }
  EXPECT_EQ(result, Z_STREAM_END) << "not a complete gzip stream";
  inflateEnd(&z);
  return out;
}

net::awaitable<void> id_app(asgi::Scope scope, asgi::Receive, asgi::Send send) {
  co_await kit::send_text(send, std::string(kit::header(scope, "x-request-id").value_or("none")));
}

TEST(RequestId, KeepsAPlausibleIdAndMakesOneOtherwise) {
  Client client(kit::request_id(id_app));
  auto given = client.get("/", {{"x-request-id", "abc-123"}});
  EXPECT_EQ(given.body, "abc-123");
  EXPECT_EQ(given.header("x-request-id"), "abc-123");
  auto made = client.get("/");
  EXPECT_EQ(made.body.size(), 32u);
  EXPECT_EQ(made.header("x-request-id"), made.body);
  EXPECT_NE(client.get("/").body, made.body);
  auto forged = client.get("/", {{"x-request-id", "bad id\twith junk"}});
  EXPECT_EQ(forged.body.size(), 32u);  // replaced, never echoed
}

const std::string long_text = [] {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "hermit crab " + std::to_string(i) + "\n";
  return text;
}();

net::awaitable<void> text_app(asgi::Scope scope, asgi::Receive, asgi::Send send) {
  if (scope.path == "/small") co_return co_await kit::send_text(send, "tiny");
  if (scope.path == "/png") co_return co_await kit::send_bytes(send, long_text, "image/png");
  if (scope.path == "/stream") {
    co_await send(asgi::HttpResponseStart(200, {{"content-type", "text/event-stream"}}));
    co_await send(asgi::HttpResponseBody(long_text, true));
    co_await send(asgi::HttpResponseBody(long_text, false));
    co_return;
  }
  co_await kit::send_text(send, long_text, 200, {{"vary", "cookie"}});
}

TEST(Gzip, CompressesWhenAcceptedAndWorthIt) {
  Client client(kit::gzip(text_app));
  auto plain = client.get("/");
  EXPECT_FALSE(plain.headers.contains("content-encoding"));  // not accepted
  EXPECT_EQ(plain.body, long_text);
  auto zipped = client.get("/", {{"accept-encoding", "br;q=1, gzip;q=0.5"}});
  EXPECT_EQ(zipped.header("content-encoding"), "gzip");
  EXPECT_EQ(zipped.header("vary"), "cookie, accept-encoding");
  EXPECT_LT(zipped.body.size(), long_text.size() / 3);
  EXPECT_EQ(gunzip(zipped.body), long_text);
  auto small = client.get("/small", {{"accept-encoding", "gzip"}});
  EXPECT_FALSE(small.headers.contains("content-encoding"));
  EXPECT_EQ(small.body, "tiny");
  auto png = client.get("/png", {{"accept-encoding", "gzip"}});
  EXPECT_FALSE(png.headers.contains("content-encoding"));
  auto refused = client.get("/", {{"accept-encoding", "gzip;q=0"}});
  EXPECT_FALSE(refused.headers.contains("content-encoding"));
}

TEST(Gzip, StreamedResponsesAreCompressedPieceByPiece) {
  Client client(kit::gzip(text_app));
  auto stream = client.get("/stream", {{"accept-encoding", "gzip"}});
  EXPECT_EQ(stream.header("content-encoding"), "gzip");
  EXPECT_EQ(gunzip(stream.body), long_text + long_text);
}

net::awaitable<void> echo(asgi::Scope, asgi::Receive receive, asgi::Send send) {
  if (!co_await kit::accept(receive, send)) co_return;
  int code = co_await kit::message_loop(
      receive, [send](asgi::WebSocketReceive message) -> net::awaitable<void> {
        if (message.text) co_await send(kit::text_message("text " + *message.text));
        if (message.bytes) co_await send(kit::bytes_message("bytes " + *message.bytes));
      });
  (void)code;
}

TEST(WebSocketHelpers, AcceptLoopAndNamedMessages) {
  Client client(echo);
  auto ws = client.websocket("/");
  ASSERT_TRUE(ws.accepted());
  ws.send_text("a");
  EXPECT_EQ(ws.receive_text(), "text a");
  ws.send_bytes("b");
  EXPECT_EQ(ws.receive_bytes(), "bytes b");
  ws.close();
}

}  // namespace
