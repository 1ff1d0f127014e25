#pragma once
// Runs the app's lifespan scope: startup before anything is served, shutdown after connections
// are drained, each bounded by a timeout. Log lines mirror Uvicorn's.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <memory>

#include "asgi/app.hpp"
#include "asgi/server/config.hpp"

namespace asgi::server {

class Lifespan {
 public:
  Lifespan(boost::asio::any_io_executor executor, const App& app, const Config& config);
  ~Lifespan();

  /// Runs lifespan.startup. False when the server must not start (exit status 3).
  boost::asio::awaitable<bool> startup();
  /// Runs lifespan.shutdown (if the app supports lifespan).
  boost::asio::awaitable<void> shutdown();
  /// The namespace the app filled at startup; every request scope gets a shallow copy.
  const State& state() const { return state_; }

 private:
  class Channel;
  boost::asio::any_io_executor executor_;
  const App& app_;
  const Config& config_;
  State state_ = State::shared_namespace();  // shared with the lifespan scope
  std::shared_ptr<Channel> channel_;
  bool supported_ = false;
};

}  // namespace asgi::server
