// What the event-loop watchdog reads: the heartbeat and the label of the request whose app code
// the loop last ran, written by the loop's thread and read from another.

#include "asgi/server/loop_activity.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>

using asgi::server::AppTurn;
using asgi::server::LoopActivity;

TEST(LoopActivity, LabelFollowsTheRequestHandedControl) {
  LoopActivity activity;
  EXPECT_EQ(activity.current_app(), "");
  EXPECT_EQ(activity.last_beat(), LoopActivity::Clock::time_point());  // not started
  int first = 0, second = 0;
  activity.note_app(&first, "GET", "/a", true);
  EXPECT_EQ(activity.current_app(), "GET /a");
  {
    AppTurn turn(activity, &second, "WebSocket", "/ws");
    EXPECT_EQ(activity.current_app(), "WebSocket /ws");
    activity.note_app(&first, "GET", "/a");  // another request ran meanwhile
  }
  EXPECT_EQ(activity.current_app(), "WebSocket /ws");  // the turn returns to its app
  // A new request at a finished one's address is still written when it starts.
  activity.note_app(&second, "POST", "/b", true);
  EXPECT_EQ(activity.current_app(), "POST /b");
  activity.note_app(&second, "GET", "/ignored");  // same owner: not rewritten
  EXPECT_EQ(activity.current_app(), "POST /b");
  activity.note_app(&first, "GET", "/" + std::string(500, 'x'), true);
  EXPECT_EQ(activity.current_app().size(), 200u);  // bounded
  activity.beat();
  EXPECT_GT(activity.last_beat(), LoopActivity::Clock::time_point());
}

TEST(LoopActivity, ReaderNeverSeesATornLabel) {
  LoopActivity activity;
  int a = 0, b = 0;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 20000; ++i)
      activity.note_app(i % 2 ? static_cast<void*>(&a) : static_cast<void*>(&b), "GET",
                        i % 2 ? "/aaaaaaaaaaaaaaaa" : "/bb", true);
    done = true;
  });
  while (!done) {
    std::string label = activity.current_app();
    EXPECT_TRUE(label.empty() || label == "GET /aaaaaaaaaaaaaaaa" || label == "GET /bb") << label;
  }
  writer.join();
}
