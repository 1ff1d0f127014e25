#include "asgi/server/worker.hpp"

#include <sys/socket.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "asgi/server/connection.hpp"
#include "asgi/server/logging.hpp"
#include "asgi/server/tls_context.hpp"

namespace asgi::server {

Worker::Worker(const Config& config, const App& app, ProcessLoad* load)
    : config_(config), app_(app), load_(load) {
  if (const AppFunction* function = app.target<AppFunction>()) app_function_ = *function;
  response_defaults_.date_header = config.date_header;
  response_defaults_.server_header = config.server_header;
  for (const auto& [name, value] : config.default_headers) {
    if (name == "server") response_defaults_.server_header = false;  // replaced, not doubled
    extra_headers_ += name + ": " + value + "\r\n";
  }
  response_defaults_.extra_headers = extra_headers_;
}

void Worker::serve(boost::asio::generic::stream_protocol::socket socket) {
  if (!tls_) return serve(Transport(std::move(socket)));
  try {
    serve(Transport(std::move(socket), tls_->current()));
  } catch (const std::exception& error) {  // out of memory in OpenSSL: this connection only
    log::error().error("Cannot serve a connection: {}", error.what());
  }
}

void Worker::serve(Transport transport) {
  std::make_shared<Connection>(std::move(transport), *this)->start();
}

void Worker::listen_on(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  int protocol = address.ss_family == AF_UNIX ? 0 : IPPROTO_TCP;
  acceptors_.push_back(std::make_unique<Acceptor>(
      context_, boost::asio::generic::stream_protocol(address.ss_family, protocol), fd));
}

// Accepts onto this worker's own loop: a connection lives on the thread that accepted it.
boost::asio::awaitable<void> Worker::accept_loop(std::size_t index) {
  Acceptor& acceptor = *acceptors_[index];
  for (;;) {
    auto [ec, socket] =
        co_await acceptor.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec == boost::asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // EMFILE and friends: back off instead of spinning (Asio's throttling_proxy example).
      log::error().warn("Accept failed: {}", ec.message());
      boost::asio::steady_timer pause(context_, std::chrono::milliseconds(100));
      co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      continue;
    }
    serve(std::move(socket));
  }
}

// --loop-lag-warn: the loop stores the time each time it gets to run this; the watchdog thread
// reads it. Four beats per threshold, so a stall is seen soon after it passes the threshold.
// With --metrics-bind, how late the timer fires is the loop's lag, observed into a histogram.
boost::asio::awaitable<void> Worker::heartbeat() {
  const auto interval = config_.loop_lag_warn.count() > 0
                            ? to_clock(config_.loop_lag_warn) / 4
                            : std::chrono::steady_clock::duration(std::chrono::milliseconds(100));
  boost::asio::steady_timer tick(context_);
  for (;;) {  // until the loop stops: a graceful shutdown's drain is watched too
    activity_.beat();
    tick.expires_after(interval);
    co_await tick.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (metrics_)
      metrics_->loop_lag.observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - tick.expiry()).count());
  }
}

void Worker::start() {
  activity_.beat();
  if (config_.loop_lag_warn.count() > 0 || metrics_)
    boost::asio::co_spawn(context_, heartbeat(), log::LogEscapedException{"heartbeat"});
  for (std::size_t i = 0; i < acceptors_.size(); ++i)
    boost::asio::co_spawn(context_, accept_loop(i), log::LogEscapedException{"accept loop"});
  thread_ = std::thread([this] {
    auto guard = boost::asio::make_work_guard(context_);
    context_.run();
  });
}

void Worker::stop() {
  context_.stop();
  if (thread_.joinable()) thread_.join();
}

void Worker::add(Connection* connection) {
  connections_.insert(connection);
  ++connection_count_;
}

void Worker::remove(Connection* connection) {
  connections_.erase(connection);
  --connection_count_;
}

void Worker::begin_shutdown() {
  if (shutting_down_.exchange(true)) return;  // --limit-max-requests may have begun it already
  boost::asio::post(context_, [this] {
    boost::system::error_code ignored;
    for (auto& acceptor : acceptors_) acceptor->close(ignored);  // new connections are refused
    for (Connection* connection : connections_) connection->begin_shutdown();
  });
}

void Worker::cancel_connections() {
  boost::asio::post(context_, [this] {
    for (Connection* connection : connections_) connection->cancel();
  });
}

}  // namespace asgi::server
