// The live crab tank: one simulation per process, shared by every browser on /ws/tank.
//
//   browser --(websocket.receive {"type":"drop",x,y})--> LiveTank::on_message  (adds food)
//   driver coroutine, 10 ticks/s: step the simulation, publish the state JSON on the Broadcaster
//   each connection: two loops at once (asgi::toolkit::first_of), its forwarder
//   (inbox->next() -> send) and its drops (receive -> LiveTank::on_message -> reply)
//
// Where the driver runs: it is started lazily by the first tank connection, on that connection's
// executor (one of the server's event-loop threads), and it ends by itself on the first tick that
// finds nobody subscribed; the next connection starts it again. So it needs neither lifespan
// (it works with --lifespan off) nor any shutdown hook: when the server closes the WebSockets at
// shutdown, the driver notices at its next tick and returns. Other connections may live on other
// threads: they only touch the simulation under LiveTank's mutex (never across a co_await), and
// the Broadcaster delivers each message on the subscriber's own executor.

#include <chrono>
#include <exception>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "asgi/broadcast.hpp"
#include "asgi/errors.hpp"
#include "asgi/events.hpp"
#include "asgi/toolkit/concurrency.hpp"
#include "asgi/toolkit/websocket.hpp"
#include "crab_app/handlers.hpp"
#include "crab_app/tank_sim.hpp"

namespace apps::crab {

namespace {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kInboxCapacity = 8;  // states supersede each other: old ones are worthless
constexpr auto kTick =
    std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(tank::kTickSeconds));

// Logs an exception that escaped a detached coroutine (ClientDisconnected is the normal end of a
// connection and stays silent).
void log_escaped(std::string_view what, std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const asgi::ClientDisconnected&) {
  } catch (...) {
    std::cerr << "crab_app tank: " << what << " failed: " << asgi::describe_exception(error)
              << '\n';
  }
}

std::string reply_json(const nlohmann::ordered_json& reply) {
  return reply.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

class LiveTank {
 public:
  asgi::Broadcaster& hub() { return hub_; }

  /// The current state, for a newly connected browser (it should not wait for the next tick).
  std::string snapshot() {
    std::lock_guard lock(mutex_);
    return sim_.state_json(hub_.subscriber_count());
  }

  /// One tick: the next state to broadcast, or nullopt when nobody is watching; the driver must
  /// then stop (driving_ is already cleared, so the next subscriber starts a new one).
  std::optional<std::string> tick() {
    std::lock_guard lock(mutex_);
    const std::size_t viewers = hub_.subscriber_count();
    if (viewers == 0) {
      driving_ = false;
      return std::nullopt;
    }
    sim_.step(tank::kTickSeconds);
    return sim_.state_json(viewers);
  }

  /// Handles one client message; returns the reply for that client alone.
  std::string on_message(std::string_view text) {
    std::variant<tank::Drop, std::string> parsed = tank::parse_client_message(text);
    if (const auto* error = std::get_if<std::string>(&parsed))
      return reply_json({{"type", "error"}, {"detail", *error}});
    const tank::Drop drop = std::get<tank::Drop>(parsed);
    std::optional<std::int64_t> id;
    {
      std::lock_guard lock(mutex_);
      id = sim_.add_food(drop.x, drop.y);
    }
    if (!id)
      return reply_json({{"type", "error"},
                         {"detail", "the tank already holds " + std::to_string(tank::kMaxFood) +
                                        " pieces of food: let the crabs eat first"}});
    // Everyone (the dropper included) sees the food in the next state message.
    return reply_json({{"type", "dropped"}, {"id", *id}, {"x", drop.x}, {"y", drop.y}});
  }

  /// Starts the driver on `executor` unless one is running. Call after subscribing: the driver
  /// checks for subscribers under the same mutex, so it can never stop unseen by this call.
  void ensure_driver(net::any_io_executor executor);

  /// Clears driving_ when a driver ends other than through tick() (an exception, or its
  /// io_context destroyed while it waited).
  void driver_gone() {
    std::lock_guard lock(mutex_);
    driving_ = false;
  }

 private:
  std::mutex mutex_;  // guards sim_ and driving_
  tank::TankSim sim_{static_cast<std::uint32_t>(Clock::now().time_since_epoch().count())};
  bool driving_ = false;
  asgi::Broadcaster hub_;  // thread-safe by itself
};

LiveTank& live_tank() {
  static LiveTank instance;  // process-wide: every connection, on every thread, sees one tank
  return instance;
}

// Clears the tank's driving flag when the driver's frame goes away, unless tick() already did.
struct DriverGuard {
  LiveTank& tank;
  bool active = true;
  ~DriverGuard() {
    if (active) tank.driver_gone();
  }
};

// The one driver coroutine: ticks at a fixed rate until nobody is watching.
net::awaitable<void> drive(LiveTank& tank) {
  DriverGuard guard{tank};
  net::steady_timer timer(co_await net::this_coro::executor);
  Clock::time_point next = Clock::now();
  for (;;) {
    std::optional<std::string> state = tank.tick();
    if (!state) {
      guard.active = false;  // tick() cleared the flag under the lock
      co_return;
    }
    tank.hub().publish(std::move(*state));
    next += kTick;
    const Clock::time_point now = Clock::now();
    if (next < now) next = now;  // fell behind (a busy loop): carry on, don't burst to catch up
    timer.expires_at(next);
    co_await timer.async_wait(net::as_tuple(net::use_awaitable));
  }
}

void LiveTank::ensure_driver(net::any_io_executor executor) {
  {
    std::lock_guard lock(mutex_);
    if (driving_) return;
    driving_ = true;
  }
  auto on_exit = [](std::exception_ptr error) { log_escaped("driver", error); };
  net::co_spawn(executor, drive(*this), std::move(on_exit));
}

// Sends every published state to this browser until the inbox is closed.
net::awaitable<void> forward_updates(std::shared_ptr<asgi::Broadcaster::Subscription> inbox,
                                     asgi::Send send) {
  while (std::optional<std::string> state = co_await inbox->next())
    co_await send(asgi::toolkit::text_message(std::move(*state)));
}

// Takes the browser's drops until it leaves; each gets its reply (to this browser alone).
net::awaitable<void> take_drops(LiveTank& tank, asgi::Receive receive, asgi::Send send) {
  co_await asgi::toolkit::message_loop(
      std::move(receive), [&tank, send](asgi::WebSocketReceive message) -> net::awaitable<void> {
        std::string text = message.text ? std::move(*message.text) : message.bytes.value_or("");
        co_await send(asgi::toolkit::text_message(tank.on_message(text)));
      });
}

}  // namespace

boost::asio::awaitable<void> tank_websocket(asgi::Receive receive, asgi::Send send) {
  if (!co_await asgi::toolkit::accept(receive, send)) co_return;

  LiveTank& tank = live_tank();
  net::any_io_executor executor = co_await net::this_coro::executor;
  // Subscribe before the snapshot, so no state between the two is missed. States supersede each
  // other: a browser that reads slowly gets the latest ones (drop_oldest), never a growing queue.
  std::shared_ptr<asgi::Broadcaster::Subscription> inbox =
      tank.hub().subscribe(executor, kInboxCapacity, asgi::Broadcaster::Overflow::drop_oldest);
  tank.ensure_driver(executor);
  co_await send(asgi::toolkit::text_message(tank.snapshot()));

  // Two loops at once: tank states out, drops in. The first to end (the browser left, or a send
  // found it gone) cancels the other; the server orders the two loops' sends.
  std::vector<net::awaitable<void>> loops;
  loops.push_back(forward_updates(inbox, send));
  loops.push_back(take_drops(tank, receive, send));
  co_await asgi::toolkit::first_of(std::move(loops));
}

}  // namespace apps::crab
