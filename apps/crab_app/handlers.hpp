#pragma once
// crab_app's request handlers, one per route. crab_app.cpp does the routing; each handler gets
// only what it needs, by value (a coroutine must own its arguments: see json_response.hpp).

#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "asgi/app.hpp"

namespace apps::crab {

// crab_handlers.cpp: the crab store over HTTP.
boost::asio::awaitable<void> list_crabs(asgi::Send send);
boost::asio::awaitable<void> get_crab(std::string id_text, asgi::Send send);
boost::asio::awaitable<void> create_crab(std::optional<std::string> content_type,
                                         asgi::Receive receive, asgi::Send send);

// demo_handlers.cpp: waiting and computing without blocking the event loop.
boost::asio::awaitable<void> slow(std::string query_string, asgi::Send send);
boost::asio::awaitable<void> compute(std::string query_string, asgi::Send send);

// tank.cpp: the live crab tank over WebSocket (/ws/tank). Every browser sees the same crabs,
// moved by one process-wide simulation, and can drop food with {"type": "drop", "x", "y"}.
boost::asio::awaitable<void> tank_websocket(asgi::Receive receive, asgi::Send send);

}  // namespace apps::crab
