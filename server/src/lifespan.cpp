#include "asgi/server/lifespan.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "asgi/errors.hpp"
#include "asgi/protocol/lifespan_cycle.hpp"
#include "asgi/server/logging.hpp"
#include "asgi/wait_queue.hpp"

namespace asgi::server {

namespace net = boost::asio;
using Phase = protocol::LifespanCycle::Phase;

// The app's receive/send for the lifespan scope, plus what the server waits on.
class Lifespan::Channel final : public detail::Channel {
 public:
  net::awaitable<Event> receive() override {
    for (;;) {
      if (auto event = cycle_.next_event()) co_return std::move(*event);
      co_await app_wakeup_.wait();  // until shutdown
    }
  }

  net::awaitable<void> send(Message message) override {
    cycle_.on_send(message);
    server_wakeup_.notify_all();
    co_return;
  }

  void app_finished(std::exception_ptr error) {
    finished_ = true;
    error_ = error;
    server_wakeup_.notify_all();
  }

  void request_shutdown() {
    cycle_.request_shutdown();
    app_wakeup_.notify_all();
  }

  /// Waits until `done()` holds or `timeout` passes; false on timeout.
  template <class Predicate>
  net::awaitable<bool> wait(Predicate done, Seconds timeout) {
    auto deadline = WaitQueue::Clock::now() + to_clock(timeout);
    return server_wakeup_.wait_until(std::move(done), deadline);
  }

  const protocol::LifespanCycle& cycle() const { return cycle_; }
  bool finished() const { return finished_; }
  std::string error_message() const {
    return error_ ? describe_exception(error_) : "returned without answering lifespan.startup";
  }

 private:
  protocol::LifespanCycle cycle_;
  WaitQueue app_wakeup_;     ///< the app waits in receive() for the shutdown
  WaitQueue server_wakeup_;  ///< the server waits for the app's answers
  bool finished_ = false;
  std::exception_ptr error_;
};

Lifespan::Lifespan(net::any_io_executor executor, const App& app, const Config& config)
    : executor_(std::move(executor)), app_(app), config_(config) {}

Lifespan::~Lifespan() = default;

net::awaitable<bool> Lifespan::startup() {
  if (config_.lifespan == LifespanMode::off) co_return true;
  auto& log = log::error();
  log.info("Waiting for application startup.");
  channel_ = std::make_shared<Channel>();
  Scope scope;
  scope.type = "lifespan";
  scope.asgi.spec_version = "2.0";
  scope.state = state_;  // shared: what the app stores here is what requests get copies of
  auto run = [app = app_, scope = std::move(scope), channel = channel_]() mutable {
    return app(std::move(scope), Receive(channel), Send(channel));
  };
  net::co_spawn(executor_, std::move(run),
                [channel = channel_](std::exception_ptr error) { channel->app_finished(error); });

  Channel& channel = *channel_;
  bool answered = co_await channel.wait(
      [&] {
        Phase phase = channel.cycle().phase();
        return channel.finished() || phase == Phase::started || phase == Phase::startup_failed;
      },
      config_.timeout_lifespan_startup);
  Phase phase = channel.cycle().phase();
  if (phase == Phase::started) {
    supported_ = true;
    log.info("Application startup complete.");
    co_return true;
  }
  if (phase == Phase::startup_failed) {
    if (!channel.cycle().failure_message().empty())
      log.error("{}", channel.cycle().failure_message());
  } else if (!answered) {
    log.error("Application startup did not complete within {}s.",
              config_.timeout_lifespan_startup.count());
  } else if (config_.lifespan == LifespanMode::automatic) {
    // ASGI: an app that raises on the lifespan scope does not support it; serve anyway.
    log.info("ASGI 'lifespan' protocol appears unsupported.");
    co_return true;
  } else {
    log.error("Exception in 'lifespan' protocol: {}", channel.error_message());
  }
  log.error("Application startup failed. Exiting.");
  co_return false;
}

net::awaitable<void> Lifespan::shutdown() {
  if (!supported_) co_return;
  auto& log = log::error();
  log.info("Waiting for application shutdown.");
  Channel& channel = *channel_;
  channel.request_shutdown();
  bool answered = co_await channel.wait(
      [&] {
        return channel.finished() || channel.cycle().phase() == Phase::shutdown_done ||
               channel.cycle().phase() == Phase::shutdown_failed;
      },
      config_.timeout_lifespan_shutdown);
  Phase phase = channel.cycle().phase();
  if (phase == Phase::shutdown_done) {
    log.info("Application shutdown complete.");
  } else if (phase == Phase::shutdown_failed) {
    if (!channel.cycle().failure_message().empty())
      log.error("{}", channel.cycle().failure_message());
    log.error("Application shutdown failed. Exiting.");
  } else if (!answered) {
    log.error("Application shutdown did not complete within {}s.",
              config_.timeout_lifespan_shutdown.count());
  } else {
    log.error("Exception in 'lifespan' protocol: {}", channel.error_message());
    log.error("Application shutdown failed. Exiting.");
  }
}

}  // namespace asgi::server
