// Named Broadcaster channels and Leases, with a broker installed by hand (what --broadcast-url
// does with Redis): which subscribers a publish reaches in the process, what goes to the broker,
// what comes back from it, and what a Lease concludes from the broker's answers.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <string>
#include <utility>
#include <vector>

#include "asgi/broadcast.hpp"
#include "asgi/broker.hpp"
#include "asgi/lease.hpp"

namespace {

namespace net = boost::asio;

class FakeBroker : public asgi::Broker {
 public:
  void publish(std::string_view channel, std::string_view message) override {
    published.emplace_back(channel, message);
  }
  net::awaitable<std::optional<bool>> hold_lease(std::string name, std::string token,
                                                 std::chrono::milliseconds ttl) override {
    holds.push_back({std::move(name), std::move(token), ttl});
    co_return answer;
  }
  net::awaitable<void> release_lease(std::string name, std::string token) override {
    releases.emplace_back(std::move(name), std::move(token));
    co_return;
  }

  struct Hold {
    std::string name, token;
    std::chrono::milliseconds ttl;
  };
  std::vector<std::pair<std::string, std::string>> published;
  std::vector<Hold> holds;
  std::vector<std::pair<std::string, std::string>> releases;
  std::optional<bool> answer = true;
};

// Installs a FakeBroker for one test, and removes it after.
class BrokerTest : public ::testing::Test {
 protected:
  void SetUp() override { asgi::install_broker(broker); }
  void TearDown() override { asgi::install_broker(nullptr); }

  // Everything queued in `inbox` once the loop has run the deliveries.
  std::vector<std::string> queued(asgi::Broadcaster::Subscription& inbox) {
    context.restart();
    context.poll();
    std::vector<std::string> got;
    while (std::optional<std::string> message = inbox.try_next()) got.push_back(*message);
    return got;
  }

  template <class T>
  T run(net::awaitable<T> work) {
    std::future<T> result = net::co_spawn(context, std::move(work), net::use_future);
    context.restart();
    context.run();
    return result.get();
  }

  net::io_context context;
  std::shared_ptr<FakeBroker> broker = std::make_shared<FakeBroker>();
};

using Strings = std::vector<std::string>;

TEST_F(BrokerTest, AChannelReachesEveryBroadcasterOfThatNameInTheProcess) {
  asgi::Broadcaster first("room/a"), second("room/a"), other("room/b");
  auto one = first.subscribe(context.get_executor());
  auto two = second.subscribe(context.get_executor());
  auto three = other.subscribe(context.get_executor());
  first.publish("hello");
  EXPECT_EQ(queued(*one), Strings{"hello"});
  EXPECT_EQ(queued(*two), Strings{"hello"});
  EXPECT_EQ(queued(*three), Strings{});
  EXPECT_EQ(first.subscriber_count(), 2u);
}

TEST_F(BrokerTest, NamedPublishesGoToTheBrokerAndUnnamedOnesDoNot) {
  asgi::Broadcaster named("room/a"), unnamed;
  named.publish("to everyone");
  unnamed.publish("to this process");
  run(named.publish_and_wait("waited"));
  ASSERT_EQ(broker->published.size(), 2u);
  EXPECT_EQ(broker->published[0],
            std::make_pair(std::string("room/a"), std::string("to everyone")));
  EXPECT_EQ(broker->published[1].second, "waited");
}

TEST_F(BrokerTest, UnnamedBroadcastersShareNothing) {
  asgi::Broadcaster first, second;
  auto one = first.subscribe(context.get_executor());
  auto two = second.subscribe(context.get_executor());
  first.publish("only mine");
  EXPECT_EQ(queued(*one), Strings{"only mine"});
  EXPECT_EQ(queued(*two), Strings{});
}

TEST_F(BrokerTest, MessagesFromTheBrokerReachLocalSubscribersAndAreNotSentBack) {
  asgi::Broadcaster first("room/a"), second("room/a");
  auto one = first.subscribe(context.get_executor());
  auto two = second.subscribe(context.get_executor());
  asgi::deliver_from_broker("room/a", "from afar");
  asgi::deliver_from_broker("room/zzz", "nobody listens");
  EXPECT_EQ(queued(*one), Strings{"from afar"});
  EXPECT_EQ(queued(*two), Strings{"from afar"});
  EXPECT_TRUE(broker->published.empty());
}

TEST_F(BrokerTest, ADestroyedBroadcasterLeavesItsChannel) {
  auto staying = std::make_unique<asgi::Broadcaster>("room/a");
  auto inbox = staying->subscribe(context.get_executor());
  {
    asgi::Broadcaster leaving("room/a");
    auto gone = leaving.subscribe(context.get_executor());
  }
  asgi::deliver_from_broker("room/a", "still here");
  EXPECT_EQ(queued(*inbox), Strings{"still here"});
  staying.reset();
  asgi::deliver_from_broker("room/a", "to nobody");  // must not touch the destroyed object
}

TEST_F(BrokerTest, TryNextTakesWhatIsQueuedWithoutWaiting) {
  asgi::Broadcaster hub("room/a");
  auto inbox = hub.subscribe(context.get_executor());
  EXPECT_EQ(inbox->try_next(), std::nullopt);
  hub.publish("1");
  hub.publish("2");
  context.poll();
  EXPECT_EQ(inbox->try_next(), "1");
  EXPECT_EQ(inbox->try_next(), "2");
  EXPECT_EQ(inbox->try_next(), std::nullopt);
}

TEST_F(BrokerTest, ALeaseIsHeldAsTheBrokerSays) {
  asgi::Lease lease("job", std::chrono::milliseconds(1500));
  EXPECT_TRUE(run(lease.hold()));
  broker->answer = false;  // another process holds it
  EXPECT_FALSE(run(lease.hold()));
  EXPECT_FALSE(lease.held());
  broker->answer = std::nullopt;  // the broker cannot tell: carry on alone
  EXPECT_TRUE(run(lease.hold()));
  ASSERT_EQ(broker->holds.size(), 3u);
  EXPECT_EQ(broker->holds[0].name, "job");
  EXPECT_EQ(broker->holds[0].ttl, std::chrono::milliseconds(1500));
  EXPECT_EQ(broker->holds[0].token, broker->holds[2].token) << "one object, one token";
  asgi::Lease other("job", std::chrono::milliseconds(1500));
  run(other.hold());
  EXPECT_NE(broker->holds[3].token, broker->holds[0].token) << "two objects, two tokens";
}

TEST_F(BrokerTest, ReleaseAsksTheBrokerOnlyWhenHeld) {
  asgi::Lease lease("job", std::chrono::milliseconds(1000));
  broker->answer = false;
  run(lease.hold());
  run(lease.release());
  EXPECT_TRUE(broker->releases.empty());
  broker->answer = true;
  run(lease.hold());
  run(lease.release());
  ASSERT_EQ(broker->releases.size(), 1u);
  EXPECT_EQ(broker->releases[0].first, "job");
  EXPECT_FALSE(lease.held());
}

TEST(LeaseWithoutBroker, AProcessAloneAlwaysHoldsIt) {
  asgi::install_broker(nullptr);
  net::io_context context;
  asgi::Lease lease("job", std::chrono::milliseconds(100));
  std::future<bool> held = net::co_spawn(context, lease.hold(), net::use_future);
  context.run();
  EXPECT_TRUE(held.get());
}

}  // namespace
