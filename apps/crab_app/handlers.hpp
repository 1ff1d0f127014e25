#pragma once
// crab_app's request handlers, one per route (crab_app.cpp routes them with asgi::toolkit's
// Router). Errors are raised as asgi::toolkit::HttpError; the router answers them as
// {"detail": "..."} (FastAPI's shape), so clients handle every error the same way.

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "asgi/app.hpp"
#include "asgi/toolkit/router.hpp"

namespace apps::crab {

/// ordered_json keeps keys in insertion order, so a crab prints as {"id": .., "name": .., ...}
/// rather than alphabetically.
using Json = nlohmann::ordered_json;

// crab_handlers.cpp: the crab store over HTTP.
boost::asio::awaitable<void> list_crabs(asgi::toolkit::Request request);
boost::asio::awaitable<void> get_crab(asgi::toolkit::Request request);
boost::asio::awaitable<void> create_crab(asgi::toolkit::Request request);

// demo_handlers.cpp: waiting and computing without blocking the event loop.
boost::asio::awaitable<void> slow(asgi::toolkit::Request request);
boost::asio::awaitable<void> compute(asgi::toolkit::Request request);
boost::asio::awaitable<void> block(asgi::toolkit::Request request);

// tank.cpp: the live crab tank over WebSocket (/ws/tank). Every browser sees the same crabs,
// moved by one process-wide simulation, and can drop food with {"type": "drop", "x", "y"}.
boost::asio::awaitable<void> tank_websocket(asgi::Receive receive, asgi::Send send);

}  // namespace apps::crab
