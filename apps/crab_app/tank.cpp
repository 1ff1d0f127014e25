// The live crab tank: one tank, however many processes and instances serve crab_app.
//
//   browser --(websocket.receive {"type":"drop",x,y})--> LiveTank::on_message
//   each connection: two loops at once (asgi::toolkit::first_of): states out (its inbox on the
//   "crab_app/tank/states" channel -> send) and drops in (receive -> on_message -> reply)
//   one agent coroutine per process while anyone watches, 10 ticks/s:
//     holds the lease "crab_app/tank" -> steps the simulation, publishes the state to every viewer
//     otherwise                       -> follows the states the holder publishes
//     both: announce this process's viewer count, read drops and counts on "crab_app/tank/control"
//
// Channels and the lease are the app API's: in one process (no --broadcast-url) they stay in the
// process and the lease is always held, so the tank works as it always did. With
// `--broadcast-url redis://...` every worker and instance shares them: one process simulates, all
// show the same states, food dropped anywhere reaches the simulation, viewers are counted across
// processes (tank_crowd.hpp), and when the holder dies its lease expires (kLeaseTtl) and another
// process with viewers takes the tank over from the last state it saw.
//
// Where the agent runs: it is started by the first viewer of this process, on that connection's
// executor (one of the server's event-loop threads), and it ends by itself on the first tick that
// finds nobody watching (here, or anywhere when it simulates); the next viewer starts it again.
// So it needs neither lifespan (it works with --lifespan off) nor any shutdown hook. Other
// connections may live on other threads: they touch the shared fields only under LiveTank's
// mutex (never across a co_await), and the Broadcaster delivers on each subscriber's executor.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "asgi/broadcast.hpp"
#include "asgi/errors.hpp"
#include "asgi/events.hpp"
#include "asgi/lease.hpp"
#include "asgi/toolkit/concurrency.hpp"
#include "asgi/toolkit/websocket.hpp"
#include "crab_app/handlers.hpp"
#include "crab_app/tank_crowd.hpp"
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

using Subscription = asgi::Broadcaster::Subscription;

constexpr auto kLeaseTtl = std::chrono::milliseconds(2000);  // a dead holder is replaced by then
constexpr auto kLeaseRenewal = std::chrono::milliseconds(500);
constexpr auto kAnnounceEvery = std::chrono::seconds(1);  // well within kCrowdFreshness

// A random name for this process on the control channel.
std::string process_name() {
  std::random_device random;
  return std::to_string(random()) + "-" + std::to_string(random());
}

class LiveTank {
 public:
  asgi::Broadcaster& states() { return states_; }
  asgi::Broadcaster& control() { return control_; }
  const std::string& process() const { return process_; }

  /// A browser started watching here; starts the agent on `executor` unless one runs.
  void viewer_joined(net::any_io_executor executor);
  void viewer_left() {
    std::lock_guard lock(mutex_);
    --local_viewers_;
  }

  /// The current state, for a newly connected browser (it should not wait for the next tick):
  /// this process's simulation when it runs it, the newest state from the one that does
  /// otherwise; nullopt until the agent knows which (the next state then comes within a tick).
  std::optional<std::string> snapshot() {
    std::lock_guard lock(mutex_);
    if (!decided_) return std::nullopt;
    if (simulating_) return sim_.state_json(std::max(last_total_viewers_, local_viewers_));
    if (!sim_is_newest_ && !remote_state_.empty()) return remote_state_;
    return std::nullopt;
  }

  /// Whether the agent has asked for the lease once since it started.
  bool decided() {
    std::lock_guard lock(mutex_);
    return decided_;
  }

  /// Handles one client message; returns the reply for that client alone.
  std::string on_message(std::string_view text) {
    std::variant<tank::Drop, std::string> parsed = tank::parse_client_message(text);
    if (const auto* error = std::get_if<std::string>(&parsed))
      return reply_json({{"type", "error"}, {"detail", *error}});
    const tank::Drop drop = std::get<tank::Drop>(parsed);
    std::optional<std::int64_t> id;
    bool full = false;
    {
      std::lock_guard lock(mutex_);
      if (simulating_) {
        id = sim_.add_food(drop.x, drop.y);
        full = !id;
      } else {
        full = remote_food_count_ >= tank::kMaxFood;  // as of the last state seen
      }
    }
    if (full)
      return reply_json({{"type", "error"},
                         {"detail", "the tank already holds " + std::to_string(tank::kMaxFood) +
                                        " pieces of food: let the crabs eat first"}});
    // Another process simulates: the drop goes to it, and shows in its next state.
    if (!id) control_.publish(tank::control_message(tank::RemoteDrop{drop.x, drop.y}));
    // Everyone (the dropper included) sees the food in the next state message.
    nlohmann::ordered_json reply = {{"type", "dropped"}};
    if (id) reply["id"] = *id;
    reply["x"] = drop.x;
    reply["y"] = drop.y;
    return reply_json(reply);
  }

  // ---- for the agent ----
  std::size_t local_viewers() {
    std::lock_guard lock(mutex_);
    return local_viewers_;
  }

  /// The agent ends when nobody it serves is left: checked and recorded under the mutex that
  /// viewer_joined() takes, so a viewer arriving now starts a new agent instead.
  bool finish_if_unwatched(std::size_t total_viewers) {
    std::lock_guard lock(mutex_);
    if (local_viewers_ > 0 || total_viewers > 0) return false;
    running_ = decided_ = simulating_ = false;
    return true;
  }

  /// Whether this process runs the simulation from now on. Taking it over, it continues from the
  /// last state the previous holder published.
  void set_simulating(bool simulating) {
    std::lock_guard lock(mutex_);
    if (simulating && !simulating_ && !sim_is_newest_ && !remote_state_.empty())
      sim_.restore(remote_state_);
    if (simulating) sim_is_newest_ = true;
    simulating_ = simulating;
    decided_ = true;
  }

  /// A state from the channel: another process's, unless this one simulates (then its own).
  void saw_state(std::string state) {
    {
      std::lock_guard lock(mutex_);
      if (simulating_) return;  // its own: nothing to learn
    }
    nlohmann::json parsed = nlohmann::json::parse(state, nullptr, false);
    std::lock_guard lock(mutex_);
    if (simulating_) return;
    if (parsed.is_object() && parsed.contains("food") && parsed["food"].is_array())
      remote_food_count_ = parsed["food"].size();
    remote_state_ = std::move(state);
    sim_is_newest_ = false;
  }

  /// Food another process's browser dropped (kept only by the simulating process).
  void remote_drop(const tank::RemoteDrop& drop) {
    std::lock_guard lock(mutex_);
    if (simulating_) sim_.add_food(drop.x, drop.y);
  }

  /// One tick of the simulation, and the state to publish.
  std::string step(std::size_t total_viewers) {
    std::lock_guard lock(mutex_);
    sim_.step(tank::kTickSeconds);
    last_total_viewers_ = total_viewers;
    return sim_.state_json(total_viewers);
  }

  /// Clears running_ when an agent ends other than through finish_if_unwatched() (an exception,
  /// or its io_context destroyed while it waited).
  void agent_gone() {
    std::lock_guard lock(mutex_);
    running_ = decided_ = simulating_ = false;
  }

 private:
  std::mutex mutex_;  // guards everything below but the channels
  tank::TankSim sim_{static_cast<std::uint32_t>(Clock::now().time_since_epoch().count())};
  std::size_t local_viewers_ = 0;
  bool running_ = false;       ///< an agent runs in this process
  bool decided_ = false;       ///< and it has asked for the lease: simulating_ is meaningful
  bool simulating_ = false;    ///< it holds the lease and steps sim_
  bool sim_is_newest_ = true;  ///< sim_ is the tank (no other process simulated since)
  std::string remote_state_;   ///< the newest state another process published
  std::size_t remote_food_count_ = 0;
  std::size_t last_total_viewers_ = 0;                ///< all processes' viewers at the last step
  asgi::Broadcaster states_{"crab_app/tank/states"};  // thread-safe by themselves
  asgi::Broadcaster control_{"crab_app/tank/control"};
  const std::string process_ = process_name();
};

LiveTank& live_tank() {
  static LiveTank instance;  // process-wide: every connection, on every thread, sees one tank
  return instance;
}

// Clears the tank's running flag when the agent's frame goes away, unless it finished normally.
struct AgentGuard {
  LiveTank& tank;
  bool active = true;
  ~AgentGuard() {
    if (active) tank.agent_gone();
  }
};

// What the agent reads each tick: the newest state (for snapshots and a takeover), drops for the
// simulation, other processes' viewer counts.
void read_channels(LiveTank& tank, asgi::Broadcaster::Subscription& states,
                   asgi::Broadcaster::Subscription& control, tank::CrowdTally& crowd) {
  std::optional<std::string> newest;
  while (std::optional<std::string> state = states.try_next()) newest = std::move(state);
  if (newest) tank.saw_state(std::move(*newest));
  while (std::optional<std::string> text = control.try_next()) {
    auto message = tank::parse_control_message(*text);
    if (!message) continue;
    if (auto* drop = std::get_if<tank::RemoteDrop>(&*message))
      tank.remote_drop(*drop);
    else
      crowd.heard(std::get<tank::ViewerCount>(*message), Clock::now());
  }
}

// The process's agent: ticks at a fixed rate until nobody is watching.
net::awaitable<void> run_agent(LiveTank& tank, std::shared_ptr<Subscription> states,
                               std::shared_ptr<Subscription> control) {
  AgentGuard guard{tank};
  auto executor = co_await net::this_coro::executor;
  asgi::Lease lease("crab_app/tank", kLeaseTtl);
  tank::CrowdTally crowd(tank.process());
  net::steady_timer timer(executor);
  Clock::time_point next = Clock::now(), renew_at = next, announce_at = next;
  std::size_t announced = SIZE_MAX;
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (now >= renew_at) {
      tank.set_simulating(co_await lease.hold());
      renew_at = now + kLeaseRenewal;
    }
    read_channels(tank, *states, *control, crowd);
    const std::size_t local = tank.local_viewers();
    if (local != announced || now >= announce_at) {
      tank.control().publish(tank::control_message(tank::ViewerCount{tank.process(), local}));
      announced = local;
      announce_at = now + kAnnounceEvery;
    }
    // Simulating, it serves every process's viewers; following, only its own.
    const std::size_t total = lease.held() ? crowd.total(local, now) : local;
    if (tank.finish_if_unwatched(total)) break;
    if (lease.held()) tank.states().publish(tank.step(total));
    next += kTick;
    if (next < Clock::now()) next = Clock::now();  // fell behind: carry on, don't burst
    timer.expires_at(next);
    co_await timer.async_wait(net::as_tuple(net::use_awaitable));
  }
  guard.active = false;
  // Hand the tank over at once rather than when the lease expires.
  co_await lease.release();
}

void LiveTank::viewer_joined(net::any_io_executor executor) {
  {
    std::lock_guard lock(mutex_);
    ++local_viewers_;
    if (running_) return;
    running_ = true;
  }
  // Subscribed before the agent first runs, so that a drop this viewer sends at once is not
  // missed. Its own inboxes: states supersede each other; control messages are few (one count
  // per process per second, drops at a browser's pace), and a burst past the capacity loses the
  // oldest.
  auto states = states_.subscribe(executor, 4, asgi::Broadcaster::Overflow::drop_oldest);
  auto control = control_.subscribe(executor, 256, asgi::Broadcaster::Overflow::drop_oldest);
  auto on_exit = [](std::exception_ptr error) { log_escaped("agent", error); };
  net::co_spawn(executor, run_agent(*this, std::move(states), std::move(control)),
                std::move(on_exit));
}

// Waits (briefly) until this process's agent knows whether it simulates, so that a new viewer's
// first state is the shared tank and not this process's idle copy. The first viewer's agent runs
// on the viewer's own loop: a yield lets it start; with a broker, its first lease answer takes a
// round trip to Redis.
net::awaitable<void> wait_for_decision(LiveTank& tank) {
  auto executor = co_await net::this_coro::executor;
  co_await net::post(executor, net::use_awaitable);
  net::steady_timer timer(executor);
  for (int i = 0; i < 100 && !tank.decided(); ++i) {
    timer.expires_after(std::chrono::milliseconds(10));
    co_await timer.async_wait(net::as_tuple(net::use_awaitable));
  }
}

// Counts a browser out when its handler ends, however it ends.
struct ViewerGuard {
  LiveTank& tank;
  ~ViewerGuard() { tank.viewer_left(); }
};

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
      tank.states().subscribe(executor, kInboxCapacity, asgi::Broadcaster::Overflow::drop_oldest);
  tank.viewer_joined(executor);
  ViewerGuard counted{tank};
  co_await wait_for_decision(tank);
  if (std::optional<std::string> state = tank.snapshot())
    co_await send(asgi::toolkit::text_message(std::move(*state)));

  // Two loops at once: tank states out, drops in. The first to end (the browser left, or a send
  // found it gone) cancels the other; the server orders the two loops' sends.
  std::vector<net::awaitable<void>> loops;
  loops.push_back(forward_updates(inbox, send));
  loops.push_back(take_drops(tank, receive, send));
  co_await asgi::toolkit::first_of(std::move(loops));
}

}  // namespace apps::crab
