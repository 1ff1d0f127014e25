// The test client's WebSocket half: Beast's WebSocket client on the client's end of an in-memory
// connection, each call run to completion on the server's loop.

#include <boost/asio/append.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <cctype>
#include "client_impl.hpp"

namespace asgi::server {

// Beast finds the next layer's teardown by argument-dependent lookup: the half-close and close
// its socket teardown would do.
template <class TeardownHandler>
void async_teardown(boost::beast::role_type, MemoryStream& stream, TeardownHandler&& handler) {
  stream.shutdown_send();
  stream.close();
  boost::asio::post(
      stream.get_executor(),
      boost::asio::append(std::forward<TeardownHandler>(handler), boost::system::error_code()));
}
// And closes it this way when a timeout or a failed handshake ends the session.
inline void beast_close_socket(MemoryStream& stream) {
  stream.close();
}
inline void teardown(boost::beast::role_type, MemoryStream& stream, boost::system::error_code& ec) {
  stream.shutdown_send();
  stream.close();
  ec = {};
}

}  // namespace asgi::server

namespace asgi::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

struct WebSocketConnection::Impl {
  Impl(Client::Impl& client_, server::MemoryStream stream_)
      : client(client_), stream(std::move(stream_)), ws(stream) {}

  template <class Start>
  boost::system::error_code run(Start start, const std::string& what) {
    bool done = false;
    boost::system::error_code result;
    start([&](boost::system::error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    auto finished = [&] { return done; };
    client.run_operation(stream, finished, finished, what);
    return result;
  }

  Client::Impl& client;
  server::MemoryStream stream;
  websocket::stream<server::MemoryStream&> ws;
  bool accepted = false;
  Response denial;
  std::optional<std::string> subprotocol;
  std::optional<int> close_code;
};

WebSocketConnection Client::websocket(std::string_view target, const Headers& headers) {
  auto impl = std::make_unique<WebSocketConnection::Impl>(*impl_, impl_->connect());
  impl->ws.set_option(websocket::stream_base::decorator([&headers](websocket::request_type& req) {
    for (auto [name, value] : headers) req.set(name, value);
  }));
  websocket::response_type response;
  boost::system::error_code ec = impl->run(
      [&](auto handler) {
        impl->ws.async_handshake(response, "testserver", target, std::move(handler));
      },
      "WebSocket handshake for " + std::string(target));
  impl->accepted = !ec;
  if (impl->accepted) {
    auto protocol = response.find(beast::http::field::sec_websocket_protocol);
    if (protocol != response.end()) impl->subprotocol = std::string(protocol->value());
  } else {
    // Beast stops at the response head: the body of a denial is read here.
    impl->denial.status = static_cast<int>(response.result_int());
    impl->denial.reason = std::string(response.reason());
    for (const auto& field : response) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      impl->denial.headers.add(name, field.value());
    }
    impl->denial.body = response.body();
  }
  return WebSocketConnection(std::move(impl));
}

WebSocketConnection::WebSocketConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebSocketConnection::WebSocketConnection(WebSocketConnection&&) noexcept = default;
WebSocketConnection& WebSocketConnection::operator=(WebSocketConnection&&) noexcept = default;
WebSocketConnection::~WebSocketConnection() = default;

bool WebSocketConnection::accepted() const {
  return impl_->accepted;
}

const Response& WebSocketConnection::denial() const {
  return impl_->denial;
}

std::optional<std::string> WebSocketConnection::subprotocol() const {
  return impl_->subprotocol;
}

void WebSocketConnection::send_text(std::string_view text) {
  impl_->ws.text(true);
  auto ec = impl_->run(
      [&](auto handler) { impl_->ws.async_write(net::buffer(text), std::move(handler)); },
      "WebSocket write");
  if (ec) throw std::runtime_error("asgi::testing WebSocket send: " + ec.message());
}

void WebSocketConnection::send_bytes(std::string_view bytes) {
  impl_->ws.binary(true);
  auto ec = impl_->run(
      [&](auto handler) { impl_->ws.async_write(net::buffer(bytes), std::move(handler)); },
      "WebSocket write");
  if (ec) throw std::runtime_error("asgi::testing WebSocket send: " + ec.message());
}

WebSocketConnection::Message WebSocketConnection::receive() {
  if (!impl_->accepted) throw std::runtime_error("asgi::testing WebSocket: not accepted");
  beast::flat_buffer buffer;
  auto ec = impl_->run([&](auto handler) { impl_->ws.async_read(buffer, std::move(handler)); },
                       "WebSocket message");
  if (ec) {
    impl_->close_code = ec == websocket::error::closed ? int(impl_->ws.reason().code) : 1006;
    throw std::runtime_error("asgi::testing WebSocket: the server closed the connection (" +
                             std::to_string(*impl_->close_code) + ")");
  }
  return {impl_->ws.got_text(), beast::buffers_to_string(buffer.data())};
}

std::string WebSocketConnection::receive_text() {
  Message message = receive();
  if (!message.text) throw std::runtime_error("asgi::testing WebSocket: got bytes, not text");
  return std::move(message.data);
}

std::string WebSocketConnection::receive_bytes() {
  Message message = receive();
  if (message.text) throw std::runtime_error("asgi::testing WebSocket: got text, not bytes");
  return std::move(message.data);
}

void WebSocketConnection::close(int code) {
  if (!impl_->accepted || impl_->close_code || !impl_->ws.is_open()) return;
  impl_->run(
      [&](auto handler) {
        impl_->ws.async_close(websocket::close_code(static_cast<std::uint16_t>(code)),
                              std::move(handler));
      },
      "WebSocket close");
  impl_->close_code = code;
}

std::optional<int> WebSocketConnection::close_code() const {
  return impl_->close_code;
}

}  // namespace asgi::testing
