// asgi::toolkit::Router through the real server (test client): typed parameters, 404, 405 with
// allow, HEAD for GET, mounting with root_path, WebSocket routes, and bad patterns.

#include <gtest/gtest.h>

#include "asgi/asgi.hpp"
#include "asgi/testing/client.hpp"
#include "asgi/toolkit.hpp"

namespace {

namespace net = boost::asio;
namespace kit = asgi::toolkit;
using asgi::testing::Client;

net::awaitable<void> show_note(kit::Request request) {
  co_await kit::send_text(request.send, "note " + std::to_string(request.params.integer("id")));
}

net::awaitable<void> create_note(kit::Request request) {
  std::string body = co_await kit::read_body(request.receive);
  co_await kit::send_text(request.send, "created " + body, 201);
}

net::awaitable<void> file(kit::Request request) {
  co_await kit::send_text(request.send, "file " + *request.params.get("rest"));
}

net::awaitable<void> user(kit::Request request) {
  co_await kit::send_text(request.send, "user " + *request.params.get("name"));
}

// A mounted app: reports what it sees of the mount.
net::awaitable<void> admin(asgi::Scope scope, asgi::Receive, asgi::Send send) {
  co_await kit::send_text(send, "admin root=" + scope.root_path + " path=" + scope.path +
                                    " route=" + std::string(kit::route_path(scope)));
}

net::awaitable<void> room(kit::Request request) {
  co_await request.receive();
  co_await request.send(asgi::WebSocketAccept());
  co_await request.send(asgi::WebSocketSend(std::nullopt, "room " + *request.params.get("room")));
  co_await request.send(asgi::WebSocketClose());
}

kit::Router make_router() {
  kit::Router router;
  router.get("/notes/{id:int}", show_note)
      .post("/notes", create_note)
      .put("/notes/{id:int}", show_note)
      .get("/files/{rest:path}", file)
      .get("/users/{name}", user)
      .websocket("/rooms/{room}", room)
      .mount("/admin", admin);
  return router;
}

TEST(Router, TypedParametersAndMethods) {
  Client client(make_router().app());
  EXPECT_EQ(client.get("/notes/42").body, "note 42");
  EXPECT_EQ(client.get("/notes/-7").body, "note -7");
  EXPECT_EQ(client.get("/notes/abc").status, 404);  // not an int: no route
  EXPECT_EQ(client.post("/notes", "moult").body, "created moult");
  EXPECT_EQ(client.get("/files/a/b/c.txt").body, "file a/b/c.txt");
  EXPECT_EQ(client.get("/users/hermit%20crab").body, "user hermit crab");  // decoded, as path
  EXPECT_EQ(client.get("/users/").status, 404);                            // an empty segment
  EXPECT_EQ(client.get("/notes/42/").status, 404);  // a trailing slash the pattern has not
  EXPECT_EQ(client.get("/nowhere").status, 404);
}

TEST(Router, MethodNotAllowedListsWhatIs) {
  Client client(make_router().app());
  auto response = client.request("DELETE", "/notes/1");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.header("allow"), "GET, HEAD, PUT");
  auto head = client.request("HEAD", "/notes/1");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.header("content-length"), "6");  // "note 1", not sent
}

TEST(Router, MountExtendsRootPath) {
  Client client(make_router().app());
  EXPECT_EQ(client.get("/admin/users").body, "admin root=/admin path=/admin/users route=/users");
  EXPECT_EQ(client.get("/admin").body, "admin root=/admin path=/admin route=/");
  EXPECT_EQ(client.get("/administrator").status, 404);  // a whole segment only
}

TEST(Router, WebSocketRoutesAndDenial) {
  Client client(make_router().app());
  auto ws = client.websocket("/rooms/reef");
  ASSERT_TRUE(ws.accepted());
  EXPECT_EQ(ws.receive_text(), "room reef");
  auto none = client.websocket("/nowhere");
  EXPECT_FALSE(none.accepted());
  EXPECT_EQ(none.denial().status, 403);
}

TEST(Router, BadPatternsAreRefusedWhenAdded) {
  kit::Router router;
  EXPECT_THROW(router.get("notes", show_note), std::invalid_argument);
  EXPECT_THROW(router.get("/notes/{id:float}", show_note), std::invalid_argument);
  EXPECT_THROW(router.get("/files/{rest:path}/more", file), std::invalid_argument);
  EXPECT_THROW(router.get("/notes/{id", show_note), std::invalid_argument);
  EXPECT_THROW(router.mount("/", admin), std::invalid_argument);
}

}  // namespace
