// --access-log-format: every Gunicorn atom renders as documented, missing values are "-", client
// input cannot forge a line, and a bad format is refused with the atom named.

#include "asgi/protocol/access_log_format.hpp"

#include <gtest/gtest.h>

#include <map>

using asgi::protocol::AccessLogFormat;
using asgi::protocol::AccessRecord;

namespace {

std::string render(std::string_view format, const AccessRecord& record) {
  std::string error;
  std::optional<AccessLogFormat> parsed = AccessLogFormat::parse(format, error);
  EXPECT_TRUE(parsed) << error;
  return parsed ? parsed->render(record) : "";
}

AccessRecord sample() {
  static const std::map<std::string, std::string, std::less<>> request{
      {"user-agent", "curl/8.0"}, {"referer", "https://crabs.example/"}, {"x-id", "abc"}};
  static const std::map<std::string, std::string, std::less<>> response{
      {"content-type", "text/plain"}};
  AccessRecord r;
  r.client = "203.0.113.7:5123";
  r.method = "GET";
  r.target = "/crabs/1?x=1&y=2";
  r.version = "1.1";
  r.status = 404;
  r.body_bytes = 1234;
  r.duration = std::chrono::microseconds(2345678);
  r.time = std::chrono::system_clock::from_time_t(1764772496);  // 2025-12-03 14:34:56 UTC
  r.process_id = 42;
  auto lookup = [](const auto& map) {
    return [&map](std::string_view name) -> std::optional<std::string> {
      auto found = map.find(name);
      if (found == map.end()) return std::nullopt;
      return found->second;
    };
  };
  r.request_header = lookup(request);
  r.response_header = lookup(response);
  return r;
}

}  // namespace

TEST(AccessLogFormat, EveryAtom) {
  AccessRecord r = sample();
  EXPECT_EQ(render("%(h)s", r), "203.0.113.7");
  EXPECT_EQ(render("%(l)s %(u)s", r), "- -");
  EXPECT_EQ(render("%(t)s", r), "[03/Dec/2025:14:34:56 +0000]");
  EXPECT_EQ(render("%(r)s", r), "GET /crabs/1?x=1&y=2 HTTP/1.1");
  EXPECT_EQ(render("%(m)s %(U)s %(q)s %(H)s", r), "GET /crabs/1 x=1&y=2 HTTP/1.1");
  EXPECT_EQ(render("%(s)s %(b)s %(B)s", r), "404 1234 1234");
  EXPECT_EQ(render("%(f)s | %(a)s", r), "https://crabs.example/ | curl/8.0");
  EXPECT_EQ(render("%(T)s %(D)s %(M)s %(L)s", r), "2 2345678 2345 2.345678");
  EXPECT_EQ(render("%(p)s", r), "42");
  EXPECT_EQ(render("%({X-Id}i)s %({content-type}o)s", r), "abc text/plain");
  EXPECT_EQ(render("100%% %(s)s", r), "100% 404");
  EXPECT_EQ(render("%(h)s - \"%(r)s\" %(s)s", r),
            "203.0.113.7 - \"GET /crabs/1?x=1&y=2 HTTP/1.1\" 404");
}

TEST(AccessLogFormat, MissingValuesAreDashes) {
  AccessRecord r = sample();
  r.client = "";
  r.body_bytes = 0;
  r.target = "/";
  r.request_header = nullptr;
  EXPECT_EQ(render("%(h)s %(b)s %(B)s [%(q)s] %(a)s %({x-none}i)s %({x-none}o)s", r),
            "- - 0 [] - - -");
  r.client = "[::1]:80";
  EXPECT_EQ(render("%(h)s", r), "::1");
}

TEST(AccessLogFormat, ClientInputCannotForgeALine) {
  AccessRecord r = sample();
  r.target = "/a\"b\\c\r\nINFO: forged";
  static const std::map<std::string, std::string, std::less<>> evil{
      {"user-agent", "x\"\n\x1b[31m"}};
  r.request_header = [](std::string_view name) -> std::optional<std::string> {
    auto found = evil.find(name);
    return found == evil.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
  EXPECT_EQ(render("%(U)s %(a)s", r), "/a\\\"b\\\\c\\x0d\\x0aINFO: forged x\\\"\\x0a\\x1b[31m");
}

TEST(AccessLogFormat, HeadersItNeeds) {
  std::string error;
  auto format =
      AccessLogFormat::parse("%(a)s %(f)s %({X-Request-Id}i)s %({Server}o)s %(a)s", error);
  ASSERT_TRUE(format) << error;
  EXPECT_EQ(format->request_headers(),
            (std::vector<std::string>{"user-agent", "referer", "x-request-id"}));
  EXPECT_EQ(format->response_headers(), (std::vector<std::string>{"server"}));
}

TEST(AccessLogFormat, BadFormatsNameTheProblem) {
  for (std::string_view bad : {"%(x)s", "%(hh)s", "%h", "%(h)", "50% off", "%({}i)s", "%({a}x)s"}) {
    std::string error;
    EXPECT_FALSE(AccessLogFormat::parse(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  std::string error;
  AccessLogFormat::parse("ok %(zz)s", error);
  EXPECT_EQ(error, "%(zz)s is not an access-log atom");
}
