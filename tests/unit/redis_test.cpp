// The I/O-free side of --broadcast-url: the URL, RESP replies split at every byte, commands,
// the envelope that tells a process its own messages, the reconnect schedule.

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "asgi/protocol/redis.hpp"

namespace {

namespace redis = asgi::protocol::redis;
using Kind = redis::Reply::Kind;
using namespace std::string_literals;

std::optional<redis::Url> url_of(std::string_view text) {
  std::string problem;
  return redis::parse_url(text, problem);
}

std::string problem_of(std::string_view text) {
  std::string problem;
  EXPECT_FALSE(redis::parse_url(text, problem)) << text;
  return problem;
}

TEST(RedisUrl, HostPortAndDatabase) {
  auto url = url_of("redis://cache.internal:6380/2");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "cache.internal");
  EXPECT_EQ(url->port, 6380);
  EXPECT_EQ(url->db, 2);
  EXPECT_TRUE(url->password.empty());
  EXPECT_EQ(redis::describe(*url), "cache.internal:6380/2");
}

TEST(RedisUrl, DefaultsArePort6379AndDatabase0) {
  auto url = url_of("redis://localhost");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->port, 6379);
  EXPECT_EQ(url->db, 0);
  EXPECT_EQ(url_of("redis://localhost/")->db, 0);
}

TEST(RedisUrl, CredentialsAreReadAndNeverDescribed) {
  auto alone = url_of("redis://s3cret@db:7000");
  ASSERT_TRUE(alone);
  EXPECT_EQ(alone->password, "s3cret");
  EXPECT_TRUE(alone->username.empty());
  auto both = url_of("redis://app:p@ss:word@db/1");  // the last @ ends the credentials
  ASSERT_TRUE(both);
  EXPECT_EQ(both->username, "app");
  EXPECT_EQ(both->password, "p@ss:word");
  EXPECT_EQ(both->host, "db");
  auto password_only = url_of("redis://:pw@db");
  ASSERT_TRUE(password_only);
  EXPECT_EQ(password_only->password, "pw");
  EXPECT_TRUE(password_only->username.empty());
  EXPECT_EQ(redis::describe(*both).find("word"), std::string::npos);
}

TEST(RedisUrl, BracketedIpv6) {
  auto url = url_of("redis://[::1]:6390/3");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 6390);
  EXPECT_EQ(redis::describe(*url), "[::1]:6390/3");
}

TEST(RedisUrl, WhatIsWrongIsSaid) {
  EXPECT_NE(problem_of("http://localhost").find("redis://"), std::string::npos);
  EXPECT_NE(problem_of("redis://").find("host"), std::string::npos);
  EXPECT_NE(problem_of("redis://:6379").find("host"), std::string::npos);
  EXPECT_NE(problem_of("redis://h:0").find("port"), std::string::npos);
  EXPECT_NE(problem_of("redis://h:65536").find("port"), std::string::npos);
  EXPECT_NE(problem_of("redis://h:12ab").find("port"), std::string::npos);
  EXPECT_NE(problem_of("redis://h/-1").find("database"), std::string::npos);
  EXPECT_NE(problem_of("redis://h/one").find("database"), std::string::npos);
  EXPECT_NE(problem_of("redis://[::1:6379").find("unclosed"), std::string::npos);
  EXPECT_NE(problem_of("redis://[::1]6379").find("PORT"), std::string::npos);
}

// A pub/sub push, an integer, an error, a nil bulk string, a status and an empty string.
const std::string kStream =
    "*4\r\n$8\r\npmessage\r\n$12\r\nasgiserver:*\r\n$14\r\nasgiserver:a/b\r\n$7\r\nx\r\ny\nz!\r\n"
    ":1\r\n-ERR wrong\r\n$-1\r\n+OK\r\n$0\r\n\r\n";

void expect_stream(const std::vector<redis::Reply>& replies) {
  ASSERT_EQ(replies.size(), 6u);
  ASSERT_EQ(replies[0].kind, Kind::array);
  ASSERT_EQ(replies[0].elements.size(), 4u);
  EXPECT_EQ(replies[0].elements[0].text, "pmessage");
  EXPECT_EQ(replies[0].elements[2].text, "asgiserver:a/b");
  EXPECT_EQ(replies[0].elements[3].text, "x\r\ny\nz!");  // binary-safe
  EXPECT_EQ(replies[1].kind, Kind::integer);
  EXPECT_EQ(replies[1].integer, 1);
  EXPECT_EQ(replies[2].kind, Kind::error);
  EXPECT_EQ(replies[2].text, "ERR wrong");
  EXPECT_EQ(replies[3].kind, Kind::nil);
  EXPECT_EQ(replies[4].kind, Kind::status);
  EXPECT_EQ(replies[4].text, "OK");
  EXPECT_EQ(replies[5].kind, Kind::string);
  EXPECT_EQ(replies[5].text, "");
}

TEST(RedisReplyReader, EveryTwoWaySplitGivesTheSameReplies) {
  for (std::size_t cut = 0; cut <= kStream.size(); ++cut) {
    redis::ReplyReader reader;
    std::vector<redis::Reply> replies;
    for (std::string_view piece :
         {std::string_view(kStream).substr(0, cut), std::string_view(kStream).substr(cut)}) {
      reader.feed(piece);
      while (auto reply = reader.next()) replies.push_back(std::move(*reply));
    }
    SCOPED_TRACE(cut);
    expect_stream(replies);
  }
}

TEST(RedisReplyReader, ByteByByte) {
  redis::ReplyReader reader;
  std::vector<redis::Reply> replies;
  for (char byte : kStream) {
    reader.feed(std::string_view(&byte, 1));
    while (auto reply = reader.next()) replies.push_back(std::move(*reply));
  }
  expect_stream(replies);
}

TEST(RedisReplyReader, BytesThatAreNotRespThrow) {
  redis::ReplyReader reader;
  reader.feed("HTTP/1.1 400 Bad Request\r\n");
  EXPECT_THROW(reader.next(), std::runtime_error);
}

TEST(RedisCommand, IsARespArrayOfBulkStrings) {
  EXPECT_EQ(redis::command({"PUBLISH", "asgiserver:a", std::string_view("x\0y", 3)}),
            "*3\r\n$7\r\nPUBLISH\r\n$12\r\nasgiserver:a\r\n$3\r\nx\0y\r\n"s);
  EXPECT_EQ(redis::command({"PING"}), "*1\r\n$4\r\nPING\r\n");
}

TEST(RedisEnvelope, CarriesTheOriginAndTheMessageWhole) {
  std::string payload = redis::wrap("abc123", "line one\nline two");
  auto envelope = redis::unwrap(payload);
  ASSERT_TRUE(envelope);
  EXPECT_EQ(envelope->origin, "abc123");
  EXPECT_EQ(envelope->message, "line one\nline two");
  auto empty = redis::unwrap(redis::wrap("abc123", ""));
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->message, "");
}

TEST(RedisEnvelope, ForeignPayloadsAreRejected) {
  EXPECT_FALSE(redis::unwrap("no newline at all"));
  EXPECT_FALSE(redis::unwrap("\nno origin"));
}

TEST(RedisBackoff, DoublesFrom100msUpTo5s) {
  std::vector<long> delays;
  for (unsigned attempt = 0; attempt < 9; ++attempt)
    delays.push_back(static_cast<long>(redis::backoff_delay(attempt).count()));
  EXPECT_EQ(delays, (std::vector<long>{100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000}));
  EXPECT_EQ(redis::backoff_delay(1000).count(), 5000);
}

}  // namespace
