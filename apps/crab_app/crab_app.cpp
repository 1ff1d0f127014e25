// `crab_app`: the flagship example, a small crab-fan site. This file only routes; the handlers
// live next door (handlers.hpp), the data in crab_store, the HTML in crab_pages.
//
//   GET  /              home page (HTML)
//   GET  /crabs         all crabs (JSON)
//   POST /crabs         add a crab: {"name", "species", "habitat"?, "fun_fact"?} -> 201
//   GET  /crabs/{id}    one crab, or 404
//   GET  /slow?seconds=S     waits S seconds (default 1, at most 30) without blocking the loop
//   GET  /compute?digits=N   N digits of pi (default 1000, at most 20000) on the thread pool
//   GET  /tank          the live crab tank (HTML); its script opens the WebSocket below
//   WS   /ws/tank       tank states 10 times a second; send {"type":"drop","x":..,"y":..} to feed
//
// Unknown paths get 404, a known path with the wrong method 405 with an `allow` header. HEAD is
// accepted wherever GET is: the server sends the headers and drops the body, as Uvicorn does.
// A WebSocket to any other path is declined: the app raises before touching the connection, and
// the server then serves the request as plain HTTP (so it gets the 404 a GET there would get).

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "asgi/app.hpp"
#include "asgi/errors.hpp"
#include "asgi/events.hpp"
#include "asgi/registry.hpp"
#include "common/http.hpp"
#include "crab_app/crab_pages.hpp"
#include "crab_app/crab_store.hpp"
#include "crab_app/handlers.hpp"
#include "crab_app/json_response.hpp"

namespace apps::crab {

namespace {

enum class Route { home, crab_list, crab_item, slow, compute, tank, facts, not_found };

Route match(std::string_view path) {
  if (path == "/") return Route::home;
  if (path == "/crabs") return Route::crab_list;
  if (path.starts_with("/crabs/")) return Route::crab_item;
  if (path == "/slow") return Route::slow;
  if (path == "/compute") return Route::compute;
  if (path == "/tank") return Route::tank;
  if (path == "/facts") return Route::facts;
  return Route::not_found;
}

// 405, with the `allow` header HTTP requires (RFC 9110, 15.5.6).
boost::asio::awaitable<void> method_not_allowed(asgi::Send send, std::string allow) {
  asgi::Headers headers;
  headers.add("allow", allow);
  co_await send_error(std::move(send), 405, "Method Not Allowed", std::move(headers));
}

// Crab facts, "loaded" once at startup: the kind of thing (a model, a connection pool) that belongs
// in lifespan state rather than in a global.
using CrabFacts = std::vector<std::string>;

std::shared_ptr<CrabFacts> load_crab_facts() {
  return std::make_shared<CrabFacts>(CrabFacts{
      "Crabs walk sideways because their legs bend outwards.",
      "A group of crabs is called a cast.",
      "The Japanese spider crab can span almost 4 metres from claw to claw.",
      "Crabs talk by drumming or waving their claws.",
      "Hermit crabs are not true crabs: they borrow shells instead of growing a carapace.",
  });
}

// The lifespan protocol: one long-lived call at server start, before any request. Startup puts
// the crab facts into `state`; every request's scope gets a shallow copy of that state.
boost::asio::awaitable<void> lifespan(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  for (;;) {
    asgi::Event event = co_await receive();
    if (std::holds_alternative<asgi::LifespanStartup>(event)) {
      crab_store();
      scope.state.set("crab_facts", load_crab_facts());
      co_await send(asgi::LifespanStartupComplete());
    } else if (std::holds_alternative<asgi::LifespanShutdown>(event)) {
      co_await send(asgi::LifespanShutdownComplete());
      co_return;
    } else {
      throw asgi::ProtocolError("unexpected lifespan event " + std::string(asgi::type_of(event)));
    }
  }
}

// GET /facts: the facts from lifespan state (503 when the server runs with --lifespan off).
boost::asio::awaitable<void> facts(const asgi::Scope& scope, asgi::Send send) {
  auto loaded = scope.state.get<CrabFacts>("crab_facts");
  if (!loaded) {
    co_await send_error(std::move(send), 503, "crab facts are loaded at lifespan startup");
    co_return;
  }
  Json body = {{"facts", *loaded}};
  co_await send_json(std::move(send), 200, std::move(body));
}

boost::asio::awaitable<void> http(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  const std::string_view path = route_path(scope);
  const Route route = match(path);
  const std::string& method = scope.method;
  const bool get = method == "GET" || method == "HEAD";

  switch (route) {
    case Route::home:
      if (!get) break;
      co_await send_html(send, std::string(home_page()));
      co_return;
    case Route::crab_list:
      if (get) {
        co_await list_crabs(send);
        co_return;
      }
      if (method == "POST") {
        std::optional<std::string> content_type;
        if (auto value = scope.headers.get("content-type")) content_type.emplace(*value);
        co_await create_crab(std::move(content_type), receive, send);
        co_return;
      }
      co_await method_not_allowed(send, "GET, HEAD, POST");
      co_return;
    case Route::crab_item:
      if (!get) break;
      co_await get_crab(std::string(path.substr(std::string_view("/crabs/").size())), send);
      co_return;
    case Route::slow:
      if (!get) break;
      co_await slow(scope.query_string, send);
      co_return;
    case Route::compute:
      if (!get) break;
      co_await compute(scope.query_string, send);
      co_return;
    case Route::facts:
      if (!get) break;
      co_await facts(scope, send);
      co_return;
    case Route::tank:
      if (!get) break;
      co_await send_html(send, std::string(tank_page()));
      co_return;
    case Route::not_found:
      co_await send_error(send, 404, "Not Found");
      co_return;
  }
  // A known path that only takes GET (and HEAD), asked with another method.
  co_await method_not_allowed(send, "GET, HEAD");
}

// WebSocket routes: only the tank.
boost::asio::awaitable<void> websocket(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  const std::string_view path = route_path(scope);
  if (path != "/ws/tank")
    throw std::runtime_error("crab_app: no WebSocket endpoint at '" + std::string(path) + "'");
  co_await tank_websocket(std::move(receive), std::move(send));
}

boost::asio::awaitable<void> crab_app(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  if (scope.type == "lifespan") {
    co_await lifespan(std::move(scope), std::move(receive), std::move(send));
    co_return;
  }
  if (scope.type == "websocket") {
    co_await websocket(std::move(scope), std::move(receive), std::move(send));
    co_return;
  }
  require_http(scope, "crab_app");
  co_await http(std::move(scope), std::move(receive), std::move(send));
}

}  // namespace

}  // namespace apps::crab

ASGI_REGISTER_APP(crab_app, apps::crab::crab_app);
