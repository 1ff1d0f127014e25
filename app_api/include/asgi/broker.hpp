#pragma once
// What carries asgi::Broadcaster channels and asgi::Lease between processes. The server installs
// one when it is started with `--broadcast-url redis://...` (every worker process and every
// instance then shares the same Redis); without one, both stay inside the process. Apps never
// call this interface: they use a named Broadcaster and a Lease, which find the broker here.
// Another server embedding the app API (or a test) can install its own.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace asgi {

class Broker {
 public:
  virtual ~Broker() = default;

  /// Sends `message` to the subscribers of `channel` in every other process. Thread-safe and
  /// never waits: what cannot be sent (the broker is away) is counted and reported by the broker.
  /// This process's own subscribers are reached by the Broadcaster, not through here.
  virtual void publish(std::string_view channel, std::string_view message) = 0;

  /// Takes the lease `name` for `token` when it is free, renews it when `token` holds it, for
  /// `ttl` from now. True: `token` holds it; false: another token does; nullopt: the broker cannot
  /// tell now (unreachable or too slow). Call from a coroutine on any executor.
  virtual boost::asio::awaitable<std::optional<bool>> hold_lease(std::string name,
                                                                 std::string token,
                                                                 std::chrono::milliseconds ttl) = 0;

  /// Gives the lease up when `token` holds it, so another process can take it at once.
  virtual boost::asio::awaitable<void> release_lease(std::string name, std::string token) = 0;
};

/// Installs (or, with nullptr, removes) the process's broker. The server does this before the
/// app's lifespan starts and after it ends.
void install_broker(std::shared_ptr<Broker> broker);
/// The installed broker, or nullptr.
std::shared_ptr<Broker> installed_broker();

/// For a Broker: hands a message another process published on `channel` to this process's
/// subscribers of that channel (it is not sent out again). Thread-safe.
void deliver_from_broker(std::string_view channel, std::string message);

}  // namespace asgi
