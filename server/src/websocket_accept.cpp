#include "websocket_session_state.hpp"

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <cstring>

#include "asgi/protocol/http_date.hpp"

namespace asgi::server {

namespace {

// Whether the client's permessage-deflate offer names client_max_window_bits, read the way Beast
// reads the offer: the first Sec-WebSocket-Extensions field, its first permessage-deflate.
bool offers_client_window_bits(const protocol::RequestHead& head) {
  for (auto [name, value] : head.headers) {
    if (!beast::iequals(name, "sec-websocket-extensions")) continue;
    for (const auto& offer : beast::http::ext_list(value)) {
      if (!beast::iequals(offer.first, "permessage-deflate")) continue;
      for (const auto& param : offer.second)
        if (beast::iequals(param.first, "client_max_window_bits")) return true;
      return false;
    }
    return false;
  }
  return false;
}

}  // namespace

// Completes the handshake: Beast validates it again and writes the 101 with the negotiated
// permessage-deflate, our default headers, the chosen subprotocol and the app's headers.
net::awaitable<bool> accept_websocket(WebSocketSession::Impl& s, const WebSocketAccept& message) {
  const Config& config = s.config();
  s.ws.emplace(s.connection->transport());
  ReadBuffer& input = s.connection->request().buffer();
  if (!input.empty()) {
    auto space = s.ws->next_layer().buffer().prepare(input.size());
    std::memcpy(space.data(), input.data().data(), input.size());
    s.ws->next_layer().next_layer().scanner().scan(static_cast<char*>(space.data()), input.size());
    s.ws->next_layer().buffer().commit(input.size());
    input.consume(input.size());
  }
  websocket::stream<PreloadedSocket>& ws = *s.ws;
  ws.read_message_max(config.ws_max_size);
  ws.auto_fragment(false);
  websocket::permessage_deflate deflate;
  deflate.server_enable = config.ws_per_message_deflate;
  // Smaller windows than zlib's defaults keep a compressed connection near 40 KiB instead of
  // 256 KiB (the trade Uvicorn's websockets backend makes too).
  deflate.server_max_window_bits = 12;
  // A client whose offer has no client_max_window_bits (some browsers) may compress with the
  // full 32 KiB window, and the response must not limit it (RFC 7692 §7.1.2.2): Beast accepts
  // that offer only when our inflater takes 15 bits, so such a connection gets them.
  deflate.client_max_window_bits = offers_client_window_bits(*s.head) ? 12 : 15;
  deflate.memLevel = 5;
  ws.set_option(deflate);
  ws.set_option(websocket::stream_base::timeout{std::chrono::seconds(30),
                                                websocket::stream_base::none(), false});
  std::vector<std::pair<std::string, std::string>> extra;
  for (auto [name, value] : message.headers) extra.emplace_back(name, value);
  ws.set_option(websocket::stream_base::decorator(
      [&config, subprotocol = message.subprotocol, extra](websocket::response_type& response) {
        response.erase(beast::http::field::server);
        if (config.date_header)
          response.set(beast::http::field::date, protocol::cached_http_date());
        if (config.server_header) response.set(beast::http::field::server, "asgiserver");
        for (const auto& [name, value] : config.default_headers) response.set(name, value);
        if (subprotocol) response.set(beast::http::field::sec_websocket_protocol, *subprotocol);
        for (const auto& [name, value] : extra) response.insert(name, value);
      }));
  ws.control_callback([&s](websocket::frame_type kind, beast::string_view payload) {
    if (kind == websocket::frame_type::pong) s.last_pong = Clock::now();
    if (kind != websocket::frame_type::close) return;
    // The client closed: tell the app now, not when (or if) the client also closes TCP.
    // Beast passes the reason as the payload and has already stored the code.
    auto code = s.ws->reason().code;
    // Beast saw 1014 as the scanner's stand-in (it refuses 1014 itself): answer 1014.
    if (code == protocol::WebSocketCloseScanner::stand_in_code &&
        s.ws->next_layer().next_layer().scanner().close_code() == 1014) {
      s.answer_close(1014, std::string(payload.data(), payload.size()));
      return;
    }
    if (code != websocket::close_code::none && !protocol::is_valid_close_code(code)) {
      // Beast takes any code from 3000 up; RFC 6455 §7.4 ends at 4999: a protocol error.
      s.answer_close(1002, "");
      return;
    }
    s.end(code == websocket::close_code::none ? 1005 : static_cast<int>(code),
          std::string(payload.data(), payload.size()));
    s.arm_close_grace();
  });

  beast::http::request<beast::http::empty_body> request;
  request.method_string(s.head->method);
  request.target(s.head->target);
  request.version(s.head->http_major * 10 + s.head->http_minor);
  for (auto [name, value] : s.head->headers) request.insert(name, value);
  co_await s.lock_writes();
  auto [ec] = co_await ws.async_accept(request, net::as_tuple(net::use_awaitable));
  s.unlock_writes();
  if (ec) {
    s.end(1006, "");
    co_return false;
  }
  s.log_access("[accepted]");
  // From here on only frames arrive: the HTTP side's buffer, parser and request head can go.
  s.connection->release_http_state();
  s.head.reset();
  co_return true;
}

}  // namespace asgi::server
