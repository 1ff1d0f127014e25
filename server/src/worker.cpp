#include "asgi/server/worker.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include "asgi/server/connection.hpp"
#include "asgi/server/logging.hpp"

namespace asgi::server {

Worker::Worker(const Config& config, const App& app) : config_(config), app_(app) {
  response_defaults_.date_header = config.date_header;
  response_defaults_.server_header = config.server_header;
}

void Worker::serve(boost::asio::ip::tcp::socket socket) {
  auto connection = std::make_shared<Connection>(std::move(socket), *this);
  // The function object (and with it the connection) lives as long as the coroutine runs.
  auto run = [connection] { return connection->run(); };
  boost::asio::co_spawn(context_, std::move(run), log::LogEscapedException{"connection"});
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

}  // namespace asgi::server
