// The one table that turns an app's ending into what goes on the wire, for HTTP and WebSocket.

#include "asgi/protocol/app_ending.hpp"

#include <gtest/gtest.h>

namespace {

using asgi::protocol::AppExit;
using asgi::protocol::http_app_ending;
using asgi::protocol::ResponseProgress;
using asgi::protocol::websocket_app_ending;

TEST(HttpAppEnding, CompleteResponseKeepsTheConnection) {
  auto ending = http_app_ending(AppExit::returned,
                                {.started = true, .head_rendered = true, .complete = true});
  EXPECT_EQ(ending.http_status, 0);
  EXPECT_FALSE(ending.close_connection);
  EXPECT_TRUE(ending.problem.empty());
}

TEST(HttpAppEnding, RaisedBeforeTheHeadIs500) {
  for (bool started : {false, true}) {
    auto ending = http_app_ending(AppExit::raised, {.started = started});
    EXPECT_EQ(ending.http_status, 500);
    EXPECT_TRUE(ending.close_connection);
    EXPECT_TRUE(ending.problem.empty());  // the exception is logged with its own text
  }
}

TEST(HttpAppEnding, RaisedAfterTheHeadClosesWithoutAnotherResponse) {
  auto ending = http_app_ending(AppExit::raised, {.started = true, .head_rendered = true});
  EXPECT_EQ(ending.http_status, 0);
  EXPECT_TRUE(ending.close_connection);
}

TEST(HttpAppEnding, ReturningEarlyIsLoggedAndAnswered) {
  auto no_start = http_app_ending(AppExit::returned, {});
  EXPECT_EQ(no_start.http_status, 500);
  EXPECT_EQ(no_start.problem, "ASGI callable returned without starting response.");
  auto unfinished = http_app_ending(AppExit::returned, {.started = true, .head_rendered = true});
  EXPECT_EQ(unfinished.http_status, 0);
  EXPECT_TRUE(unfinished.close_connection);
  EXPECT_EQ(unfinished.problem, "ASGI callable returned without completing response.");
}

TEST(HttpAppEnding, RequestErrorIsAnsweredWithItsOwnStatusAndNoAppProblem) {
  auto ending = http_app_ending(AppExit::returned, {.request_error = 408});
  EXPECT_EQ(ending.http_status, 408);
  EXPECT_TRUE(ending.close_connection);
  EXPECT_TRUE(ending.problem.empty());
}

TEST(HttpAppEnding, GoneClientGetsNothing) {
  auto ending = http_app_ending(AppExit::client_gone, {.started = true});
  EXPECT_EQ(ending.http_status, 0);
  EXPECT_TRUE(ending.close_connection);
  EXPECT_TRUE(ending.problem.empty());
}

TEST(WebSocketAppEnding, UnansweredHandshake) {
  EXPECT_EQ(websocket_app_ending(AppExit::raised, {}).http_status, 500);
  auto returned = websocket_app_ending(AppExit::returned, {});
  EXPECT_EQ(returned.http_status, 403);
  EXPECT_EQ(returned.problem, "ASGI callable returned without completing handshake.");
}

TEST(WebSocketAppEnding, OpenSocketIsClosedWith1011Or1000) {
  EXPECT_EQ(websocket_app_ending(AppExit::raised, {.accepted = true}).close_code, 1011);
  EXPECT_EQ(websocket_app_ending(AppExit::returned, {.accepted = true}).close_code, 1000);
  EXPECT_EQ(websocket_app_ending(AppExit::returned, {.accepted = true}).http_status, 0);
}

TEST(WebSocketAppEnding, ClosedOrDeniedOrGoneNeedsNothingMore) {
  for (AppExit exit : {AppExit::returned, AppExit::raised}) {
    auto closed = websocket_app_ending(exit, {.complete = true, .accepted = true});
    EXPECT_EQ(closed.close_code, 0);
    EXPECT_EQ(closed.http_status, 0);
    auto denied = websocket_app_ending(exit, {.denied = true});
    EXPECT_EQ(denied.close_code, 0);
    EXPECT_EQ(denied.http_status, 0);
  }
  auto gone = websocket_app_ending(AppExit::client_gone, {.accepted = true});
  EXPECT_EQ(gone.close_code, 0);
  EXPECT_EQ(gone.http_status, 0);
}

}  // namespace
