// crab_app through the public test client: the server's own connection code in process, the app
// as registered (ASGI_REGISTER_APP), lifespan included. What a user of the site sees: pages,
// the JSON API with its errors, the lifespan state, and the tank's WebSocket.

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

}  // namespace
