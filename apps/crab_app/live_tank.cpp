#include "crab_app/live_tank.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <variant>

#include <nlohmann/json.hpp>

namespace apps::crab {

namespace {

std::string reply_json(const nlohmann::ordered_json& reply) {
  return reply.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// A random name for this process on the control channel.
std::string process_name() {
  std::random_device random;
  return std::to_string(random()) + "-" + std::to_string(random());
}

std::uint32_t clock_seed() {
  return static_cast<std::uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

}  // namespace

LiveTank::LiveTank() : sim_(clock_seed()), process_(process_name()) {}

bool LiveTank::viewer_joined() {
  std::lock_guard lock(mutex_);
  ++local_viewers_;
  if (running_) return false;
  running_ = true;
  return true;
}

void LiveTank::viewer_left() {
  std::lock_guard lock(mutex_);
  --local_viewers_;
}

std::optional<std::string> LiveTank::snapshot() {
  std::lock_guard lock(mutex_);
  if (!decided_) return std::nullopt;
  if (simulating_) return sim_.state_json(std::max(last_total_viewers_, local_viewers_));
  return std::nullopt;
}

bool LiveTank::decided() {
  std::lock_guard lock(mutex_);
  return decided_;
}

std::string LiveTank::on_message(std::string_view text) {
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

std::size_t LiveTank::local_viewers() {
  std::lock_guard lock(mutex_);
  return local_viewers_;
}

bool LiveTank::finish_if_unwatched(std::size_t total_viewers) {
  std::lock_guard lock(mutex_);
  if (local_viewers_ > 0 || total_viewers > 0) return false;
  running_ = decided_ = simulating_ = false;
  return true;
}

void LiveTank::set_simulating(bool simulating) {
  std::lock_guard lock(mutex_);
  if (simulating && !simulating_ && !sim_is_newest_ && !remote_state_.empty())
    sim_.restore(remote_state_);
  if (simulating) sim_is_newest_ = true;
  simulating_ = simulating;
  decided_ = true;
}

void LiveTank::saw_state(std::string state) {
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

void LiveTank::remote_drop(const tank::RemoteDrop& drop) {
  std::lock_guard lock(mutex_);
  if (simulating_) sim_.add_food(drop.x, drop.y);
}

std::string LiveTank::step(std::size_t total_viewers) {
  std::lock_guard lock(mutex_);
  sim_.step(tank::kTickSeconds);
  last_total_viewers_ = total_viewers;
  return sim_.state_json(total_viewers);
}

void LiveTank::agent_gone() {
  std::lock_guard lock(mutex_);
  running_ = decided_ = simulating_ = false;
}

LiveTank& live_tank() {
  static LiveTank instance;  // process-wide: every connection, on every thread, sees one tank
  return instance;
}

}  // namespace apps::crab
