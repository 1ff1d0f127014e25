// Unit tests for crab_app's live crab tank: the I/O-free simulation (apps/crab_app/tank_sim.*),
// then the WebSocket handler in process, through the app harness and a timed channel.
//
// The live tank is process-wide (one per process, like the server's): tests that go through the
// app never assume its exact contents, only what their own actions change.

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "asgi/asgi.hpp"
#include "crab_app/tank_crowd.hpp"
#include "crab_app/tank_sim.hpp"
#include "support/app_harness.hpp"

namespace {

namespace tank = apps::crab::tank;
using Json = nlohmann::json;
using namespace std::chrono_literals;

// ---- parse_client_message --------------------------------------------------------------------

std::optional<tank::Drop> drop_of(std::string_view text) {
  auto parsed = tank::parse_client_message(text);
  if (auto* drop = std::get_if<tank::Drop>(&parsed)) return *drop;
  return std::nullopt;
}

TEST(TankMessages, AcceptsADropInsideTheTank) {
  auto drop = drop_of(R"({"type": "drop", "x": 120, "y": 40.5})");
  ASSERT_TRUE(drop);
  EXPECT_EQ(drop->x, 120.0);
  EXPECT_EQ(drop->y, 40.5);
  // The edges belong to the tank; extra keys are ignored.
  EXPECT_TRUE(drop_of(R"({"type": "drop", "x": 0, "y": 0})"));
  EXPECT_TRUE(drop_of(R"({"type": "drop", "x": 800, "y": 500, "colour": "brown"})"));
}

TEST(TankMessages, RefusesEverythingElseWithAReason) {
  for (const char* text : {
           "",                            // empty
           "garbage",                     // not JSON
           R"({"type": "drop", "x": 1)",  // truncated
           "[1, 2]",
           "42",
           "null",
           R"("drop")",                                 // not an object
           R"({"x": 1, "y": 2})",                       // no type
           R"({"type": "eat", "x": 1, "y": 2})",        // another type
           R"({"type": 7, "x": 1, "y": 2})",            // type not a string
           R"({"type": "drop", "y": 2})",               // x missing
           R"({"type": "drop", "x": "10", "y": 2})",    // x a string
           R"({"type": "drop", "x": true, "y": 2})",    // x a boolean
           R"({"type": "drop", "x": null, "y": 2})",    // x null
           R"({"type": "drop", "x": [1], "y": 2})",     // x an array
           R"({"type": "drop", "x": -0.5, "y": 2})",    // left of the tank
           R"({"type": "drop", "x": 800.1, "y": 2})",   // right of it
           R"({"type": "drop", "x": 1, "y": -3})",      // above
           R"({"type": "drop", "x": 1, "y": 500.01})",  // below
           R"({"type": "drop", "x": 1e999, "y": 2})",   // overflows to infinity (or fails)
           R"({"type": "drop", "x": 1, "y": -1e999})",
       }) {
    auto parsed = tank::parse_client_message(text);
    ASSERT_TRUE(std::holds_alternative<std::string>(parsed)) << text;
    EXPECT_FALSE(std::get<std::string>(parsed).empty()) << text;
  }
}

TEST(TankMessages, LongMessagesAreNotEvenParsed) {
  std::string text = R"({"type": "drop", "x": 1, "y": 2, "pad": ")" +
                     std::string(tank::kMaxMessageBytes, 'a') + "\"}";
  auto parsed = tank::parse_client_message(text);
  ASSERT_TRUE(std::holds_alternative<std::string>(parsed));
  EXPECT_EQ(std::get<std::string>(parsed), "message too long");
}

// ---- the simulation ----------------------------------------------------------------------------

bool inside(const tank::TankCrab& crab) {
  return crab.x >= 0 && crab.x <= tank::kWidth && crab.y >= 0 && crab.y <= tank::kHeight;
}

TEST(TankSim, StartsWithNamedCrabsInsideTheTank) {
  tank::TankSim sim(1, 6);
  ASSERT_EQ(sim.crabs().size(), 6u);
  std::set<int> ids;
  std::set<std::string> names;
  for (const auto& crab : sim.crabs()) {
    EXPECT_TRUE(inside(crab));
    ids.insert(crab.id);
    names.insert(crab.name);
  }
  EXPECT_EQ(ids.size(), 6u);
  EXPECT_EQ(names.size(), 6u);
  EXPECT_TRUE(sim.food().empty());
  EXPECT_EQ(sim.ticks(), 0u);
  // More crabs than names still get distinct names.
  tank::TankSim crowd(1, 20);
  std::set<std::string> crowd_names;
  for (const auto& crab : crowd.crabs()) crowd_names.insert(crab.name);
  EXPECT_EQ(crowd_names.size(), 20u);
}

TEST(TankSim, CrabsNeverLeaveTheTank) {
  for (std::uint32_t seed : {1u, 2u, 3u, 42u, 0xdeadbeefu}) {
    tank::TankSim sim(seed, 8);
    for (int i = 0; i < 5000; ++i) {
      // Food in the corners now and then pulls them to the very edges.
      if (i % 500 == 0) {
        sim.add_food(0, 0);
        sim.add_food(tank::kWidth, tank::kHeight);
      }
      sim.step(tank::kTickSeconds);
      for (const auto& crab : sim.crabs())
        ASSERT_TRUE(inside(crab)) << "seed " << seed << " tick " << i;
    }
    EXPECT_EQ(sim.ticks(), 5000u);
  }
}

TEST(TankSim, CrabsWanderMostlySideways) {
  tank::TankSim sim(7, 6);
  std::vector<tank::TankCrab> before = sim.crabs();
  double across = 0, down = 0;
  for (int i = 0; i < 1000; ++i) {
    std::vector<tank::TankCrab> previous = sim.crabs();
    sim.step(tank::kTickSeconds);
    for (std::size_t c = 0; c < previous.size(); ++c) {
      across += std::abs(sim.crabs()[c].x - previous[c].x);
      down += std::abs(sim.crabs()[c].y - previous[c].y);
    }
  }
  EXPECT_GT(across, 0);
  EXPECT_GT(across, 2 * down) << "crabs walk sideways";
  // And they do get around: every crab left its starting place.
  for (std::size_t c = 0; c < before.size(); ++c)
    EXPECT_NE(before[c].x, sim.crabs()[c].x) << sim.crabs()[c].name;
}

TEST(TankSim, SameSeedSameTank) {
  tank::TankSim a(99), b(99);
  for (int i = 0; i < 200; ++i) {
    if (i == 50) {
      a.add_food(400, 250);
      b.add_food(400, 250);
    }
    a.step(tank::kTickSeconds);
    b.step(tank::kTickSeconds);
  }
  EXPECT_EQ(a.state_json(1), b.state_json(1));
}

TEST(TankSim, NonPositiveStepsDoNothing) {
  tank::TankSim sim(5);
  std::string before = sim.state_json(0);
  sim.step(0);
  sim.step(-1);
  sim.step(std::nan(""));
  EXPECT_EQ(sim.state_json(0), before);
}

// One crab at a known place, for the feeding tests.
tank::TankSim lone_crab_at(double x, double y) {
  tank::TankSim sim(3, 1);
  sim.crabs()[0].x = x;
  sim.crabs()[0].y = y;
  return sim;
}

TEST(TankSim, AHungryCrabWalksStraightToTheFoodAndEatsIt) {
  tank::TankSim sim = lone_crab_at(100, 100);
  ASSERT_TRUE(sim.add_food(400, 100));
  sim.step(tank::kTickSeconds);
  const auto& crab = sim.crabs()[0];
  EXPECT_NEAR(crab.x, 100 + tank::kHungrySpeed * tank::kTickSeconds, 1e-9);
  EXPECT_NEAR(crab.y, 100, 1e-9);
  EXPECT_EQ(crab.facing, 1);
  // 300 units at kHungrySpeed, less the eating radius: a few seconds, and never more.
  int ticks = 1;
  while (!sim.food().empty() && ticks < 100) {
    sim.step(tank::kTickSeconds);
    ++ticks;
  }
  EXPECT_TRUE(sim.food().empty());
  EXPECT_LE(ticks, static_cast<int>(std::ceil(300 / (tank::kHungrySpeed * tank::kTickSeconds))));
  EXPECT_EQ(sim.crabs()[0].eaten, 1);
  EXPECT_EQ(sim.food_eaten(), 1);
  EXPECT_EQ(sim.food_dropped(), 1);
}

TEST(TankSim, FoodWithinReachIsEatenAtOnce) {
  tank::TankSim sim = lone_crab_at(200, 200);
  ASSERT_TRUE(sim.add_food(200 + tank::kEatRadius - 1, 200));
  sim.step(0.001);
  EXPECT_TRUE(sim.food().empty());
  EXPECT_EQ(sim.crabs()[0].eaten, 1);
}

TEST(TankSim, TheNearestFoodGoesFirst) {
  tank::TankSim sim = lone_crab_at(100, 100);
  std::optional<std::int64_t> far = sim.add_food(700, 100);
  std::optional<std::int64_t> near = sim.add_food(100, 300);
  ASSERT_TRUE(far && near);
  EXPECT_LT(*far, *near);  // ids grow
  while (sim.food().size() == 2) sim.step(tank::kTickSeconds);
  ASSERT_EQ(sim.food().size(), 1u);
  EXPECT_EQ(sim.food()[0].id, *far);
  EXPECT_NEAR(sim.crabs()[0].x, 100, tank::kEatRadius);  // it went down, not right
}

TEST(TankSim, TheCrabWalksOnAfterEating) {
  tank::TankSim sim = lone_crab_at(100, 100);
  ASSERT_TRUE(sim.add_food(100, 100));
  sim.step(tank::kTickSeconds);
  ASSERT_TRUE(sim.food().empty());
  double x = sim.crabs()[0].x;
  for (int i = 0; i < 40; ++i) sim.step(tank::kTickSeconds);
  EXPECT_NE(sim.crabs()[0].x, x) << "back to wandering";
}

TEST(TankSim, FoodIsCappedAndMustBeInside) {
  tank::TankSim sim(11);
  std::set<std::int64_t> ids;
  for (std::size_t i = 0; i < tank::kMaxFood; ++i) {
    std::optional<std::int64_t> id = sim.add_food(static_cast<double>(i * 10), 5);
    ASSERT_TRUE(id) << i;
    ids.insert(*id);
  }
  EXPECT_EQ(ids.size(), tank::kMaxFood);
  EXPECT_FALSE(sim.add_food(400, 250)) << "the tank is full";
  EXPECT_EQ(sim.food().size(), tank::kMaxFood);
  EXPECT_EQ(sim.food_dropped(), static_cast<std::int64_t>(tank::kMaxFood));

  tank::TankSim other(11);
  EXPECT_FALSE(other.add_food(-1, 10));
  EXPECT_FALSE(other.add_food(10, tank::kHeight + 1));
  EXPECT_FALSE(other.add_food(std::nan(""), 10));
  EXPECT_FALSE(other.add_food(10, INFINITY));
  EXPECT_TRUE(other.food().empty());
}

TEST(TankSim, StateJsonHasTheDocumentedShape) {
  tank::TankSim sim = lone_crab_at(123.456, 78.91);
  ASSERT_TRUE(sim.add_food(10.04, 20.06));
  Json state = Json::parse(sim.state_json(3));
  EXPECT_EQ(state["type"], "state");
  EXPECT_EQ(state["tick"], 0);
  EXPECT_EQ(state["viewers"], 3);
  EXPECT_EQ(state["dropped"], 1);
  EXPECT_EQ(state["eaten"], 0);
  ASSERT_EQ(state["crabs"].size(), 1u);
  const Json& crab = state["crabs"][0];
  EXPECT_EQ(crab["id"], 1);
  EXPECT_EQ(crab["name"], "Pinchy");
  EXPECT_DOUBLE_EQ(crab["x"].get<double>(), 123.5);  // rounded to 0.1
  EXPECT_DOUBLE_EQ(crab["y"].get<double>(), 78.9);
  EXPECT_TRUE(crab["facing"].is_number_integer());
  EXPECT_EQ(crab["eaten"], 0);
  ASSERT_EQ(state["food"].size(), 1u);
  EXPECT_EQ(state["food"][0]["id"], 1);
  EXPECT_DOUBLE_EQ(state["food"][0]["x"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(state["food"][0]["y"].get<double>(), 20.1);
  // Short: no float noise such as 123.50000000000001.
  EXPECT_NE(sim.state_json(3).find("\"x\":123.5,"), std::string::npos) << sim.state_json(3);
}

// ---- the app, in process
// -------------------------------------------------------------------------

const asgi::App& crab_app() {
  const asgi::App* app = asgi::find_app("crab_app");
  if (!app) throw std::runtime_error("crab_app is not registered");
  return *app;
}

asgi::Scope websocket_scope(std::string path) {
  asgi::Scope scope = asgi::test::make_http_scope({.path = std::move(path)});
  scope.type = "websocket";
  scope.scheme = "ws";
  scope.method.clear();
  return scope;
}

asgi::Event text_event(std::string text) {
  return asgi::WebSocketReceive(std::nullopt, std::move(text));
}

// The JSON texts the app sent, in order.
std::vector<Json> sent_json(const std::vector<asgi::Message>& messages) {
  std::vector<Json> out;
  for (const asgi::Message& message : messages)
    if (const auto* send = std::get_if<asgi::WebSocketSend>(&message)) {
      EXPECT_TRUE(send->text.has_value()) << "the tank speaks text frames";
      if (send->text) out.push_back(Json::parse(*send->text));
    }
  return out;
}

std::vector<Json> of_type(const std::vector<Json>& messages, std::string_view type) {
  std::vector<Json> out;
  for (const Json& message : messages)
    if (message["type"] == type) out.push_back(message);
  return out;
}

TEST(TankApp, ServesThePage) {
  asgi::test::HttpResult r = asgi::test::run_http(crab_app(), {.path = "/tank"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type").value_or(""), "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("ws/tank"), std::string::npos);
  EXPECT_NE(r.body.find(R"(data-testid="tank")"), std::string::npos);
  EXPECT_NE(r.body.find(R"(data-testid="food-count")"), std::string::npos);
  // No external resources (the SVG namespace URI is a name, not a download).
  for (const char* outside : {"src=", "href=\"http", "url(", "@import", "https://"})
    EXPECT_EQ(r.body.find(outside), std::string::npos) << outside;
  // Linked from the home page; POST is not allowed.
  EXPECT_NE(asgi::test::run_http(crab_app(), {.path = "/"}).body.find(R"(href="/tank")"),
            std::string::npos);
  EXPECT_EQ(asgi::test::run_http(crab_app(), {.method = "POST", .path = "/tank"}).status, 405);
}

TEST(TankApp, OtherWebSocketPathsAreDeclined) {
  // Raising before touching the connection: the server then answers as plain HTTP (404).
  EXPECT_THROW(
      asgi::test::run_app(crab_app(), websocket_scope("/ws/other"), {asgi::WebSocketConnect{}}),
      std::runtime_error);
}

TEST(TankApp, AcceptsSendsTheStateAndTakesDrops) {
  std::vector<asgi::Message> sent = asgi::test::run_app(
      crab_app(), websocket_scope("/ws/tank"),
      {asgi::WebSocketConnect{}, text_event(R"({"type": "drop", "x": 400, "y": 250})"),
       asgi::WebSocketDisconnect(1001)});
  ASSERT_GE(sent.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<asgi::WebSocketAccept>(sent[0]));
  std::vector<Json> messages = sent_json(sent);
  ASSERT_FALSE(messages.empty());
  // The current state straight away, before any tick.
  EXPECT_EQ(messages[0]["type"], "state");
  EXPECT_FALSE(messages[0]["crabs"].empty());
  EXPECT_GE(messages[0]["viewers"], 1);
  std::vector<Json> dropped = of_type(messages, "dropped");
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0]["x"], 400);
  EXPECT_EQ(dropped[0]["y"], 250);
  EXPECT_TRUE(of_type(messages, "error").empty());
  // The app never closes: the client did.
  for (const asgi::Message& message : sent)
    EXPECT_FALSE(std::holds_alternative<asgi::WebSocketClose>(message));

  // The next visitor's first state counts that drop.
  std::vector<Json> next =
      sent_json(asgi::test::run_app(crab_app(), websocket_scope("/ws/tank"),
                                    {asgi::WebSocketConnect{}, asgi::WebSocketDisconnect()}));
  ASSERT_FALSE(next.empty());
  EXPECT_GE(next[0]["dropped"].get<std::int64_t>(), messages[0]["dropped"].get<std::int64_t>() + 1);
}

TEST(TankApp, GarbageGetsAnErrorReplyAndTheConnectionStaysOpen) {
  std::vector<asgi::Message> sent = asgi::test::run_app(
      crab_app(), websocket_scope("/ws/tank"),
      {asgi::WebSocketConnect{}, text_event("garbage"),
       text_event(R"({"type": "drop", "x": 1e999, "y": 1})"),
       text_event(R"({"type": "drop", "x": 900, "y": 1})"), text_event(R"({"type": "hello"})"),
       asgi::WebSocketReceive(std::string("\xff\xfe"), std::nullopt),
       text_event(R"({"type": "drop", "x": 10, "y": 10})"), asgi::WebSocketDisconnect()});
  std::vector<Json> replies;
  for (const Json& message : sent_json(sent))
    if (message["type"] != "state") replies.push_back(message);
  ASSERT_EQ(replies.size(), 6u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(replies[i]["type"], "error") << replies[i];
    EXPECT_TRUE(replies[i]["detail"].is_string());
  }
  EXPECT_EQ(replies[5]["type"], "dropped") << "still connected after all that";
}

// A channel whose client waits before each event: lets a test stay connected while the tank ticks.
class TimedChannel final : public asgi::detail::Channel {
 public:
  struct Step {
    std::chrono::milliseconds delay;
    asgi::Event event;
  };
  explicit TimedChannel(std::vector<Step> script) : script_(script.begin(), script.end()) {}

  boost::asio::awaitable<asgi::Event> receive() override {
    if (script_.empty()) throw std::logic_error("TimedChannel: out of script");
    Step step = std::move(script_.front());
    script_.pop_front();
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, step.delay);
    co_await timer.async_wait(boost::asio::use_awaitable);
    if (std::holds_alternative<asgi::WebSocketDisconnect>(step.event)) left_ = true;
    co_return std::move(step.event);
  }

  boost::asio::awaitable<void> send(asgi::Message message) override {
    if (left_) throw asgi::ClientDisconnected();  // as the server does
    sent_.push_back(std::move(message));
    co_return;
  }

  const std::vector<asgi::Message>& sent() const { return sent_; }

 private:
  std::deque<Step> script_;
  bool left_ = false;
  std::vector<asgi::Message> sent_;
};

// Runs the tank's WebSocket with `script` on an io_context of its own, in this thread.
struct Visitor {
  std::shared_ptr<TimedChannel> channel;
  std::exception_ptr error;
  void run(std::vector<TimedChannel::Step> script) {
    boost::asio::io_context io;
    channel = std::make_shared<TimedChannel>(std::move(script));
    auto done = [this](std::exception_ptr e) { error = e; };
    boost::asio::co_spawn(
        io, crab_app()(websocket_scope("/ws/tank"), asgi::Receive(channel), asgi::Send(channel)),
        std::move(done));
    io.run();  // returns only once the app, its forwarder and (if it ran here) the driver ended
  }
};

TEST(TankApp, TwoVisitorsOnTwoThreadsShareOneTank) {
  // As `asgiserver --threads 2` would have them: each connection on its own event loop.
  Visitor feeder, watcher;
  std::thread feeder_thread([&] {
    feeder.run({{0ms, asgi::WebSocketConnect{}},
                {300ms, text_event(R"({"type": "drop", "x": 790, "y": 490})")},
                {700ms, asgi::WebSocketDisconnect(1001)}});
  });
  std::thread watcher_thread([&] {
    watcher.run({{0ms, asgi::WebSocketConnect{}}, {1300ms, asgi::WebSocketDisconnect(1001)}});
  });
  feeder_thread.join();
  watcher_thread.join();  // both io_contexts ran dry: the driver stopped once both had left
  ASSERT_FALSE(feeder.error);
  ASSERT_FALSE(watcher.error);

  std::vector<Json> feeder_messages = sent_json(feeder.channel->sent());
  std::vector<Json> dropped = of_type(feeder_messages, "dropped");
  ASSERT_EQ(dropped.size(), 1u);
  const std::int64_t food_id = dropped[0]["id"];

  std::vector<Json> states = of_type(sent_json(watcher.channel->sent()), "state");
  // ~13 ticks in 1.3 s; be generous for slow (sanitizer) builds.
  ASSERT_GE(states.size(), 4u);
  bool saw_food = false;
  std::int64_t last_tick = -1;
  for (const Json& state : states) {
    // In order. The first broadcast may repeat the tick of the snapshot sent on connecting.
    EXPECT_GE(state["tick"].get<std::int64_t>(), last_tick) << "states arrive in order";
    last_tick = state["tick"].get<std::int64_t>();
    for (const Json& food : state["food"]) saw_food |= food["id"] == food_id;
  }
  const auto counter = [](const Json& state, const char* key) {
    return state[key].get<std::int64_t>();
  };
  EXPECT_EQ(counter(states.back(), "dropped"), counter(states.front(), "dropped") + 1);
  // The food shows up in the next state, unless a crab happened to stand right there and ate it.
  EXPECT_TRUE(saw_food || counter(states.back(), "eaten") > counter(states.front(), "eaten"))
      << "the watcher never saw the feeder's food";
  EXPECT_GT(states.back()["tick"].get<std::int64_t>(), states.front()["tick"].get<std::int64_t>());

  // The crabs moved meanwhile.
  const Json& first = states.front()["crabs"];
  const Json& last = states.back()["crabs"];
  ASSERT_EQ(first.size(), last.size());
  bool moved = false;
  for (std::size_t i = 0; i < first.size(); ++i)
    moved |= first[i]["x"] != last[i]["x"] || first[i]["y"] != last[i]["y"];
  EXPECT_TRUE(moved);
  // Both saw two viewers at some point.
  bool two = false;
  for (const Json& state : states) two |= state["viewers"] == 2;
  EXPECT_TRUE(two);
}

TEST(TankApp, TheDriverStopsWhenEveryoneLeftAndRestartsForTheNextVisitor) {
  // Visitor::run returning at all shows the driver stopped (it would keep the io_context busy).
  for (int round = 0; round < 2; ++round) {
    Visitor visitor;
    visitor.run({{0ms, asgi::WebSocketConnect{}}, {450ms, asgi::WebSocketDisconnect(1001)}});
    ASSERT_FALSE(visitor.error);
    std::vector<Json> states = of_type(sent_json(visitor.channel->sent()), "state");
    EXPECT_GE(states.size(), 2u) << "round " << round << ": the tank ticked";
  }
}

// ---- taking the tank over from another process, and the crowd across processes -----------

TEST(TankSim, RestoreContinuesTheTankAStateDescribes) {
  tank::TankSim original(3, 6);
  original.add_food(100, 100);
  original.add_food(700, 400);
  for (int i = 0; i < 25; ++i) original.step(tank::kTickSeconds);
  const std::string state = original.state_json(4);

  tank::TankSim taker(99, 2);  // another seed, another crowd
  ASSERT_TRUE(taker.restore(state));
  EXPECT_EQ(taker.state_json(4), state) << "the same tank, to the 0.1 px of the message";
  EXPECT_EQ(taker.ticks(), original.ticks());
  // It goes on from there: ids keep growing, time moves.
  std::optional<std::int64_t> id = taker.add_food(10, 10);
  ASSERT_TRUE(id);
  for (const tank::Food& food : original.food()) EXPECT_GT(*id, food.id);
  EXPECT_GT(*id, original.food_dropped());
  taker.step(tank::kTickSeconds);
  EXPECT_EQ(taker.ticks(), original.ticks() + 1);
}

TEST(TankSim, RestoreRefusesWhatIsNotAStateAndKeepsTheTank) {
  tank::TankSim sim(5, 6);
  const std::string before = sim.state_json(1);
  for (
      const char* text :
      {"", "garbage", "[]", R"({"type": "dropped"})", R"({"type": "state"})",
       R"({"type": "state", "tick": 1, "crabs": [{"id": 1}], "food": [], "dropped": 0, "eaten": 0})",
       R"({"type": "state", "tick": -1, "crabs": [], "food": [], "dropped": 0, "eaten": 0})",
       R"({"type": "state", "tick": 1, "crabs": [], "food": "none", "dropped": 0, "eaten": 0})"}) {
    EXPECT_FALSE(sim.restore(text)) << text;
    EXPECT_EQ(sim.state_json(1), before) << text;
  }
}

TEST(TankControl, MessagesRoundTrip) {
  auto drop = tank::parse_control_message(tank::control_message(tank::RemoteDrop{12.5, 400}));
  ASSERT_TRUE(drop);
  ASSERT_TRUE(std::holds_alternative<tank::RemoteDrop>(*drop));
  EXPECT_EQ(std::get<tank::RemoteDrop>(*drop).x, 12.5);
  EXPECT_EQ(std::get<tank::RemoteDrop>(*drop).y, 400);
  auto count = tank::parse_control_message(tank::control_message(tank::ViewerCount{"p1", 7}));
  ASSERT_TRUE(count);
  ASSERT_TRUE(std::holds_alternative<tank::ViewerCount>(*count));
  EXPECT_EQ(std::get<tank::ViewerCount>(*count).process, "p1");
  EXPECT_EQ(std::get<tank::ViewerCount>(*count).viewers, 7u);
}

TEST(TankControl, AnythingElseIsIgnored) {
  for (const char* text :
       {"", "{", "[1]", R"({"type": "state"})", R"({"type": "drop", "x": 9000, "y": 1})",
        R"({"type": "drop", "x": "1", "y": 1})",
        R"({"type": "viewers", "process": 1, "viewers": 2})",
        R"({"type": "viewers", "process": "p", "viewers": -2})",
        R"({"type": "viewers", "process": "p"})"})
    EXPECT_FALSE(tank::parse_control_message(text)) << text;
}

TEST(CrowdTally, SumsOtherProcessesAndForgetsSilentOnes) {
  tank::CrowdTally crowd("me");
  auto t = tank::CrowdClock::now();
  EXPECT_EQ(crowd.total(2, t), 2u);
  crowd.heard({"a", 3}, t);
  crowd.heard({"b", 1}, t);
  crowd.heard({"me", 50}, t);  // its own announcement, come back through the channel
  EXPECT_EQ(crowd.total(2, t), 6u);
  crowd.heard({"a", 0}, t + 1s);  // a's viewers left
  EXPECT_EQ(crowd.total(2, t + 1s), 3u);
  // b died: it is forgotten once its last word is older than kCrowdFreshness.
  EXPECT_EQ(crowd.total(2, t + tank::kCrowdFreshness), 3u);
  EXPECT_EQ(crowd.total(2, t + tank::kCrowdFreshness + 1ms), 2u);
}

}  // namespace
