// The server layer in process: a Worker serves one end of a socket pair and the test talks HTTP
// and WebSocket on the other end, driving the worker's event loop itself, so every case is
// deterministic and needs no port. Covers what only the connection's own code decides: order of
// pipelined responses, writes that do not fit the socket buffer (backpressure on the app), each
// deadline, parking and unparking, and the WebSocket handoff (accepted and declined).

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/generic/stream_protocol.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "asgi/asgi.hpp"
#include "asgi/server/logging.hpp"
#include "asgi/server/worker.hpp"

namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using asgi::server::Config;
using asgi::server::Seconds;
using asgi::server::Worker;

// What the test apps saw, for the assertions.
struct AppLog {
  int calls = 0;
  bool big_send_returned = false;
  bool client_disconnected = false;
  bool finished = false;
};

// The other end of the connection: plain non-blocking socket calls, with the worker's event loop
// run between them.
class Peer {
 public:
  Peer(int fd, net::io_context& context) : fd_(fd), context_(context) {}
  ~Peer() { ::close(fd_); }

  /// Runs the server's loop until `done()` (true) or `limit` passes (false).
  template <class Done>
  bool run_until(Done done, std::chrono::milliseconds limit = 3000ms) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= end) return false;
      context_.restart();
      context_.run_for(1ms);
      pump();
    }
    return true;
  }
  void run_for(std::chrono::milliseconds time) {
    run_until([] { return false; }, time);
  }
  void send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) data.remove_prefix(static_cast<std::size_t>(n));
      context_.restart();
      context_.poll();
    }
  }
  /// Takes what arrived into received().
  void pump() {
    char chunk[64 * 1024];
    for (;;) {
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
      if (n > 0) {
        received_.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) eof_ = true;
      return;
    }
  }
  /// The next complete response (its head and content-length body), or "" after 3 s.
  std::string response() {
    std::string result;
    run_until([&] { return take_response(result); });
    return result;
  }
  std::string& received() { return received_; }
  bool eof() const { return eof_; }
  int fd() const { return fd_; }

 private:
  bool take_response(std::string& out) {
    std::size_t end = received_.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    std::size_t body = 0;
    std::size_t at = received_.find("content-length: ");
    if (at != std::string::npos && at < end) body = std::stoul(received_.substr(at + 16));
    if (received_.size() < end + 4 + body) return false;
    out = received_.substr(0, end + 4 + body);
    received_.erase(0, out.size());
    return true;
  }

  int fd_;
  net::io_context& context_;
  std::string received_;
  bool eof_ = false;
};

std::string body_of(const std::string& response) {
  return response.substr(response.find("\r\n\r\n") + 4);
}

std::string get(std::string_view path, std::string_view extra = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: t\r\n" + std::string(extra) + "\r\n";
}

class ServerLayer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    asgi::server::log::setup(asgi::server::LogLevel::critical, false);
  }

  // Serves one end of a fresh socket pair; the returned Peer holds the other.
  std::unique_ptr<Peer> connect(const asgi::App& app) {
    app_ = app;
    worker_ = std::make_unique<Worker>(config_, app_);
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    for (int fd : fds) {  // small buffers: a few KiB make a write not fit
      int size = buffer_size_;
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    net::generic::stream_protocol::socket socket(worker_->context(),
                                                 net::generic::stream_protocol(AF_UNIX, 0), fds[0]);
    worker_->serve(std::move(socket));
    return std::make_unique<Peer>(fds[1], worker_->context());
  }

  Config config_;
  int buffer_size_ = 64 * 1024;
  asgi::App app_;
  std::unique_ptr<Worker> worker_;
  AppLog log_;
};

// Reads the body, then answers with its path (50 ms later for `?slow`: an app taking its time).
asgi::App path_app(AppLog& log) {
  return [&log](asgi::Scope scope, asgi::Receive receive, asgi::Send send) -> net::awaitable<void> {
    ++log.calls;
    for (;;) {  // the whole body
      asgi::Event event = co_await receive();
      auto* request = std::get_if<asgi::HttpRequest>(&event);
      if (!request || !request->more_body) break;
    }
    if (scope.query_string == "slow") {
      net::steady_timer timer(co_await net::this_coro::executor, 50ms);
      co_await timer.async_wait(net::use_awaitable);
    }
    co_await send(asgi::HttpResponseStart(200, {{"content-type", "text/plain"}}));
    co_await send(asgi::HttpResponseBody(scope.path));
  };
}

// Sends one body of `size` bytes and records when send() returned or the client was gone.
asgi::App big_app(AppLog& log, std::size_t size) {
  return [&log, size](asgi::Scope, asgi::Receive, asgi::Send send) -> net::awaitable<void> {
    try {
      co_await send(asgi::HttpResponseStart(200, {}));
      co_await send(asgi::HttpResponseBody(std::string(size, 'x')));
      log.big_send_returned = true;
    } catch (const asgi::ClientDisconnected&) {
      log.client_disconnected = true;
    }
  };
}

TEST(ServerTimeouts, DefaultKeepAliveIsFiveSeconds) {
  EXPECT_EQ(Config{}.timeout_keep_alive, Seconds(5.0));
}

TEST_F(ServerLayer, PipelinedResponsesKeepRequestOrder) {
  auto peer = connect(path_app(log_));
  // The first app takes longer than the others: its response must still come first.
  peer->send(get("/one?slow") + get("/two") + get("/three?slow") + get("/four"));
  EXPECT_EQ(body_of(peer->response()), "/one");
  EXPECT_EQ(body_of(peer->response()), "/two");
  EXPECT_EQ(body_of(peer->response()), "/three");
  EXPECT_EQ(body_of(peer->response()), "/four");
  EXPECT_EQ(log_.calls, 4);
}

TEST_F(ServerLayer, PartialWritesArriveWholeAndHoldTheAppBack) {
  buffer_size_ = 4096;
  constexpr std::size_t size = 1 << 20;
  auto peer = connect(big_app(log_, size));
  peer->send(get("/"));
  // The peer does not read: the response cannot fit, so the app's send() must not return.
  for (int i = 0; i < 50; ++i) {
    worker_->context().restart();
    worker_->context().run_for(1ms);
  }
  EXPECT_FALSE(log_.big_send_returned);
  std::string response = peer->response();
  ASSERT_FALSE(response.empty());
  EXPECT_EQ(body_of(response), std::string(size, 'x'));
  EXPECT_TRUE(peer->run_until([&] { return log_.big_send_returned; }));
}

TEST_F(ServerLayer, KeepAliveTimeoutClosesAnIdleConnection) {
  config_.timeout_keep_alive = Seconds(0.2);
  auto peer = connect(path_app(log_));
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(peer->run_until([&] { return peer->eof(); }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
  EXPECT_EQ(log_.calls, 0);
}

TEST_F(ServerLayer, HeaderTimeoutAnswers408) {
  config_.timeout_request_header = Seconds(0.2);
  auto peer = connect(path_app(log_));
  peer->send("GET / HTTP/1.1\r\nHost: t\r\n");  // never finished
  EXPECT_TRUE(peer->run_until([&] { return peer->eof(); }));
  EXPECT_TRUE(peer->received().starts_with("HTTP/1.1 408 "));
  EXPECT_EQ(log_.calls, 0);
}

TEST_F(ServerLayer, BodyTimeoutEndsTheRequest) {
  config_.timeout_body_read = Seconds(0.2);
  auto peer = connect(path_app(log_));
  peer->send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_TRUE(peer->run_until([&] { return peer->eof(); }));
  EXPECT_TRUE(peer->received().starts_with("HTTP/1.1 408 ")) << peer->received();
}

TEST_F(ServerLayer, SendTimeoutGivesUpOnAClientThatDoesNotRead) {
  buffer_size_ = 4096;
  config_.timeout_send = Seconds(0.2);
  auto peer = connect(big_app(log_, 1 << 20));
  peer->send(get("/"));
  bool gone = false;
  auto end = std::chrono::steady_clock::now() + 3s;
  while (!gone && std::chrono::steady_clock::now() < end) {  // run without reading
    worker_->context().restart();
    worker_->context().run_for(1ms);
    gone = log_.client_disconnected;
  }
  EXPECT_TRUE(gone);
  EXPECT_FALSE(log_.big_send_returned);
}

TEST_F(ServerLayer, IdleConnectionParksAndWakesForItsNextRequest) {
  auto peer = connect(path_app(log_));
  peer->send(get("/first"));
  EXPECT_EQ(body_of(peer->response()), "/first");
  EXPECT_TRUE(peer->run_until([&] { return worker_->parks() == 1; }));  // 25 ms after the first
  peer->send(get("/second"));
  EXPECT_EQ(body_of(peer->response()), "/second");
  EXPECT_FALSE(peer->eof());
}

TEST_F(ServerLayer, ParkedConnectionStillHonoursTheKeepAliveTimeout) {
  config_.timeout_keep_alive = Seconds(0.3);
  auto peer = connect(path_app(log_));
  peer->send(get("/first"));
  EXPECT_EQ(body_of(peer->response()), "/first");
  EXPECT_TRUE(peer->run_until([&] { return worker_->parks() == 1; }));
  EXPECT_TRUE(peer->run_until([&] { return peer->eof(); }));
}

constexpr std::string_view websocket_handshake =
    "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

TEST_F(ServerLayer, UpgradeHandsTheConnectionToTheWebSocket) {
  auto app = [this](asgi::Scope scope, asgi::Receive receive,
                    asgi::Send send) -> net::awaitable<void> {
    ++log_.calls;
    EXPECT_EQ(scope.type, "websocket");
    co_await receive();  // websocket.connect
    co_await send(asgi::WebSocketAccept());
    asgi::Event event = co_await receive();
    auto* message = std::get_if<asgi::WebSocketReceive>(&event);
    if (message && message->text) co_await send(asgi::WebSocketSend(std::nullopt, *message->text));
    asgi::Event last = co_await receive();
    EXPECT_TRUE(std::holds_alternative<asgi::WebSocketDisconnect>(last));
    log_.finished = true;
  };
  auto peer = connect(app);
  peer->send(websocket_handshake);
  std::string head;
  ASSERT_TRUE(
      peer->run_until([&] { return peer->received().find("\r\n\r\n") != std::string::npos; }));
  EXPECT_TRUE(peer->received().starts_with("HTTP/1.1 101 "));
  EXPECT_NE(peer->received().find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos);
  peer->received().erase(0, peer->received().find("\r\n\r\n") + 4);
  // A masked text frame "hi" (mask 0x00000000 keeps the payload readable).
  peer->send(std::string("\x81\x82\x00\x00\x00\x00hi", 8));
  ASSERT_TRUE(peer->run_until([&] { return peer->received().size() >= 4; }));
  EXPECT_EQ(peer->received().substr(0, 4), std::string("\x81\x02hi", 4));
  EXPECT_EQ(log_.calls, 1);
  // The client leaves: the app gets its disconnect and the connection ends with it.
  ::shutdown(peer->fd(), SHUT_RDWR);
  EXPECT_TRUE(peer->run_until([&] { return log_.finished && worker_->connection_count() == 0; }));
}

TEST_F(ServerLayer, DeclinedUpgradeIsServedAsHttpAndKeepsTheConnection) {
  auto app = [this](asgi::Scope scope, asgi::Receive receive,
                    asgi::Send send) -> net::awaitable<void> {
    ++log_.calls;
    if (scope.type != "http") throw std::runtime_error("HTTP only");
    co_await receive();
    co_await send(asgi::HttpResponseStart(200, {}));
    co_await send(asgi::HttpResponseBody("plain " + scope.path));
  };
  auto peer = connect(app);
  peer->send(websocket_handshake);
  std::string response = peer->response();
  EXPECT_TRUE(response.starts_with("HTTP/1.1 200 ")) << response;
  EXPECT_EQ(body_of(response), "plain /ws");
  peer->send(get("/after"));
  EXPECT_EQ(body_of(peer->response()), "plain /after");
  EXPECT_EQ(log_.calls, 3);  // websocket (declined), the same request as http, the next one
}

}  // namespace
