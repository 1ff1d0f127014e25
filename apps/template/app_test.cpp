// my_app's unit test: the app runs through asgiserver's own connection code in this process
// (asgi::testing::Client), so what passes here is what the server will do.

#include <gtest/gtest.h>

#include "asgi/testing/client.hpp"

TEST(MyApp, SaysHello) {
  auto client = asgi::testing::Client::for_registered("my_app");
  asgi::testing::Response response = client.get("/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("content-type"), "text/plain");
  EXPECT_EQ(response.body, "Hello from my_app\n");
}

TEST(MyApp, EchoesWebSocketMessages) {
  auto client = asgi::testing::Client::for_registered("my_app");
  auto ws = client.websocket("/ws");
  ASSERT_TRUE(ws.accepted());
  ws.send_text("crab");
  EXPECT_EQ(ws.receive_text(), "crab");
  ws.send_bytes("\x01\x02");
  EXPECT_EQ(ws.receive_bytes(), "\x01\x02");
  ws.close();
}
