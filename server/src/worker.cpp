#include "asgi/server/worker.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "asgi/server/connection.hpp"
#include "asgi/server/logging.hpp"

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
  serve(Transport(std::move(socket)));
}

void Worker::serve(Transport transport) {
  std::make_shared<Connection>(std::move(transport), *this)->start();
}

void Worker::start() {
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
    for (Connection* connection : connections_) connection->begin_shutdown();
  });
}

void Worker::cancel_connections() {
  boost::asio::post(context_, [this] {
    for (Connection* connection : connections_) connection->cancel();
  });
}

}  // namespace asgi::server
