// RedisLinkState: what --broadcast-url logs about its two Redis connections. One line when the
// link is up, one when it is lost however many attempts fail, one when it is back.

#include <gtest/gtest.h>

#include "asgi/server/redis_link_state.hpp"

namespace {

using asgi::server::RedisLinkState;
using Link = RedisLinkState::Link;
using namespace std::chrono_literals;

TEST(RedisLinkState, UpOnceBothConnectionsAre) {
  RedisLinkState state("redis:6379/0");
  auto t = RedisLinkState::Clock::now();
  EXPECT_FALSE(state.up(Link::subscriber, t));
  auto line = state.up(Link::commands, t);
  ASSERT_TRUE(line);
  EXPECT_FALSE(line->warning);
  EXPECT_EQ(line->text, "Broadcasting through Redis at redis:6379/0");
  EXPECT_TRUE(state.commands_up());
}

TEST(RedisLinkState, AnOutageIsOneWarningAndOneLineWhenBack) {
  RedisLinkState state("redis:6379/0");
  auto t = RedisLinkState::Clock::now();
  state.up(Link::subscriber, t);
  state.up(Link::commands, t);
  auto lost = state.down(Link::subscriber, "Redis closed the connection", t);
  ASSERT_TRUE(lost);
  EXPECT_TRUE(lost->warning);
  EXPECT_NE(lost->text.find("Lost the connection to Redis at redis:6379/0 (Redis closed the "
                            "connection)"),
            std::string::npos);
  // The other connection, and every failed attempt after, add nothing.
  EXPECT_FALSE(state.down(Link::commands, "Connection reset by peer", t));
  for (int attempt = 0; attempt < 5; ++attempt)
    EXPECT_FALSE(state.down(Link::subscriber, "Connection refused", t + 1s));
  EXPECT_FALSE(state.commands_up());
  state.missed();
  state.missed();
  EXPECT_FALSE(state.up(Link::commands, t + 2s));  // half way back
  auto back = state.up(Link::subscriber, t + 2500ms);
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->warning);
  EXPECT_EQ(back->text,
            "Reconnected to Redis at redis:6379/0 after 2.5 s; 2 message(s) published meanwhile "
            "reached this process only");
  // A second outage is reported again.
  EXPECT_TRUE(state.down(Link::commands, "timed out", t + 10s));
}

TEST(RedisLinkState, NeverReachedIsSaidOnceWithTheReason) {
  RedisLinkState state("nowhere:6379/0");
  auto t = RedisLinkState::Clock::now();
  auto line = state.down(Link::subscriber, "Connection refused", t);
  ASSERT_TRUE(line);
  EXPECT_TRUE(line->warning);
  EXPECT_NE(line->text.find("Cannot reach Redis at nowhere:6379/0 (Connection refused)"),
            std::string::npos);
  EXPECT_FALSE(state.down(Link::commands, "Connection refused", t));
  EXPECT_FALSE(state.down(Link::subscriber, "Connection refused", t + 1s));
  state.missed();
  state.up(Link::subscriber, t + 2s);
  auto up = state.up(Link::commands, t + 2s);
  ASSERT_TRUE(up);
  EXPECT_EQ(up->text,
            "Broadcasting through Redis at nowhere:6379/0 (1 message(s) before that reached this "
            "process only)");
}

}  // namespace
