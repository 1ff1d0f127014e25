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
// connections may live on other threads: they touch the shared state only through LiveTank
// (live_tank.hpp), and the Broadcaster delivers on each subscriber's executor.

#include <chrono>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
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

#include "asgi/broadcast.hpp"
#include "asgi/errors.hpp"
#include "asgi/events.hpp"
#include "asgi/lease.hpp"
#include "asgi/toolkit/concurrency.hpp"
#include "asgi/toolkit/websocket.hpp"
#include "crab_app/handlers.hpp"
#include "crab_app/live_tank.hpp"
#include "crab_app/tank_crowd.hpp"

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

using Subscription = asgi::Broadcaster::Subscription;

constexpr auto kLeaseTtl = std::chrono::milliseconds(2000);  // a dead holder is replaced by then
constexpr auto kLeaseRenewal = std::chrono::milliseconds(500);
constexpr auto kAnnounceEvery = std::chrono::seconds(1);  // well within kCrowdFreshness

// Clears the tank's running flag when the agent's frame goes away, unless it finished normally.
struct AgentGuard {
  LiveTank& tank;
  bool active = true;
  ~AgentGuard() {
    if (active) tank.agent_gone();
  }
};

// What the agent reads each tick: the newest state (to continue from on a takeover), drops for the
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

// Starts the process's agent on `executor` (a viewer's), subscribed before it first runs, so
// that a drop this viewer sends at once is not missed. Its own inboxes: states supersede each
// other; control messages are few (one count per process per second, drops at a browser's pace),
// and a burst past the capacity loses the oldest.
void start_agent(LiveTank& tank, net::any_io_executor executor) {
  auto states = tank.states().subscribe(executor, 4, asgi::Broadcaster::Overflow::drop_oldest);
  auto control = tank.control().subscribe(executor, 256, asgi::Broadcaster::Overflow::drop_oldest);
  auto on_exit = [](std::exception_ptr error) { log_escaped("agent", error); };
  net::co_spawn(executor, run_agent(tank, std::move(states), std::move(control)),
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
  if (tank.viewer_joined()) start_agent(tank, executor);
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
