// asgi::testing::Client, the public test client: HTTP requests and their bodies, the server's
// rules applied to what the app sends, WebSocket sessions (accepted, denied, closed by either
// side), lifespan with state, an app that waits in receive(), and the timeout.

#include <gtest/gtest.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <memory>
#include <string>

#include "asgi/asgi.hpp"
#include "asgi/testing/client.hpp"

namespace {

namespace net = boost::asio;
using asgi::testing::Client;
using asgi::testing::ClientOptions;

// Answers with the method, path, query, client and the whole body it read.
net::awaitable<void> describe_app(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  if (scope.type != "http") throw std::runtime_error("http only");
  std::string body;
  for (;;) {
    asgi::Event event = co_await receive();
    auto* request = std::get_if<asgi::HttpRequest>(&event);
    if (!request) co_return;
    body += request->body;
    if (!request->more_body) break;
  }
  std::string text = scope.method + " " + scope.path + " ?" + scope.query_string + " from " +
                     scope.client->host + " root " + scope.root_path + " body " + body;
  auto type = scope.headers.get("x-type").value_or("text/plain");
  co_await send(asgi::HttpResponseStart(200, {{"content-type", type}}));
  co_await send(asgi::HttpResponseBody(std::move(text)));
}

TEST(TestingClient, GetAndPostGoThroughTheServer) {
  Client client(describe_app);
  auto get = client.get("/notes?limit=2", {{"x-type", "text/x-test"}});
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.reason, "OK");
  EXPECT_EQ(get.header("content-type"), "text/x-test");
  EXPECT_EQ(get.body, "GET /notes ?limit=2 from testclient root  body ");
  auto post = client.post("/notes", std::string(100'000, 'n'));
  EXPECT_EQ(post.status, 200);
  EXPECT_EQ(post.body.size(),
            std::string("POST /notes ? from testclient root  body ").size() + 100'000);
  auto head = client.request("HEAD", "/x");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
}

// What the server refuses, the client refuses the same way: a body longer than the app's own
// content-length ends in a 500 (the server's encoder decides, not a copy of its rules).
TEST(TestingClient, AnAppBreakingTheProtocolGetsTheServersAnswer) {
  auto app = [](asgi::Scope, asgi::Receive, asgi::Send send) -> net::awaitable<void> {
    co_await send(asgi::HttpResponseStart(200, {{"content-length", "2"}}));
    co_await send(asgi::HttpResponseBody("too long"));
  };
  EXPECT_EQ(Client(app).get("/").status, 500);
  auto raises = [](asgi::Scope, asgi::Receive, asgi::Send) -> net::awaitable<void> {
    throw std::runtime_error("boom");
    co_return;
  };
  EXPECT_EQ(Client(raises).get("/").status, 500);
}

TEST(TestingClient, AnAppThatNeverAnswersTimesOut) {
  auto silent = [](asgi::Scope, asgi::Receive receive, asgi::Send) -> net::awaitable<void> {
    co_await receive();
    net::steady_timer timer(co_await net::this_coro::executor, std::chrono::hours(1));
    co_await timer.async_wait(net::use_awaitable);
  };
  Client client(silent, ClientOptions{.timeout = std::chrono::milliseconds(200)});
  EXPECT_THROW(client.get("/"), std::runtime_error);
}

net::awaitable<void> echo_app(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  if (scope.type != "websocket") throw std::runtime_error("websocket only");
  co_await receive();
  if (scope.path == "/deny") {
    co_await send(asgi::WebSocketHttpResponseStart(401, {{"content-type", "text/plain"}}));
    co_await send(asgi::WebSocketHttpResponseBody("who are you"));
    co_return;
  }
  if (scope.path == "/closing") {
    co_await send(asgi::WebSocketAccept());
    co_await send(asgi::WebSocketClose(4001, "bye"));
    co_return;
  }
  co_await send(asgi::WebSocketAccept(scope.subprotocols.empty()
                                          ? std::nullopt
                                          : std::optional<std::string>(scope.subprotocols[0])));
  for (;;) {
    asgi::Event event = co_await receive();
    auto* message = std::get_if<asgi::WebSocketReceive>(&event);
    if (!message) co_return;
    if (message->text)
      co_await send(asgi::WebSocketSend(std::nullopt, "echo " + *message->text));
    else
      co_await send(asgi::WebSocketSend(message->bytes, std::nullopt));
  }
}

TEST(TestingClient, WebSocketEchoesTextAndBytes) {
  Client client(echo_app);
  auto ws = client.websocket("/ws", {{"sec-websocket-protocol", "chat"}});
  ASSERT_TRUE(ws.accepted());
  EXPECT_EQ(ws.subprotocol(), "chat");
  ws.send_text("hello");
  EXPECT_EQ(ws.receive_text(), "echo hello");
  ws.send_bytes(std::string("\0\1\2", 3));
  EXPECT_EQ(ws.receive_bytes(), std::string("\0\1\2", 3));
  ws.close();
  EXPECT_EQ(ws.close_code(), 1000);
}

TEST(TestingClient, WebSocketDenialAndServerClose) {
  Client client(echo_app);
  auto denied = client.websocket("/deny");
  EXPECT_FALSE(denied.accepted());
  EXPECT_EQ(denied.denial().status, 401);
  EXPECT_EQ(denied.denial().header("content-type"), "text/plain");
  EXPECT_EQ(denied.denial().body, "who are you");
  auto closing = client.websocket("/closing");
  ASSERT_TRUE(closing.accepted());
  EXPECT_THROW(closing.receive(), std::runtime_error);
  EXPECT_EQ(closing.close_code(), 4001);
}

TEST(TestingClient, LifespanStateReachesRequests) {
  auto app = [](asgi::Scope scope, asgi::Receive receive, asgi::Send send) -> net::awaitable<void> {
    if (scope.type == "lifespan") {
      co_await receive();  // startup
      scope.state.set("greeting", std::make_shared<std::string>("hello from startup"));
      co_await send(asgi::LifespanStartupComplete());
      co_await receive();  // shutdown
      co_await send(asgi::LifespanShutdownComplete());
      co_return;
    }
    auto greeting = scope.state.get<std::string>("greeting");
    co_await send(asgi::HttpResponseStart(200, {}));
    co_await send(asgi::HttpResponseBody(greeting ? *greeting : "no state"));
  };
  Client client(app);
  client.startup();
  EXPECT_TRUE(client.state().get<std::string>("greeting"));
  EXPECT_EQ(client.get("/").body, "hello from startup");
  client.shutdown();
}

TEST(TestingClient, FailedStartupThrows) {
  auto app = [](asgi::Scope scope, asgi::Receive receive, asgi::Send send) -> net::awaitable<void> {
    if (scope.type != "lifespan") co_return;
    co_await receive();
    co_await send(asgi::LifespanStartupFailed("no database"));
  };
  Client client(app);
  EXPECT_THROW(client.startup(), std::runtime_error);
}

}  // namespace

namespace {

// Two coroutines of one app may call send() at once: the server writes the messages one after
// the other, whole, in the order the calls were made (for HTTP and WebSocket alike).
TEST(TestingClient, ConcurrentSendsAreWrittenWholeInCallOrder) {
  using namespace net::experimental::awaitable_operators;
  auto app = [](asgi::Scope scope, asgi::Receive receive, asgi::Send send) -> net::awaitable<void> {
    if (scope.type == "websocket") {
      co_await receive();
      co_await send(asgi::WebSocketAccept());
      auto burst = [&](char c) -> net::awaitable<void> {
        for (int i = 0; i < 20; ++i)
          co_await send(asgi::WebSocketSend(std::nullopt, std::string(100'000, c)));
      };
      co_await (burst('a') && burst('b'));
      co_await send(asgi::WebSocketClose());
      co_return;
    }
    co_await send(asgi::HttpResponseStart(200, {}));
    auto chunk = [&](char c) -> net::awaitable<void> {
      co_await send(asgi::HttpResponseBody(std::string(300'000, c), true));
    };
    co_await (chunk('a') && chunk('b'));
    co_await send(asgi::HttpResponseBody());
  };
  Client client(app);
  auto response = client.get("/");
  EXPECT_EQ(response.status, 200);
  ASSERT_EQ(response.body.size(), 600'000u);
  EXPECT_EQ(response.body.find_first_not_of('a'), 300'000u);
  EXPECT_EQ(response.body.find_first_not_of('b', 300'000), std::string::npos);
  auto ws = client.websocket("/");
  int counts[2] = {0, 0};
  for (int i = 0; i < 40; ++i) {
    std::string message = ws.receive_text();
    ASSERT_EQ(message.size(), 100'000u);
    ASSERT_EQ(message.find_first_not_of(message[0]), std::string::npos);
    ++counts[message[0] - 'a'];
  }
  EXPECT_EQ(counts[0], 20);
  EXPECT_EQ(counts[1], 20);
}

}  // namespace
