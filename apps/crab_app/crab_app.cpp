// `crab_app`: the flagship example, a small crab-fan site, written on asgi::toolkit (its Router,
// JSON helpers and HttpError). This file only routes; the handlers live next door (handlers.hpp),
// the data in crab_store, the HTML in crab_pages. Errors are JSON,
// {"detail": "..."}.
//
//   GET  /              home page (HTML)
//   GET  /crabs         all crabs (JSON)
//   POST /crabs         add a crab: {"name", "species", "habitat"?, "fun_fact"?} -> 201
//   GET  /crabs/{id}    one crab, or 404
//   GET  /slow?seconds=S     waits S seconds (default 1, at most 30) without blocking the loop
//   GET  /compute?digits=N   N digits of pi (default 1000, at most 20000) on the thread pool
//   GET  /block?seconds=S    blocks its event loop S seconds (at most 10): what not to do
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
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "asgi/asgi.hpp"
#include "asgi/toolkit.hpp"
#include "asgi/toolkit/json.hpp"
#include "crab_app/crab_pages.hpp"
#include "crab_app/crab_store.hpp"
#include "crab_app/handlers.hpp"

namespace apps::crab {

namespace {

namespace kit = asgi::toolkit;

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
boost::asio::awaitable<void> facts(kit::Request request) {
  auto loaded = request.scope.state.get<CrabFacts>("crab_facts");
  if (!loaded) throw kit::HttpError(503, "crab facts are loaded at lifespan startup");
  co_await kit::send_json(request.send, Json{{"facts", *loaded}});
}

boost::asio::awaitable<void> home(kit::Request request) {
  co_await kit::send_html(request.send, std::string(home_page()));
}

boost::asio::awaitable<void> tank(kit::Request request) {
  co_await kit::send_html(request.send, std::string(tank_page()));
}

boost::asio::awaitable<void> tank_socket(kit::Request request) {
  co_await tank_websocket(std::move(request.receive), std::move(request.send));
}

const asgi::App& routes() {
  static const asgi::App app = [] {
    kit::Router router;
    router.get("/", home)
        .get("/crabs", list_crabs)
        .post("/crabs", create_crab)
        .get("/crabs/{id}", get_crab)  // parsed by the handler: a bad id is "Crab not found"
        .get("/slow", slow)
        .get("/compute", compute)
        .get("/block", block)
        .get("/facts", facts)
        .get("/tank", tank)
        .websocket("/ws/tank", tank_socket)
        .on_error(kit::send_json_error);
    return router.app();
  }();
  return app;
}

boost::asio::awaitable<void> crab_app(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  if (scope.type == "lifespan") {
    co_await lifespan(std::move(scope), std::move(receive), std::move(send));
    co_return;
  }
  // A WebSocket anywhere but the tank is declined: raising before touching the connection makes
  // the server serve the request as plain HTTP, so it gets the 404 a GET there would get.
  if (scope.type == "websocket" && kit::route_path(scope) != "/ws/tank")
    throw std::runtime_error("crab_app: no WebSocket endpoint at '" + scope.path + "'");
  co_await routes()(std::move(scope), std::move(receive), std::move(send));
}

}  // namespace

}  // namespace apps::crab

ASGI_REGISTER_APP(crab_app, apps::crab::crab_app);
