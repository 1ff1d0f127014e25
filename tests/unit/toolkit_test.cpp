// asgi::toolkit's request and response helpers, each through the real server with the public test
// client: bodies with limits, query parameters, cookies, forms, the response helpers, cookies
// sent, and HTTP errors becoming responses.

#include <gtest/gtest.h>

#include "asgi/asgi.hpp"
#include "asgi/testing/client.hpp"
#include "asgi/toolkit.hpp"
#include "asgi/toolkit/json.hpp"

namespace {

namespace net = boost::asio;
namespace kit = asgi::toolkit;
using asgi::testing::Client;

asgi::Scope scope_with(std::string query, asgi::Headers headers = {}) {
  asgi::Scope scope;
  scope.type = "http";
  scope.query_string = std::move(query);
  scope.headers = std::move(headers);
  return scope;
}

TEST(ToolkitRequest, QueryParametersAreDecodedInOrder) {
  auto scope = scope_with("name=hermit+crab&tag=a&tag=b%26c&empty=&flag&&x=%zz");
  kit::Fields params = kit::query_params(scope);
  EXPECT_EQ(params.get("name"), "hermit crab");
  EXPECT_EQ(params.get_all("tag"), (std::vector<std::string>{"a", "b&c"}));
  EXPECT_EQ(params.get("empty"), "");
  EXPECT_EQ(params.get("flag"), "");
  EXPECT_EQ(params.get("x"), "%zz");
  EXPECT_FALSE(params.get("missing"));
  EXPECT_EQ(kit::query_param(scope, "tag"), "a");
}

TEST(ToolkitRequest, CookiesFromEveryCookieHeader) {
  auto scope = scope_with("", {{"cookie", "session=abc; theme=\"dark\";  lang = en"},
                               {"cookie", "session=second; broken; =nameless; last=1"}});
  kit::Fields jar = kit::cookies(scope);
  EXPECT_EQ(jar.get("session"), "abc");  // the first one wins
  EXPECT_EQ(jar.get("theme"), "dark");
  EXPECT_EQ(jar.get("lang"), "en");
  EXPECT_EQ(jar.get("last"), "1");
  EXPECT_EQ(jar.size(), 4u);
}

TEST(ToolkitRequest, MediaTypeHeaderAndRoutePath) {
  EXPECT_EQ(kit::media_type("Application/JSON ; charset=utf-8"), "application/json");
  auto scope = scope_with("", {{"x-one", "1"}});
  EXPECT_EQ(kit::header(scope, "x-one"), "1");
  EXPECT_FALSE(kit::header(scope, "x-two"));
  scope.root_path = "/api";
  scope.path = "/api/notes";
  EXPECT_EQ(kit::route_path(scope), "/notes");
  scope.path = "/apiary";
  EXPECT_EQ(kit::route_path(scope), "/apiary");
  scope.path = "/api";
  EXPECT_EQ(kit::route_path(scope), "/");
}

// Echoes the body it read with a 1 KiB limit; HttpErrors become responses.
net::awaitable<void> body_app(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  if (scope.path == "/form") {
    kit::Fields form = co_await kit::read_form(scope, receive);
    co_await kit::send_text(send,
                            form.get("name").value_or("?") + "/" + form.get("age").value_or("?"));
    co_return;
  }
  std::string body = co_await kit::read_body(receive, 1024);
  co_await kit::send_text(send, "got " + std::to_string(body.size()));
}

TEST(ToolkitRequest, BodyLimitAndFormsThroughTheServer) {
  Client client(kit::with_http_errors(body_app));
  EXPECT_EQ(client.post("/", std::string(1024, 'x')).body, "got 1024");
  auto too_big = client.post("/", std::string(1025, 'x'));
  EXPECT_EQ(too_big.status, 413);
  EXPECT_EQ(too_big.body, "The request body is larger than 1024 bytes");
  auto form = client.post("/form", "name=Pagurus+bernhardus&age=3",
                          {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}});
  EXPECT_EQ(form.body, "Pagurus bernhardus/3");
  auto wrong_type = client.post("/form", "{}", {{"content-type", "application/json"}});
  EXPECT_EQ(wrong_type.status, 415);
}

net::awaitable<void> responses_app(asgi::Scope scope, asgi::Receive, asgi::Send send) {
  const std::string& path = scope.path;
  if (path == "/text") co_return co_await kit::send_text(send, "plain", 201);
  if (path == "/html") co_return co_await kit::send_html(send, "<p>hi</p>");
  if (path == "/bytes") co_return co_await kit::send_bytes(send, "\x89PNG", "image/png");
  if (path == "/redirect") co_return co_await kit::send_redirect(send, "/text", 303);
  if (path == "/empty") co_return co_await kit::send_empty(send);
  if (path == "/cookie") {
    asgi::Headers headers;
    kit::set_cookie(headers, {.name = "session",
                              .value = "abc123",
                              .max_age = std::chrono::seconds(3600),
                              .secure = true});
    kit::delete_cookie(headers, "old");
    co_return co_await kit::send_empty(send, 200, std::move(headers));
  }
  if (path == "/teapot") throw kit::HttpError(418, "short and stout", {{"x-kind", "teapot"}});
  if (path == "/late") {
    co_await send(asgi::HttpResponseStart(200, {}));
    co_await send(asgi::HttpResponseBody("partial", true));
    throw kit::HttpError(404);
  }
  throw kit::HttpError(404);
}

TEST(ToolkitResponse, EachHelperSendsWhatItSays) {
  Client client(kit::with_http_errors(responses_app));
  auto text = client.get("/text");
  EXPECT_EQ(text.status, 201);
  EXPECT_EQ(text.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(text.header("content-length"), "5");
  EXPECT_EQ(client.get("/html").header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(client.get("/bytes").body, "\x89PNG");
  auto redirect = client.get("/redirect");
  EXPECT_EQ(redirect.status, 303);
  EXPECT_EQ(redirect.header("location"), "/text");
  auto empty = client.get("/empty");
  EXPECT_EQ(empty.status, 204);
  EXPECT_FALSE(empty.headers.contains("content-length"));
  auto cookie = client.get("/cookie");
  auto set = cookie.headers.get_all("set-cookie");
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set[0], "session=abc123; Max-Age=3600; Path=/; Secure; HttpOnly; SameSite=Lax");
  EXPECT_EQ(set[1], "old=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax");
}

TEST(ToolkitResponse, HttpErrorsBecomeResponsesUntilTheStart) {
  Client client(kit::with_http_errors(responses_app));
  auto missing = client.get("/nowhere");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "Not Found");
  auto teapot = client.get("/teapot");
  EXPECT_EQ(teapot.status, 418);
  EXPECT_EQ(teapot.body, "short and stout");
  EXPECT_EQ(teapot.header("x-kind"), "teapot");
  // After the start the status is sent: the error ends the response (the connection closes
  // before the final chunk), as any exception there does.
  EXPECT_THROW(client.get("/late"), std::runtime_error);
}

TEST(ToolkitResponse, InvalidCookiesAreRefused) {
  EXPECT_THROW(kit::set_cookie_value({.name = "bad name", .value = "x"}), std::invalid_argument);
  EXPECT_THROW(kit::set_cookie_value({.name = "a", .value = "semi;colon"}), std::invalid_argument);
  EXPECT_THROW(kit::set_cookie_value({.name = "a", .value = "x", .same_site = "None"}),
               std::invalid_argument);
  EXPECT_EQ(kit::set_cookie_value({.name = "a", .value = "x", .http_only = false, .same_site = ""}),
            "a=x; Path=/");
}

net::awaitable<void> json_app(asgi::Scope, asgi::Receive receive, asgi::Send send) {
  nlohmann::json note = co_await kit::read_json(receive, 4096);
  co_await kit::send_json(send, {{"id", 7}, {"text", note.at("text")}, {"raw", "\xff"}}, 201);
}

TEST(ToolkitJson, ReadAndSend) {
  Client client(kit::with_http_errors(json_app));
  auto created = client.post("/", R"({"text": "moult"})");
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.header("content-type"), "application/json");
  auto parsed = nlohmann::json::parse(created.body);  // invalid UTF-8 was replaced, not thrown
  EXPECT_EQ(parsed["id"], 7);
  EXPECT_EQ(parsed["text"], "moult");
  EXPECT_EQ(parsed["raw"], "\xEF\xBF\xBD");
  auto bad = client.post("/", R"({"text": )");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(bad.body.starts_with("Invalid JSON: ")) << bad.body;
  EXPECT_EQ(client.post("/", std::string(5000, ' ')).status, 413);
}

}  // namespace
