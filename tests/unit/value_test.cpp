// Scope/event/message <-> generic ASGI dict conversions.

#include <gtest/gtest.h>

#include "asgi/errors.hpp"
#include "asgi/events.hpp"
#include "asgi/scope.hpp"

using namespace asgi;

TEST(Value, RejectsNonFiniteFloats) {
  EXPECT_THROW(Value{std::numeric_limits<double>::quiet_NaN()}, ProtocolError);
  EXPECT_THROW(Value{std::numeric_limits<double>::infinity()}, ProtocolError);
  EXPECT_NO_THROW(Value(1.5));
}

TEST(Value, JsonRendering) {
  Value v = Dict{{"b", Bytes{"\xff"}}, {"l", List{1, true, nullptr, "x\"y"}}};
  EXPECT_EQ(v.to_json(), R"({"b": "\u00ff", "l": [1, true, null, "x\"y"]})");
}

TEST(Messages, RoundTripThroughDicts) {
  HttpResponseStart start;
  start.status = 201;
  start.headers.add("content-type", "application/json");
  Message messages[] = {start,
                        HttpResponseBody{"abc", true},
                        WebSocketClose{4000, "bye"},
                        WebSocketSend{std::nullopt, std::string("hi")},
                        LifespanStartupFailed{"boom"},
                        HttpResponsePathsend{"/srv/a.txt"}};
  for (const Message& m : messages) {
    Value v = to_value(m);
    EXPECT_EQ(v.find("type")->as<std::string>(), type_of(m));
    EXPECT_EQ(to_value(message_from_value(v)), v);
  }
}

TEST(Messages, DefaultsFollowAsgi) {
  Message m = message_from_value(Dict{{"type", "http.response.body"}});
  auto& body = std::get<HttpResponseBody>(m);
  EXPECT_EQ(body.body, "");
  EXPECT_FALSE(body.more_body);
  auto close = std::get<WebSocketClose>(message_from_value(Dict{{"type", "websocket.close"}}));
  EXPECT_EQ(close.code, 1000);
  auto start = std::get<HttpResponseStart>(
      message_from_value(Dict{{"type", "http.response.start"}, {"status", 204}, {"extra", 1}}));
  EXPECT_EQ(start.status, 204);  // unknown keys are ignored
}

TEST(Messages, InvalidDictsAreRejected) {
  EXPECT_THROW(message_from_value(Dict{{"type", "http.response.nope"}}), ProtocolError);
  EXPECT_THROW(message_from_value(Dict{{"type", "http.response.start"}}), ProtocolError);  // status
  EXPECT_THROW(message_from_value(Dict{{"type", "http.response.body"}, {"body", "str"}}),
               ProtocolError);  // body must be bytes
  EXPECT_THROW(
      message_from_value(Dict{
          {"type", "http.response.start"}, {"status", 200}, {"headers", List{List{"str", "str"}}}}),
      ProtocolError);  // header names must be bytes
  EXPECT_THROW(message_from_value(Value(42)), ProtocolError);
  EXPECT_THROW(message_from_value(Dict{{"type", "http.response.pathsend"}}), ProtocolError);
  EXPECT_THROW(message_from_value(Dict{{"type", "http.response.pathsend"}, {"path", Bytes{"/a"}}}),
               ProtocolError);  // path is a str
}

TEST(Events, RoundTrip) {
  Event events[] = {HttpRequest{"body", true},
                    HttpDisconnect{},
                    WebSocketConnect{},
                    WebSocketReceive{std::string("\x01\x02"), std::nullopt},
                    WebSocketDisconnect{1006, ""},
                    LifespanStartup{}};
  for (const Event& e : events) EXPECT_EQ(to_value(event_from_value(to_value(e))), to_value(e));
}
