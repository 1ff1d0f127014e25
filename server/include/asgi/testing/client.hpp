#pragma once
// A test client for apps: drives an app through the real server (the same connection, HTTP and
// WebSocket code that serves sockets) over an in-memory stream, with no port and no thread, from
// an ordinary GoogleTest test. What the app may and may not send is decided exactly as in
// production: a response the server would refuse fails here the same way.
//
//   asgi::testing::Client client(my_app);                  // or Client::for_registered("my_app")
//   client.startup();                                       // lifespan, if the app uses it
//   asgi::testing::Response r = client.get("/notes?limit=2");
//   EXPECT_EQ(r.status, 200);
//   EXPECT_EQ(r.header("content-type"), "application/json");
//   auto ws = client.websocket("/chat");
//   ws.send_text("hi");
//   EXPECT_EQ(ws.receive_text(), "hi");
//
// Every call runs the server's event loop on the calling thread until its answer is there (or
// the client's timeout passes: std::runtime_error), so an app that awaits receive() simply waits
// until the test sends. Requests get scope client ("testclient", 50000) and server
// ("testserver", 80), as Starlette's test client gives them. Link asgiserver::testing.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "asgi/app.hpp"
#include "asgi/headers.hpp"
#include "asgi/state.hpp"

namespace asgi::testing {

struct Response {
  int status = 0;
  std::string reason;
  Headers headers;  ///< names lowercased, in the order received
  std::string body;
  /// The first value of header `name` (lowercase), or "" when absent.
  std::string_view header(std::string_view name) const;
};

struct ClientOptions {
  /// How long one call may wait for the app before it fails.
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
  std::string root_path;  ///< as --root-path
};

class WebSocketConnection;

class Client {
 public:
  explicit Client(App app, ClientOptions options = {});
  /// The app registered (ASGI_REGISTER_APP) under `name`; std::invalid_argument when there is none.
  static Client for_registered(std::string_view name, ClientOptions options = {});
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  ~Client();

  // ---- HTTP: one connection per request; the body and headers as given ----------------------
  Response request(std::string_view method, std::string_view target, std::string body = {},
                   const Headers& headers = {});
  Response get(std::string_view target, const Headers& headers = {});
  Response post(std::string_view target, std::string body, const Headers& headers = {});

  // ---- WebSocket ------------------------------------------------------------------------------
  /// Opens a WebSocket; when the app denies it, accepted() is false and denial() holds the
  /// response the app sent (403 when it sent none).
  WebSocketConnection websocket(std::string_view target, const Headers& headers = {});

  // ---- lifespan -------------------------------------------------------------------------------
  /// Runs lifespan.startup; std::runtime_error when the app reports a failure.
  void startup();
  /// Runs lifespan.shutdown.
  void shutdown();
  /// The state the app set at startup (shared with every later request's scope).
  const State& state() const;

 private:
  friend class WebSocketConnection;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class WebSocketConnection {
 public:
  WebSocketConnection(WebSocketConnection&&) noexcept;
  WebSocketConnection& operator=(WebSocketConnection&&) noexcept;
  ~WebSocketConnection();

  bool accepted() const;
  /// The app's denial response (websocket.http.response, or the server's 403).
  const Response& denial() const;
  /// The subprotocol the app accepted with, if any.
  std::optional<std::string> subprotocol() const;

  void send_text(std::string_view text);
  void send_bytes(std::string_view bytes);
  struct Message {
    bool text = true;
    std::string data;
  };
  /// The next message; std::runtime_error when the server closed instead (see close_code()).
  Message receive();
  std::string receive_text();   ///< receive(), requiring a text message
  std::string receive_bytes();  ///< receive(), requiring a binary message
  /// Closes with `code` and waits for the server's reply.
  void close(int code = 1000);
  /// After the server closed the connection: its close code (1006 when it dropped it).
  std::optional<int> close_code() const;

 private:
  friend class Client;
  struct Impl;
  explicit WebSocketConnection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace asgi::testing
