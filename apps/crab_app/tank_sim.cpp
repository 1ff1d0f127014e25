#include "crab_app/tank_sim.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace apps::crab::tank {

namespace {

using Json = nlohmann::ordered_json;

constexpr std::array<std::string_view, 8> kNames = {"Pinchy", "Sebastian", "Clawdia", "Shelly",
                                                    "Sidney", "Krabby",    "Nipper",  "Coral"};
constexpr double kMargin = 40.0;  // crabs start this far from the walls

double round1(double value) {
  return std::round(value * 10.0) / 10.0;
}

double distance(double ax, double ay, double bx, double by) {
  return std::hypot(bx - ax, by - ay);
}

// Keeps a walker inside [0, limit], turning it round (bouncing) when it hits a wall.
void keep_inside(double& position, double& velocity, double limit) {
  if (position < 0) {
    position = 0;
    velocity = std::abs(velocity);
  } else if (position > limit) {
    position = limit;
    velocity = -std::abs(velocity);
  }
}

}  // namespace

std::variant<Drop, std::string> parse_client_message(std::string_view text) {
  if (text.size() > kMaxMessageBytes) return std::string("message too long");
  // allow_exceptions=false: garbage gives a "discarded" value instead of throwing.
  Json message = Json::parse(text, nullptr, false);
  if (message.is_discarded()) return std::string("message is not valid JSON");
  if (!message.is_object()) return std::string("message must be a JSON object");
  auto type = message.find("type");
  if (type == message.end() || !type->is_string() || type->get<std::string>() != "drop")
    return std::string("unknown message type (expected \"drop\")");
  auto x = message.find("x");
  auto y = message.find("y");
  if (x == message.end() || y == message.end() || !x->is_number() || !y->is_number())
    return std::string("x and y must be numbers");
  Drop drop{x->get<double>(), y->get<double>()};
  if (!std::isfinite(drop.x) || !std::isfinite(drop.y) || drop.x < 0 || drop.x > kWidth ||
      drop.y < 0 || drop.y > kHeight)
    return std::string("x and y must lie inside the tank (800 x 500)");
  return drop;
}

TankSim::TankSim(std::uint32_t seed, std::size_t crab_count) : random_(seed) {
  std::uniform_real_distribution<double> across(kMargin, kWidth - kMargin);
  std::uniform_real_distribution<double> down(kMargin, kHeight - kMargin);
  for (std::size_t i = 0; i < crab_count; ++i) {
    TankCrab crab;
    crab.id = static_cast<int>(i) + 1;
    crab.name = std::string(kNames[i % kNames.size()]);
    if (i >= kNames.size()) crab.name += " " + std::to_string(i / kNames.size() + 1);
    crab.x = across(random_);
    crab.y = down(random_);
    crabs_.push_back(std::move(crab));  // wander_left = 0: each picks a direction on its first step
  }
}

void TankSim::step(double dt) {
  if (!(dt > 0)) return;
  ++ticks_;
  for (TankCrab& crab : crabs_) {
    // The nearest food, if any (food eaten earlier in this step is already gone).
    const Food* target = nullptr;
    double best = std::numeric_limits<double>::infinity();
    for (const Food& food : food_) {
      double d = distance(crab.x, crab.y, food.x, food.y);
      if (d < best) {
        best = d;
        target = &food;
      }
    }
    if (target)
      seek(crab, *target, dt);
    else
      wander(crab, dt);
    crab.x = std::clamp(crab.x, 0.0, kWidth);
    crab.y = std::clamp(crab.y, 0.0, kHeight);
    eat(crab);
  }
}

// Strolling: mostly sideways (a crab's natural gait), now and then a rest, a new mind every second
// or two, bouncing off the glass.
void TankSim::wander(TankCrab& crab, double dt) {
  crab.wander_left -= dt;
  if (crab.wander_left <= 0) {
    std::uniform_real_distribution<double> chance(0.0, 1.0);
    std::uniform_real_distribution<double> sideways(25.0, kWanderSpeed);
    std::uniform_real_distribution<double> drift(-12.0, 12.0);
    std::uniform_real_distribution<double> patience(0.8, 2.5);
    if (chance(random_) < 0.15) {
      crab.vx = crab.vy = 0;  // a little rest
    } else {
      crab.vx = sideways(random_) * (chance(random_) < 0.5 ? -1.0 : 1.0);
      crab.vy = drift(random_);
    }
    crab.wander_left = patience(random_);
  }
  crab.x += crab.vx * dt;
  crab.y += crab.vy * dt;
  keep_inside(crab.x, crab.vx, kWidth);
  keep_inside(crab.y, crab.vy, kHeight);
  if (crab.vx > 0) crab.facing = 1;
  if (crab.vx < 0) crab.facing = -1;
}

// Hungry: straight for the food, never overshooting it.
void TankSim::seek(TankCrab& crab, const Food& target, double dt) {
  const double dx = target.x - crab.x;
  const double dy = target.y - crab.y;
  const double d = std::hypot(dx, dy);
  const double reach = kHungrySpeed * dt;
  if (d <= reach) {
    crab.x = target.x;
    crab.y = target.y;
  } else {
    crab.x += dx / d * reach;
    crab.y += dy / d * reach;
  }
  if (dx > 0) crab.facing = 1;
  if (dx < 0) crab.facing = -1;
  crab.wander_left = 0;  // once fed, it picks a fresh direction
}

void TankSim::eat(TankCrab& crab) {
  auto nearest = food_.end();
  double best = kEatRadius;
  for (auto it = food_.begin(); it != food_.end(); ++it) {
    double d = distance(crab.x, crab.y, it->x, it->y);
    if (d <= best) {
      best = d;
      nearest = it;
    }
  }
  if (nearest == food_.end()) return;
  food_.erase(nearest);
  ++crab.eaten;
  ++food_eaten_;
}

std::optional<std::int64_t> TankSim::add_food(double x, double y) {
  if (food_.size() >= kMaxFood) return std::nullopt;
  if (!std::isfinite(x) || !std::isfinite(y) || x < 0 || x > kWidth || y < 0 || y > kHeight)
    return std::nullopt;
  Food food{next_food_id_++, x, y};
  food_.push_back(food);
  ++food_dropped_;
  return food.id;
}

bool TankSim::restore(std::string_view text) {
  Json state = Json::parse(text, nullptr, false);
  if (!state.is_object() || state.value("type", "") != "state") return false;
  try {
    std::vector<TankCrab> crabs;
    for (const Json& item : state.at("crabs")) {
      TankCrab crab;
      crab.id = item.at("id").get<int>();
      crab.name = item.at("name").get<std::string>();
      crab.x = std::clamp(item.at("x").get<double>(), 0.0, kWidth);
      crab.y = std::clamp(item.at("y").get<double>(), 0.0, kHeight);
      crab.facing = item.at("facing").get<int>() < 0 ? -1 : 1;
      crab.eaten = item.at("eaten").get<std::int64_t>();
      crabs.push_back(std::move(crab));
    }
    std::vector<Food> food;
    std::int64_t highest_id = 0;
    for (const Json& item : state.at("food")) {
      Food piece{item.at("id").get<std::int64_t>(), item.at("x").get<double>(),
                 item.at("y").get<double>()};
      if (!std::isfinite(piece.x) || !std::isfinite(piece.y)) return false;
      highest_id = std::max(highest_id, piece.id);
      food.push_back(piece);
    }
    if (food.size() > kMaxFood) return false;
    for (const char* counter : {"tick", "dropped", "eaten"})
      if (!state.at(counter).is_number_unsigned()) return false;
    const auto ticks = state.at("tick").get<std::uint64_t>();
    const auto dropped = state.at("dropped").get<std::int64_t>();
    const auto eaten = state.at("eaten").get<std::int64_t>();
    crabs_ = std::move(crabs);
    food_ = std::move(food);
    ticks_ = ticks;
    food_dropped_ = dropped;
    food_eaten_ = eaten;
    next_food_id_ = std::max(highest_id, dropped) + 1;  // ids keep growing
  } catch (const Json::exception&) {
    return false;  // a missing key or a value of another kind
  }
  return true;
}

std::string TankSim::state_json(std::size_t viewers) const {
  Json crabs = Json::array();
  for (const TankCrab& crab : crabs_)
    crabs.push_back({{"id", crab.id},
                     {"x", round1(crab.x)},
                     {"y", round1(crab.y)},
                     {"name", crab.name},
                     {"facing", crab.facing},
                     {"eaten", crab.eaten}});
  Json food = Json::array();
  for (const Food& piece : food_)
    food.push_back({{"id", piece.id}, {"x", round1(piece.x)}, {"y", round1(piece.y)}});
  Json state = {{"type", "state"},         {"tick", ticks_},           {"crabs", std::move(crabs)},
                {"food", std::move(food)}, {"dropped", food_dropped_}, {"eaten", food_eaten_},
                {"viewers", viewers}};
  return state.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace apps::crab::tank
