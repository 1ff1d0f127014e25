// Unit tests for the example apps (apps/), run in-process through support/app_harness.hpp.
//
// The crab store is process-wide, so tests that add crabs never assume the exact count: they
// pass whether the tests run in one process or one process per test (ctest).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "asgi/asgi.hpp"
#include "support/app_harness.hpp"

namespace {

using asgi::test::HttpRequestSpec;
using asgi::test::HttpResult;
using asgi::test::run_http;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

const asgi::App& app(std::string_view name) {
  const asgi::App* found = asgi::find_app(name);
  if (!found) throw std::runtime_error("app not registered: " + std::string(name));
  return *found;
}

Json json_body(const HttpResult& r) {
  EXPECT_EQ(r.header("content-type").value_or(""), "application/json");
  return Json::parse(r.body);
}

asgi::Scope scope_of_type(std::string type) {
  asgi::Scope scope = asgi::test::make_http_scope({});
  scope.type = std::move(type);
  return scope;
}

HttpRequestSpec post_json(std::string body, std::string content_type = "application/json") {
  HttpRequestSpec spec{.method = "POST", .path = "/crabs"};
  spec.headers.add("content-type", content_type);
  spec.body_chunks = {std::move(body)};
  return spec;
}

// ---- registry and scope types ----------------------------------------------------------------

TEST(Apps, AllExamplesAreRegistered) {
  std::vector<std::string> names = asgi::registered_apps();
  for (const char* name : {"hello", "echo", "inspect", "crab_app"})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
}

TEST(Apps, RejectScopeTypesTheyDoNotHandle) {
  // ASGI: an app raises for a scope it does not understand. crab_app alone speaks lifespan;
  // echo and inspect speak WebSocket (and crab_app only on /ws/tank).
  for (const char* name : {"hello", "crab_app"}) {
    EXPECT_THROW(
        asgi::test::run_app(app(name), scope_of_type("websocket"), {asgi::WebSocketConnect{}}),
        std::runtime_error)
        << name;
  }
  for (const char* name : {"hello", "echo", "inspect"}) {
    EXPECT_THROW(
        asgi::test::run_app(app(name), scope_of_type("lifespan"), {asgi::LifespanStartup{}}),
        std::runtime_error)
        << name;
  }
}

// ---- hello -----------------------------------------------------------------------------------

TEST(Hello, SendsExactlyTheBenchmarkResponse) {
  HttpResult r = run_http(app("hello"), {});
  ASSERT_EQ(r.messages.size(), 2u);  // one start, one final body: nothing else
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers, (asgi::Headers{{"content-type", "text/plain"}, {"content-length", "13"}}));
  const auto& body = std::get<asgi::HttpResponseBody>(r.messages[1]);
  EXPECT_EQ(body.body, "Hello, world!");
  EXPECT_FALSE(body.more_body);
  EXPECT_FALSE(std::get<asgi::HttpResponseStart>(r.messages[0]).trailers);
}

// ---- echo ------------------------------------------------------------------------------------

TEST(Echo, StreamsEachChunkBackAsItArrives) {
  HttpRequestSpec spec{.method = "POST", .path = "/echo"};
  spec.headers.add("content-type", "text/x-crab");
  spec.body_chunks = {"first ", "second ", "third"};
  HttpResult r = run_http(app("echo"), spec);

  ASSERT_EQ(r.messages.size(), 5u);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type").value_or(""), "text/x-crab");
  const char* chunks[] = {"first ", "second ", "third"};
  for (int i = 0; i < 3; ++i) {
    const auto& body = std::get<asgi::HttpResponseBody>(r.messages[i + 1]);
    EXPECT_EQ(body.body, chunks[i]);
    EXPECT_TRUE(body.more_body);
  }
  const auto& last = std::get<asgi::HttpResponseBody>(r.messages[4]);
  EXPECT_EQ(last.body, "");
  EXPECT_FALSE(last.more_body);

  // Streaming, not buffering: each chunk goes out before the next one is received.
  EXPECT_EQ(r.journal,
            (std::vector<std::string>{"receive http.request", "send http.response.start",
                                      "send http.response.body", "receive http.request",
                                      "send http.response.body", "receive http.request",
                                      "send http.response.body", "send http.response.body"}));
}

TEST(Echo, DefaultsToOctetStreamAndHandlesEmptyBody) {
  HttpResult r = run_http(app("echo"), {.method = "POST"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type").value_or(""), "application/octet-stream");
  EXPECT_EQ(r.body, "");
  EXPECT_TRUE(r.complete);
}

TEST(Echo, StopsWhenTheClientLeaves) {
  asgi::Scope scope = asgi::test::make_http_scope({.method = "POST"});
  auto sent = asgi::test::run_app(app("echo"), scope,
                                  {asgi::HttpRequest{"part", true}, asgi::HttpDisconnect{}});
  ASSERT_EQ(sent.size(), 2u);  // start + the one chunk, then it gives up quietly
  EXPECT_TRUE(std::get<asgi::HttpResponseBody>(sent[1]).more_body);
}

// ---- inspect ---------------------------------------------------------------------------------

TEST(Inspect, AnswersWithTheScopeAsJson) {
  HttpRequestSpec spec{.method = "PUT", .path = "/some/path", .query_string = "a=1&b=%20x"};
  spec.headers.add("x-test", "yes");
  spec.headers.add("x-latin", "caf\xe9");  // a raw byte 0xE9: latin-1 'é'
  spec.body_chunks = {"ignored ", "body"};
  HttpResult r = run_http(app("inspect"), spec);

  EXPECT_EQ(r.status, 200);
  Json scope = json_body(r);
  EXPECT_EQ(scope["type"], "http");
  EXPECT_EQ(scope["method"], "PUT");
  EXPECT_EQ(scope["path"], "/some/path");
  EXPECT_EQ(scope["query_string"], "a=1&b=%20x");
  EXPECT_EQ(scope["http_version"], "1.1");
  EXPECT_EQ(scope["asgi"]["version"], "3.0");
  EXPECT_EQ(scope["client"], Json::parse(R"(["127.0.0.1", 50000])"));
  EXPECT_EQ(scope["headers"], Json::parse(R"([["x-test", "yes"], ["x-latin", "caf\u00e9"]])"));
  // The whole body is read before answering.
  EXPECT_EQ(r.journal,
            (std::vector<std::string>{"receive http.request", "receive http.request",
                                      "send http.response.start", "send http.response.body"}));
}

// ---- crab_app: pages and crabs -----------------------------------------------------------------

TEST(CrabApp, ServesTheHomePage) {
  HttpResult r = run_http(app("crab_app"), {});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type").value_or(""), "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("<html"), std::string::npos);
  EXPECT_NE(r.body.find("href=\"/crabs\""), std::string::npos);
  EXPECT_NE(r.body.find("/slow"), std::string::npos);
  EXPECT_NE(r.body.find("/compute"), std::string::npos);
}

TEST(CrabApp, ListsTheSeedCrabs) {
  HttpResult r = run_http(app("crab_app"), {.path = "/crabs"});
  EXPECT_EQ(r.status, 200);
  Json crabs = json_body(r);
  ASSERT_TRUE(crabs.is_array());
  ASSERT_GE(crabs.size(), 5u);
  EXPECT_EQ(crabs[0]["id"], 1);
  for (const Json& crab : crabs) {
    EXPECT_TRUE(crab["id"].is_number_integer());
    for (const char* key : {"name", "species", "habitat", "fun_fact"})
      EXPECT_TRUE(crab[key].is_string()) << key;
  }
}

TEST(CrabApp, GetsOneCrab) {
  Json all = json_body(run_http(app("crab_app"), {.path = "/crabs"}));
  HttpResult r = run_http(app("crab_app"), {.path = "/crabs/2"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json_body(r), all[1]);
}

TEST(CrabApp, UnknownCrabsAndPathsAre404) {
  for (const char* path : {"/crabs/999999", "/crabs/abc", "/crabs/1x", "/crabs/-1",
                           "/crabs/99999999999999999999999"}) {
    HttpResult r = run_http(app("crab_app"), {.path = path});
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(json_body(r), Json({{"detail", "Crab not found"}})) << path;
  }
  for (const char* path : {"/lobsters", "/crabs/"}) {  // no such route ("/crabs/" is not "/crabs")
    HttpResult r = run_http(app("crab_app"), {.path = path});
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_TRUE(json_body(r)["detail"].is_string()) << path;
  }
}

TEST(CrabApp, CreatesACrabVisibleAfterwards) {
  HttpResult r = run_http(
      app("crab_app"),
      post_json(R"({"name": "Pinchy", "species": "Carcinus maenas", "habitat": "Rock pools"})",
                "Application/JSON; charset=utf-8"));
  ASSERT_EQ(r.status, 201) << r.body;
  Json created = json_body(r);
  ASSERT_TRUE(created["id"].is_number_integer());
  const int id = created["id"];
  EXPECT_EQ(created["name"], "Pinchy");
  EXPECT_EQ(created["species"], "Carcinus maenas");
  EXPECT_EQ(created["habitat"], "Rock pools");
  EXPECT_EQ(created["fun_fact"], "");
  EXPECT_EQ(r.header("location").value_or(""), "/crabs/" + std::to_string(id));

  Json all = json_body(run_http(app("crab_app"), {.path = "/crabs"}));
  EXPECT_NE(std::find(all.begin(), all.end(), created), all.end());
  EXPECT_EQ(json_body(run_http(app("crab_app"), {.path = "/crabs/" + std::to_string(id)})),
            created);
}

TEST(CrabApp, CreatesSafelyFromManyThreads) {
  // The server may run several event loops; each thread here is one. Every crab must get its own
  // id and none may be lost (run under -fsanitize=thread to check the locking itself).
  constexpr int kThreads = 4, kPerThread = 25;
  std::vector<std::vector<int>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &ids] {
      for (int i = 0; i < kPerThread; ++i) {
        HttpResult r = run_http(app("crab_app"), post_json(R"({"name": "N", "species": "S"})"));
        if (r.status == 201) ids[t].push_back(Json::parse(r.body)["id"].get<int>());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<int> unique;
  for (const auto& list : ids) unique.insert(list.begin(), list.end());
  EXPECT_EQ(unique.size(), std::size_t{kThreads * kPerThread});
  Json all = json_body(run_http(app("crab_app"), {.path = "/crabs"}));
  for (int id : unique)
    EXPECT_EQ(std::count_if(all.begin(), all.end(), [id](const Json& c) { return c["id"] == id; }),
              1);
}

TEST(CrabApp, CreateNeedsJsonContentType) {
  for (const char* type : {"text/plain", "application/jsonp", ""}) {
    HttpResult r = run_http(app("crab_app"), post_json(R"({"name": "a", "species": "b"})", type));
    EXPECT_EQ(r.status, 415) << type;
    EXPECT_TRUE(json_body(r)["detail"].is_string());
  }
  HttpRequestSpec no_header{.method = "POST", .path = "/crabs", .body_chunks = {"{}"}};
  EXPECT_EQ(run_http(app("crab_app"), no_header).status, 415);
}

TEST(CrabApp, CreateRejectsInvalidCrabsWith422) {
  for (const char* body : {
           R"({"name": "Pinchy", "species": )",                   // not JSON
           R"({"species": "Carcinus maenas"})",                   // name missing
           R"({"name": 7, "species": "Carcinus maenas"})",        // name not a string
           R"({"name": "Pinchy"})",                               // species missing
           R"({"name": "", "species": "Carcinus maenas"})",       // name empty
           R"({"name": "P", "species": "C", "habitat": ["x"]})",  // habitat not a string
           R"(["Pinchy", "Carcinus maenas"])",                    // not an object
           "",                                                    // empty
       }) {
    HttpResult r = run_http(app("crab_app"), post_json(body));
    EXPECT_EQ(r.status, 422) << body;
    EXPECT_TRUE(json_body(r)["detail"].is_string()) << body;
  }
}

TEST(CrabApp, CreateCapsTheBodyAt64KiB) {
  // Exactly 64 KiB is accepted...
  std::string name(65536 - std::string(R"({"name": "", "species": "x"})").size(), 'n');
  std::string body = R"({"name": ")" + name + R"(", "species": "x"})";
  ASSERT_EQ(body.size(), 65536u);
  HttpRequestSpec spec = post_json("");
  spec.body_chunks = {body.substr(0, 40000), body.substr(40000)};
  EXPECT_EQ(run_http(app("crab_app"), spec).status, 201);
  // ...one byte more is not.
  spec.body_chunks = {body.substr(0, 40000), body.substr(40000) + " "};
  HttpResult r = run_http(app("crab_app"), spec);
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(json_body(r)["detail"].is_string());
}

TEST(CrabApp, WrongMethodIs405WithAllow) {
  HttpResult r = run_http(app("crab_app"), {.method = "DELETE", .path = "/crabs"});
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow").value_or(""), "GET, HEAD, POST");
  EXPECT_TRUE(json_body(r)["detail"].is_string());

  for (const char* path : {"/", "/crabs/1", "/slow", "/compute"}) {
    HttpResult other = run_http(app("crab_app"), {.method = "POST", .path = path});
    EXPECT_EQ(other.status, 405) << path;
    EXPECT_EQ(other.header("allow").value_or(""), "GET, HEAD") << path;
  }
  EXPECT_EQ(run_http(app("crab_app"), {.method = "HEAD", .path = "/crabs"}).status, 200);
}

TEST(CrabApp, RoutesBelowTheRootPath) {
  HttpResult r = run_http(app("crab_app"), {.path = "/api/crabs/1", .root_path = "/api"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json_body(r)["id"], 1);
}

TEST(CrabApp, SupportsLifespan) {
  auto sent = asgi::test::run_app(app("crab_app"), scope_of_type("lifespan"),
                                  {asgi::LifespanStartup{}, asgi::LifespanShutdown{}});
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<asgi::LifespanStartupComplete>(sent[0]));
  EXPECT_TRUE(std::holds_alternative<asgi::LifespanShutdownComplete>(sent[1]));
}

// ---- crab_app: /compute ----------------------------------------------------------------------

// Convention: `digits` counts significant digits including the leading 3, truncated.
std::string pi_of(const std::string& query) {
  HttpResult r = run_http(app("crab_app"), {.path = "/compute", .query_string = query});
  EXPECT_EQ(r.status, 200) << query << ": " << r.body;
  return json_body(r)["pi"];
}

TEST(CrabApp, ComputesDigitsOfPi) {
  HttpResult r = run_http(app("crab_app"), {.path = "/compute", .query_string = "digits=10"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json_body(r), Json({{"digits", 10}, {"pi", "3.141592653"}}));

  EXPECT_EQ(pi_of("digits=1"), "3");
  EXPECT_EQ(pi_of("digits=2"), "3.1");
  EXPECT_EQ(pi_of("digits=0"), "3");  // clamped to 1
  // 775 digits run past the six 9s of the Feynman point (decimals 762-767), where a rounding
  // or carry mistake would show.
  std::string pi = pi_of("digits=775");
  EXPECT_EQ(pi.substr(0, 52), "3.14159265358979323846264338327950288419716939937510");
  EXPECT_EQ(pi.substr(pi.size() - 15), "349999998372978");
  EXPECT_EQ(pi_of("").size(), 1001u);  // default: 1000 digits
}

TEST(CrabApp, ComputeClampsTo20000Digits) {
  std::string pi = pi_of("digits=99999");
  ASSERT_EQ(pi.size(), 20001u);
  // The last 30 of the first 20000 digits, from an independent Machin computation in Python.
  EXPECT_EQ(pi.substr(pi.size() - 30), "166909109418074487814049075517");
}

TEST(CrabApp, ComputeRejectsNonIntegers) {
  for (const char* query : {"digits=abc", "digits=1.5", "digits=", "digits=99999999999999999"}) {
    HttpResult r = run_http(app("crab_app"), {.path = "/compute", .query_string = query});
    EXPECT_EQ(r.status, 422) << query;
  }
}

TEST(CrabApp, ComputeDoesNotBlockTheEventLoop) {
  // A long computation and a quick request, started together on one single-threaded loop: the
  // quick one must finish first. Were pi computed on the loop, it would have to wait.
  auto results = asgi::test::run_http_concurrently(
      app("crab_app"), {{.path = "/compute", .query_string = "digits=6000"}, {.path = "/crabs/1"}});
  EXPECT_EQ(results[0].status, 200);
  EXPECT_EQ(results[1].status, 200);
  EXPECT_LT(results[1].finished, results[0].finished);
}

// ---- crab_app: /slow -------------------------------------------------------------------------

TEST(CrabApp, SlowSleepsTheRequestedTime) {
  Clock::time_point start = Clock::now();
  HttpResult r = run_http(app("crab_app"), {.path = "/slow", .query_string = "seconds=0%2E05"});
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(50));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json_body(r), Json({{"slept", 0.05}}));

  EXPECT_EQ(json_body(run_http(app("crab_app"), {.path = "/slow", .query_string = "seconds=-3"})),
            Json({{"slept", 0.0}}));
  for (const char* query : {"seconds=soon", "seconds=nan", "seconds=inf", "seconds=1s"}) {
    HttpResult bad = run_http(app("crab_app"), {.path = "/slow", .query_string = query});
    EXPECT_EQ(bad.status, 422) << query;
  }
}

TEST(CrabApp, SlowRequestsWaitConcurrently) {
  // 50 requests of 0.2 s each on one thread: about 0.2 s in total, not 10 s.
  std::vector<HttpRequestSpec> specs(50, {.path = "/slow", .query_string = "seconds=0.2"});
  Clock::time_point start = Clock::now();
  auto results = asgi::test::run_http_concurrently(app("crab_app"), specs);
  auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(200));
  EXPECT_LT(elapsed, std::chrono::seconds(2));
  for (const HttpResult& r : results) EXPECT_EQ(r.status, 200);
}

}  // namespace
