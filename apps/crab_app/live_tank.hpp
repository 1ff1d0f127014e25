#pragma once
// The crab tank's shared state in one process: the simulation (when this process runs it), the
// newest state another process published (when it does not), and the viewers here. Every
// connection, on every event-loop thread, and the process's agent (tank.cpp) go through it, under
// one mutex that is never held across a co_await. No I/O here: tank.cpp moves the messages.

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "asgi/broadcast.hpp"
#include "crab_app/tank_crowd.hpp"
#include "crab_app/tank_sim.hpp"

namespace apps::crab {

class LiveTank {
 public:
  LiveTank();
  asgi::Broadcaster& states() { return states_; }    ///< "crab_app/tank/states": to every viewer
  asgi::Broadcaster& control() { return control_; }  ///< "crab_app/tank/control": drops, counts
  const std::string& process() const { return process_; }  ///< this process on the control channel

  /// A browser started watching here. True when no agent runs: the caller starts one.
  bool viewer_joined();
  void viewer_left();

  /// The current state, for a newly connected browser when this process simulates (it should
  /// not wait for the next tick). Otherwise nullopt: the next state from the process that does
  /// comes within a tick, while a copy kept here could be one tick old, and the browser's inbox,
  /// subscribed already, would then skip the one between.
  std::optional<std::string> snapshot();
  /// Whether the agent has asked for the lease once since it started.
  bool decided();

  /// Handles one client message; returns the reply for that client alone. A drop is added here
  /// when this process simulates, and sent on the control channel to the one that does otherwise.
  std::string on_message(std::string_view text);

  // ---- for the agent ----
  std::size_t local_viewers();
  /// The agent ends when nobody it serves is left: checked and recorded under the mutex that
  /// viewer_joined() takes, so a viewer arriving now starts a new agent instead.
  bool finish_if_unwatched(std::size_t total_viewers);
  /// Whether this process runs the simulation from now on. Taking it over, it continues from the
  /// last state the previous holder published.
  void set_simulating(bool simulating);
  /// A state from the channel: another process's, unless this one simulates (then its own).
  void saw_state(std::string state);
  /// Food another process's browser dropped (kept only by the simulating process).
  void remote_drop(const tank::RemoteDrop& drop);
  /// One tick of the simulation, and the state to publish.
  std::string step(std::size_t total_viewers);
  /// Clears the agent's flags when it ends other than through finish_if_unwatched() (an
  /// exception, or its io_context destroyed while it waited).
  void agent_gone();

 private:
  std::mutex mutex_;  // guards everything below but the channels
  tank::TankSim sim_;
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
  const std::string process_;
};

/// The process's one tank.
LiveTank& live_tank();

}  // namespace apps::crab
