// `ws_testing`: a WebSocket app for the integration tests (tests/integration/test_websocket*.py).
// Each path of a websocket scope exercises one outcome of the server's WebSocket session: close
// codes, denial (403 and websocket.http.response), exceptions before and after accept, subprotocol
// negotiation, sends after close, backpressure in both directions. HTTP scopes get a plain 200
// "http fallback" (what `--ws none` and an app declining the websocket scope should produce).
// Built into asgiserver_testing only, never the shipped binary.
//
//   /close?code=C&reason=R  accept, then close with that code and reason
//   /deny                   close before accept (HTTP 403)
//   /deny-401               websocket.http.response: 401, x-deny: 1, body "denied" in two chunks
//   /throw-before-accept    receive websocket.connect, then throw (HTTP 500)
//   /throw-after-accept     accept, then throw (close 1011)
//   /return-after-accept    accept, then return (close 1000)
//   /raise-immediately      throw without calling receive/send (the request is served as HTTP)
//   /subprotocol            accept with the first offered subprotocol and the header x-extra: yes
//   /bad-subprotocol        accept with a subprotocol the client did not offer (HTTP 500)
//   /echo                   echo until websocket.disconnect, then log its code and reason
//   /send-after-close       accept, close, send: log which exception send raised
//   /push?n=N               accept, send N 1 KiB messages as fast as possible, then close
//   /no-read?ms=M           accept, never receive, sleep M ms (5000), then close
//   /send-until-closed?ms=M accept, send a text message every M ms (20) until send raises; log
//                           ClientDisconnected, then receive until websocket.disconnect and log it
//                           (a ProtocolError escapes: the server logs it as the app's error)
//   anything else           close before accept (HTTP 403)
//
// Lines on stderr start with "ws_testing: " and are flushed at once, so a test can wait for them.
//
// GCC 12 rules followed throughout: message types built with their constructors, in a local
// variable when they take headers; no braced lists inside co_await; no co_await inside a condition
// or && / || expression.

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "asgi/app.hpp"
#include "asgi/errors.hpp"
#include "asgi/events.hpp"
#include "asgi/headers.hpp"
#include "asgi/registry.hpp"
#include "fixture_support.hpp"

namespace {

namespace net = boost::asio;

using fixtures::query_number;
using fixtures::query_value;
using fixtures::sleep_ms;

void note(const std::string& line) {
  fixtures::note("ws_testing", line);
}

/// Receives websocket.connect (the first event of every websocket scope).
net::awaitable<void> expect_connect(asgi::Receive& receive) {
  asgi::Event event = co_await receive();
  if (!std::holds_alternative<asgi::WebSocketConnect>(event))
    throw std::runtime_error("ws_testing: expected websocket.connect, got " +
                             std::string(asgi::type_of(event)));
}

net::awaitable<void> accept(asgi::Send& send) {
  asgi::WebSocketAccept message(std::nullopt, asgi::Headers());
  co_await send(std::move(message));
}

net::awaitable<void> close(asgi::Send& send, int code, std::string reason) {
  asgi::WebSocketClose message(code, std::move(reason));
  co_await send(std::move(message));
}

/// Echoes every message (text as text, bytes as bytes); logs the disconnect's code and reason.
net::awaitable<void> echo(asgi::Receive& receive, asgi::Send& send) {
  for (;;) {
    asgi::Event event = co_await receive();
    if (auto* gone = std::get_if<asgi::WebSocketDisconnect>(&event)) {
      note("disconnect code=" + std::to_string(gone->code) + " reason=" + gone->reason);
      co_return;
    }
    auto* message = std::get_if<asgi::WebSocketReceive>(&event);
    if (!message)
      throw std::runtime_error("ws_testing: unexpected event " + std::string(asgi::type_of(event)));
    asgi::WebSocketSend reply(std::move(message->bytes), std::move(message->text));
    co_await send(std::move(reply));
  }
}

net::awaitable<void> deny_401(asgi::Send& send) {
  asgi::Headers headers;
  headers.add("content-type", "text/plain");
  headers.add("x-deny", "1");
  asgi::WebSocketHttpResponseStart start(401, std::move(headers));
  co_await send(std::move(start));
  asgi::WebSocketHttpResponseBody first(std::string("den"), true);
  co_await send(std::move(first));
  asgi::WebSocketHttpResponseBody last(std::string("ied"), false);
  co_await send(std::move(last));
}

net::awaitable<void> accept_subprotocol(const asgi::Scope& scope, asgi::Send& send) {
  std::optional<std::string> chosen;
  if (!scope.subprotocols.empty()) chosen = scope.subprotocols.front();
  asgi::Headers headers;
  headers.add("x-extra", "yes");
  asgi::WebSocketAccept message(std::move(chosen), std::move(headers));
  co_await send(std::move(message));
}

net::awaitable<void> send_after_close(asgi::Send& send) {
  co_await accept(send);
  co_await close(send, 1000, "");
  std::string outcome = "nothing";
  try {
    asgi::WebSocketSend late(std::nullopt, std::string("too late"));
    co_await send(std::move(late));
  } catch (const asgi::ProtocolError&) {
    outcome = "ProtocolError";
  } catch (const asgi::ClientDisconnected&) {
    outcome = "ClientDisconnected";
  }
  note("send after close raised " + outcome);
}

/// Sends until the server or the client ends the connection, the way a ticker or a feed does.
/// The app never closes, so send must raise ClientDisconnected, never ProtocolError.
net::awaitable<void> send_until_closed(const asgi::Scope& scope, asgi::Receive& receive,
                                       asgi::Send& send) {
  long interval = query_number(scope.query_string, "ms", 20);
  co_await accept(send);
  bool sending = true;
  for (long i = 0; sending; ++i) {
    try {
      asgi::WebSocketSend tick(std::nullopt, "tick " + std::to_string(i));
      co_await send(std::move(tick));
    } catch (const asgi::ClientDisconnected&) {
      sending = false;
    }
    if (sending) co_await sleep_ms(interval);
  }
  note("send raised ClientDisconnected");
  for (;;) {
    asgi::Event event = co_await receive();
    if (auto* gone = std::get_if<asgi::WebSocketDisconnect>(&event)) {
      note("disconnect code=" + std::to_string(gone->code) + " reason=" + gone->reason);
      co_return;
    }
  }
}

/// N messages of exactly 1 KiB: the index in 8 decimal digits, then filler.
net::awaitable<void> push(const asgi::Scope& scope, asgi::Send& send) {
  long n = query_number(scope.query_string, "n", 100);
  co_await accept(send);
  for (long i = 0; i < n; ++i) {
    std::string payload = std::to_string(i);
    payload.insert(0, 8 - std::min<std::size_t>(8, payload.size()), '0');
    payload.resize(1024, 'x');
    asgi::WebSocketSend message(std::nullopt, std::move(payload));
    co_await send(std::move(message));
  }
  note("pushed " + std::to_string(n));
  co_await close(send, 1000, "");
}

net::awaitable<void> websocket(const asgi::Scope& scope, asgi::Receive receive, asgi::Send send) {
  const std::string& path = scope.path;
  if (path == "/raise-immediately") throw std::runtime_error("ws_testing: no websocket here");

  co_await expect_connect(receive);
  if (path == "/close") {
    long code = query_number(scope.query_string, "code", 1000);
    co_await accept(send);
    co_await close(send, static_cast<int>(code), query_value(scope.query_string, "reason"));
    asgi::Event event = co_await receive();  // the disconnect, with our own code
    if (auto* gone = std::get_if<asgi::WebSocketDisconnect>(&event))
      note("disconnect code=" + std::to_string(gone->code) + " reason=" + gone->reason);
  } else if (path == "/deny") {
    co_await close(send, 1000, "");
  } else if (path == "/deny-401") {
    co_await deny_401(send);
  } else if (path == "/throw-before-accept") {
    throw std::runtime_error("ws_testing: failure before accept");
  } else if (path == "/throw-after-accept") {
    co_await accept(send);
    throw std::runtime_error("ws_testing: failure after accept");
  } else if (path == "/return-after-accept") {
    co_await accept(send);
  } else if (path == "/subprotocol") {
    co_await accept_subprotocol(scope, send);
    co_await echo(receive, send);
  } else if (path == "/bad-subprotocol") {
    asgi::WebSocketAccept message(std::string("not-offered"), asgi::Headers());
    co_await send(std::move(message));  // ProtocolError: the app dies before accepting
  } else if (path == "/echo") {
    co_await accept(send);
    co_await echo(receive, send);
  } else if (path == "/send-after-close") {
    co_await send_after_close(send);
  } else if (path == "/push") {
    co_await push(scope, send);
  } else if (path == "/send-until-closed") {
    co_await send_until_closed(scope, receive, send);
  } else if (path == "/read-late") {  // the queue fills while we sleep; then everything flows
    co_await accept(send);
    co_await sleep_ms(query_number(scope.query_string, "ms", 500));
    co_await echo(receive, send);
  } else if (path == "/no-read") {
    co_await accept(send);
    co_await sleep_ms(query_number(scope.query_string, "ms", 5000));
    note("no-read closing");
    co_await close(send, 1000, "");
  } else {
    co_await close(send, 1000, "");  // unknown path: 403
  }
}

net::awaitable<void> http_fallback(asgi::Receive receive, asgi::Send send) {
  for (;;) {  // drain the request body
    asgi::Event event = co_await receive();
    auto* chunk = std::get_if<asgi::HttpRequest>(&event);
    if (!chunk) co_return;
    if (!chunk->more_body) break;
  }
  asgi::Headers headers;
  headers.add("content-type", "text/plain");
  headers.add("content-length", "13");
  asgi::HttpResponseStart start(200, std::move(headers));
  co_await send(std::move(start));
  co_await send(asgi::HttpResponseBody(std::string("http fallback"), false));
}

net::awaitable<void> ws_testing_app(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  if (scope.type == "websocket") {
    co_await websocket(scope, std::move(receive), std::move(send));
  } else if (scope.type == "http") {
    co_await http_fallback(std::move(receive), std::move(send));
  } else {
    throw std::runtime_error("ws_testing: unsupported scope type " + scope.type);
  }
}

}  // namespace

ASGI_REGISTER_APP(ws_testing, ws_testing_app);
