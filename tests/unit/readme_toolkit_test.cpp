// The README's toolkit example, compiled as it is printed there (tests/integration/test_readme.py
// checks the two stay the same), then driven through the server.

#include <gtest/gtest.h>
#include <zlib.h>

#include "asgi/testing/client.hpp"

// clang-format off
// ---- from README.md, "The toolkit" ----
#include <asgi/asgi.hpp>
#include <asgi/toolkit.hpp>
#include <asgi/toolkit/json.hpp>   // apart: nlohmann's header is large
namespace kit = asgi::toolkit;

boost::asio::awaitable<void> show(kit::Request request) {             // GET /notes/{id:int}
  long long id = request.params.integer("id");
  if (id > 100) throw kit::HttpError(404, "no such note");              // becomes the response
  co_await kit::send_json(request.send, {{"id", id}, {"text", "moult"}});
}

boost::asio::awaitable<void> create(kit::Request request) {           // POST /notes
  nlohmann::json note = co_await kit::read_json(request.receive, 16 * 1024);  // 400, 413
  asgi::Headers headers;
  kit::set_cookie(headers, {.name = "last", .value = "7", .max_age = std::chrono::hours(1)});
  co_await kit::send_json(request.send, note, 201, std::move(headers));
}

asgi::App make_notes() {
  kit::Router router;
  router.get("/notes/{id:int}", show).post("/notes", create);
  return kit::gzip(kit::request_id(router.app()));
}
ASGI_REGISTER_APP_FACTORY(notes, make_notes);                          // --app ...:notes --factory
// ---- end of the README's example ----
// clang-format on

namespace {

TEST(ReadmeToolkitExample, ServesAsDescribed) {
  asgi::testing::Client client(make_notes());
  auto shown = client.get("/notes/7");
  EXPECT_EQ(shown.status, 200);
  EXPECT_EQ(nlohmann::json::parse(shown.body), (nlohmann::json{{"id", 7}, {"text", "moult"}}));
  EXPECT_EQ(shown.header("x-request-id").size(), 32u);
  EXPECT_EQ(client.get("/notes/101").status, 404);
  auto created = client.post("/notes", R"({"text": "new shell"})");
  EXPECT_EQ(created.status, 201);
  EXPECT_TRUE(created.header("set-cookie").starts_with("last=7; Max-Age=3600"));
  EXPECT_EQ(client.post("/notes", "{").status, 400);
  EXPECT_EQ(client.request("DELETE", "/notes").status, 405);
}

}  // namespace
