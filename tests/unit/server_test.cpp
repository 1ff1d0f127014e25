// The server layer in process: a Worker serves one end of an in-memory stream (MemoryStream, no
// kernel and no port) and the test talks HTTP and WebSocket on the other end, driving the worker's
// event loop itself, so every case is deterministic. Covers what only the connection's own code
// decides: order of pipelined responses, writes that do not fit the stream's buffer (backpressure
// on the app), each deadline, parking and unparking, the WebSocket handoff (accepted and
// declined), and file responses through the read-and-write path a transport without sendfile uses.

#include <gtest/gtest.h>

#include <unistd.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "asgi/asgi.hpp"
#include "asgi/server/logging.hpp"
#include "asgi/server/memory_stream.hpp"
#include "asgi/server/transport.hpp"
#include "asgi/server/worker.hpp"

namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using asgi::server::Config;
using asgi::server::MemoryStream;
using asgi::server::Seconds;
using asgi::server::Worker;

// What the test apps saw, for the assertions.
struct AppLog {
  int calls = 0;
  bool big_send_returned = false;
  bool client_disconnected = false;
  bool finished = false;
};

// The client's end of the connection: non-blocking reads and writes on the memory stream, with
// the worker's event loop run between them.
class Peer {
 public:
  Peer(MemoryStream stream, net::io_context& context)
      : stream_(std::move(stream)), context_(context) {}

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
      boost::system::error_code ec;
      data.remove_prefix(stream_.write_now(net::buffer(data), ec));
      ASSERT_FALSE(ec) << ec.message();
      context_.restart();
      context_.poll();
    }
  }
  /// Takes what arrived into received().
  void pump() {
    char chunk[64 * 1024];
    for (;;) {
      boost::system::error_code ec;
      std::size_t n = stream_.read_now(net::buffer(chunk), ec);
      received_.append(chunk, n);
      if (ec == net::error::eof) eof_ = true;
      if (n == 0) return;
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
  /// The client goes away: the server reads end of stream and its writes fail.
  void close() { stream_.close(); }

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

  MemoryStream stream_;
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

  // Serves one end of a fresh memory stream; the returned Peer holds the other.
  std::unique_ptr<Peer> connect(const asgi::App& app) {
    app_ = app;
    worker_ = std::make_unique<Worker>(config_, app_);
    auto [server_end, client_end] =
        MemoryStream::make_pair(worker_->context().get_executor(), buffer_size_);
    asgi::server::Transport::Peers peers{asgi::Address{"10.0.0.7", 50000},
                                         asgi::Address{"10.0.0.1", 8000}, "10.0.0.7:50000"};
    worker_->serve(asgi::server::Transport(std::move(server_end), std::move(peers)));
    return std::make_unique<Peer>(std::move(client_end), worker_->context());
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
  peer->close();
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

TEST_F(ServerLayer, ScopeNamesThePeersTheTransportReports) {
  auto app = [this](asgi::Scope scope, asgi::Receive receive,
                    asgi::Send send) -> net::awaitable<void> {
    ++log_.calls;
    co_await receive();
    co_await send(asgi::HttpResponseStart(200, {}));
    co_await send(asgi::HttpResponseBody(
        scope.client->host + ":" + std::to_string(*scope.client->port) + " " + scope.server->host +
        ":" + std::to_string(*scope.server->port)));
  };
  auto peer = connect(app);
  peer->send(get("/"));
  EXPECT_EQ(body_of(peer->response()), "10.0.0.7:50000 10.0.0.1:8000");
}

// A file response over a transport without sendfile (the memory stream) goes through the
// read-and-write path, a piece at a time as the 4 KiB buffer drains: every byte arrives in order.
TEST_F(ServerLayer, FileResponseWithoutSendfileArrivesWhole) {
  buffer_size_ = 4096;
  auto path =
      std::filesystem::temp_directory_path() / ("server_test_file_" + std::to_string(::getpid()));
  std::string content;
  for (int i = 0; content.size() < 300'000; ++i) content += std::to_string(i) + ",";
  std::ofstream(path, std::ios::binary) << content;
  auto app = [&path](asgi::Scope, asgi::Receive receive, asgi::Send send) -> net::awaitable<void> {
    co_await receive();
    co_await send(asgi::HttpResponseStart(200, {{"content-type", "text/plain"}}));
    co_await send(asgi::HttpResponsePathsend(path.string()));
  };
  auto peer = connect(app);
  peer->send(get("/file"));
  std::string response = peer->response();
  std::filesystem::remove(path);
  EXPECT_NE(response.find("content-length: " + std::to_string(content.size())), std::string::npos)
      << response.substr(0, 200);
  EXPECT_EQ(body_of(response), content);
}

// A streaming response whose app listens for http.disconnect: the client leaving ends the wait.
TEST_F(ServerLayer, ReceiveAfterTheBodyReturnsDisconnectWhenTheClientLeaves) {
  auto app = [this](asgi::Scope, asgi::Receive receive, asgi::Send send) -> net::awaitable<void> {
    co_await receive();
    co_await send(asgi::HttpResponseStart(200, {}));
    co_await send(asgi::HttpResponseBody("first", true));
    asgi::Event event = co_await receive();
    log_.client_disconnected = std::holds_alternative<asgi::HttpDisconnect>(event);
    log_.finished = true;
  };
  auto peer = connect(app);
  peer->send(get("/stream"));
  ASSERT_TRUE(peer->run_until([&] { return peer->received().ends_with("first\r\n"); }))
      << peer->received();
  peer->close();
  EXPECT_TRUE(peer->run_until([&] { return log_.finished; }));
  EXPECT_TRUE(log_.client_disconnected);
}

// An app that waits in receive() while another of its coroutines sends the response (Starlette's
// StreamingResponse does this): the wait ends when the response completes, and a request the
// client pipelined meanwhile is read, kept and served next.
TEST_F(ServerLayer, WaitingReceiveEndsWithTheResponseAndKeepsPipelinedBytes) {
  using namespace net::experimental::awaitable_operators;
  auto app = [this](asgi::Scope scope, asgi::Receive receive,
                    asgi::Send send) -> net::awaitable<void> {
    ++log_.calls;
    co_await receive();
    auto listen = [&]() -> net::awaitable<void> {
      asgi::Event event = co_await receive();
      if (std::holds_alternative<asgi::HttpDisconnect>(event)) log_.finished = true;
    };
    auto respond = [&]() -> net::awaitable<void> {
      co_await send(asgi::HttpResponseStart(200, {{"content-length", "5"}}));
      net::steady_timer timer(co_await net::this_coro::executor, 30ms);
      co_await timer.async_wait(net::use_awaitable);
      co_await send(asgi::HttpResponseBody(scope.path.substr(0, 5)));
    };
    co_await (listen() && respond());
  };
  auto peer = connect(app);
  peer->send(get("/slow"));
  ASSERT_TRUE(
      peer->run_until([&] { return peer->received().find("\r\n\r\n") != std::string::npos; }));
  peer->send(get("/next"));  // arrives while the first app waits in receive()
  EXPECT_EQ(body_of(peer->response()), "/slow");
  EXPECT_TRUE(peer->run_until([&] { return log_.finished; }));
  log_.finished = false;
  EXPECT_EQ(body_of(peer->response()), "/next");
  EXPECT_TRUE(peer->run_until([&] { return log_.finished; }));
  EXPECT_EQ(log_.calls, 2);
}

// ---- the memory stream itself: a socket's behaviour, which the tests above rely on ----------

class MemoryStreamTest : public ::testing::Test {
 protected:
  net::io_context context_;
  std::pair<MemoryStream, MemoryStream> ends_ = MemoryStream::make_pair(context_.get_executor(), 8);
  MemoryStream& a_ = ends_.first;
  MemoryStream& b_ = ends_.second;
  boost::system::error_code ec_;

  void poll() {  // runs what is ready (restart: a loop that ran out of work stays stopped)
    context_.restart();
    context_.poll();
  }
};

TEST_F(MemoryStreamTest, WritesStopAtTheCapacityAndResumeAsThePeerReads) {
  EXPECT_EQ(a_.write_now(net::buffer(std::string_view("0123456789")), ec_), 8u);
  EXPECT_FALSE(ec_);
  EXPECT_EQ(a_.write_now(net::buffer(std::string_view("89")), ec_), 0u);  // full: would block
  EXPECT_FALSE(ec_);
  char buffer[5];
  EXPECT_EQ(b_.read_now(net::buffer(buffer), ec_), 5u);
  EXPECT_EQ(std::string_view(buffer, 5), "01234");
  EXPECT_EQ(a_.write_now(net::buffer(std::string_view("89")), ec_), 2u);
  EXPECT_EQ(b_.available(), 5u);
}

TEST_F(MemoryStreamTest, EndOfStreamComesAfterTheLastBytes) {
  a_.write_now(net::buffer(std::string_view("abc")), ec_);
  a_.shutdown_send();
  char buffer[8];
  EXPECT_EQ(b_.read_now(net::buffer(buffer), ec_), 3u);
  EXPECT_FALSE(ec_);
  EXPECT_EQ(b_.read_now(net::buffer(buffer), ec_), 0u);
  EXPECT_EQ(ec_, net::error::eof);
  EXPECT_EQ(b_.write_now(net::buffer(std::string_view("x")), ec_), 1u);  // half-closed only
}

TEST_F(MemoryStreamTest, WritingToAClosedPeerFails) {
  b_.close();
  a_.write_now(net::buffer(std::string_view("x")), ec_);
  EXPECT_EQ(ec_, net::error::broken_pipe);
  EXPECT_FALSE(b_.is_open());
  char buffer[1];
  EXPECT_EQ(a_.read_now(net::buffer(buffer), ec_), 0u);
  EXPECT_EQ(ec_, net::error::eof);
}

TEST_F(MemoryStreamTest, AsyncReadWaitsForThePeerAndNeverCompletesInline) {
  char buffer[4];
  std::size_t got = 0;
  bool done = false;
  b_.async_read_some(net::buffer(buffer), [&](boost::system::error_code ec, std::size_t n) {
    EXPECT_FALSE(ec);
    got = n;
    done = true;
  });
  poll();
  EXPECT_FALSE(done);
  a_.write_now(net::buffer(std::string_view("hey")), ec_);
  EXPECT_FALSE(done);  // completes through the loop, not inside the writer's call
  poll();
  EXPECT_TRUE(done);
  EXPECT_EQ(std::string_view(buffer, got), "hey");
}

TEST_F(MemoryStreamTest, CancelAndCancellationSlotsAbortWaitingOperations) {
  boost::system::error_code first, second;
  b_.async_wait_readable([&](boost::system::error_code ec) { first = ec; });
  poll();
  b_.cancel();
  poll();
  EXPECT_EQ(first, net::error::operation_aborted);

  net::cancellation_signal signal;
  char buffer[1];
  b_.async_read_some(net::buffer(buffer),
                     net::bind_cancellation_slot(signal.slot(), [&](boost::system::error_code ec,
                                                                    std::size_t) { second = ec; }));
  poll();
  signal.emit(net::cancellation_type::terminal);
  poll();
  EXPECT_EQ(second, net::error::operation_aborted);
}

TEST_F(MemoryStreamTest, WaitWritableCompletesWhenThePeerMakesRoom) {
  a_.write_now(net::buffer(std::string_view("01234567")), ec_);
  bool writable = false;
  a_.async_wait_writable([&](boost::system::error_code ec) { writable = !ec; });
  poll();
  EXPECT_FALSE(writable);
  char buffer[1];
  b_.read_now(net::buffer(buffer), ec_);
  poll();
  EXPECT_TRUE(writable);
}

}  // namespace
