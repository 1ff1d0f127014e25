// The example apps through the public test client, as an app author tests an app: the server's
// own connection code in process, each app as registered (ASGI_REGISTER_APP), lifespan included.
// For crab_app, what a user of the site sees: pages, the JSON API with its errors, the lifespan
// state, and the tank's WebSocket. (tests/unit/apps_test.cpp checks the same apps message by
// message, with an in-process harness that records the order of receive and send.)

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "asgi/testing/client.hpp"

namespace {

using asgi::testing::Client;
using Json = nlohmann::json;

class CrabApp : public ::testing::Test {
 protected:
  void SetUp() override { client_.startup(); }
  void TearDown() override { client_.shutdown(); }
  Client client_ = Client::for_registered("crab_app");
};

TEST_F(CrabApp, PagesAndMethods) {
  auto home = client_.get("/");
  EXPECT_EQ(home.status, 200);
  EXPECT_TRUE(home.header("content-type").starts_with("text/html"));
  EXPECT_NE(home.body.find("<html"), std::string::npos);
  EXPECT_EQ(client_.get("/no-such-page").status, 404);
  auto wrong = client_.request("DELETE", "/crabs");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.header("allow"), "GET, HEAD, POST");
}

TEST_F(CrabApp, CreateThenReadACrab) {
  auto created = client_.post("/crabs", R"({"name": "Pinchy", "species": "Cancer pagurus"})",
                              {{"content-type", "application/json"}});
  ASSERT_EQ(created.status, 201) << created.body;
  Json crab = Json::parse(created.body);
  EXPECT_EQ(crab["name"], "Pinchy");
  std::string location(created.header("location"));
  EXPECT_EQ(location, "/crabs/" + std::to_string(crab["id"].get<long long>()));
  EXPECT_EQ(Json::parse(client_.get(location).body)["species"], "Cancer pagurus");
  bool listed = false;
  for (const Json& each : Json::parse(client_.get("/crabs").body))
    listed = listed || each["id"] == crab["id"];
  EXPECT_TRUE(listed);
}

TEST_F(CrabApp, ApiErrorsHaveADetail) {
  auto wrong_type = client_.post("/crabs", "{}", {{"content-type", "text/plain"}});
  EXPECT_EQ(wrong_type.status, 415);
  EXPECT_TRUE(Json::parse(wrong_type.body).contains("detail"));
  auto missing =
      client_.post("/crabs", R"({"species": "x"})", {{"content-type", "application/json"}});
  EXPECT_EQ(missing.status, 422);
  EXPECT_EQ(Json::parse(missing.body)["detail"], "field 'name' is required");
  EXPECT_EQ(client_.get("/crabs/999999").status, 404);
  EXPECT_EQ(client_.get("/crabs/7x").status, 404);
}

TEST_F(CrabApp, FactsComeFromLifespanState) {
  auto facts = client_.get("/facts");
  ASSERT_EQ(facts.status, 200);
  EXPECT_FALSE(Json::parse(facts.body)["facts"].empty());
  EXPECT_TRUE(client_.state().get<std::vector<std::string>>("crab_facts"));
}

TEST_F(CrabApp, TankSendsItsStateAndTakesFood) {
  auto tank = client_.websocket("/ws/tank");
  ASSERT_TRUE(tank.accepted());
  Json first = Json::parse(tank.receive_text());
  EXPECT_TRUE(first.is_object());
  tank.send_text(R"({"type": "drop", "x": 120, "y": 40})");
  Json reply = Json::object();
  for (int i = 0; i < 50 && reply.value("type", "") != "dropped"; ++i)
    reply = Json::parse(tank.receive_text());  // tank states and the drop's reply, in some order
  EXPECT_EQ(reply.value("type", ""), "dropped") << reply.dump();
  EXPECT_EQ(reply.value("x", 0.0), 120.0);
  tank.close();
}

TEST(ExampleApps, HelloAnswersTheBenchmarkResponse) {
  auto response = Client::for_registered("hello").get("/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("content-length"), "13");
  EXPECT_EQ(response.body, "Hello, world!");
}

TEST(ExampleApps, EchoReturnsTheBodyAndWebSocketMessages) {
  auto client = Client::for_registered("echo");
  std::string big(300'000, 'e');  // many chunks through the server's 64 KiB body pieces
  auto response = client.post("/", big, {{"content-type", "text/x-crab"}});
  EXPECT_EQ(response.header("content-type"), "text/x-crab");
  EXPECT_EQ(response.body, big);
  auto ws = client.websocket("/");
  ASSERT_TRUE(ws.accepted());
  ws.send_text("hi");
  EXPECT_EQ(ws.receive_text(), "hi");
  ws.send_bytes(std::string("\0\1", 2));
  EXPECT_EQ(ws.receive_bytes(), std::string("\0\1", 2));
  ws.close();
}

TEST(ExampleApps, InspectShowsTheScopeTheServerBuilt) {
  auto scope = Json::parse(Client::for_registered("inspect").get("/some/path?x=1").body);
  EXPECT_EQ(scope["type"], "http");
  EXPECT_EQ(scope["path"], "/some/path");
  EXPECT_EQ(scope["query_string"], "x=1");
  EXPECT_EQ(scope["client"], Json::array({"testclient", 50000}));
  EXPECT_EQ(scope["server"], Json::array({"testserver", 80}));
}

TEST(ExampleApps, StreamSendsAndCountsBigBodies) {
  auto client = Client::for_registered("stream");
  auto bytes = client.get("/bytes?n=200000");
  EXPECT_EQ(bytes.body, std::string(200'000, 'x'));
  EXPECT_EQ(client.post("/upload", std::string(150'000, 'u')).body, "150000\n");
}

}  // namespace
