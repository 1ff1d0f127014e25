#pragma once
// The crab tank's simulation: crabs wander a 800 x 500 tank (sideways, of course), scuttle to the
// nearest food and eat it. Pure, single-threaded and free of I/O, so it can be unit-tested
// step by step; tank.cpp adds the mutex, the clock and the WebSocket broadcasting around it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace apps::crab::tank {

inline constexpr double kWidth = 800.0;      ///< tank coordinates: x in [0, kWidth]
inline constexpr double kHeight = 500.0;     ///<                    y in [0, kHeight]
inline constexpr std::size_t kMaxFood = 50;  ///< drops beyond this are refused
/// The live tank steps (and broadcasts) 10 times a second.
inline constexpr double kTickSeconds = 0.1;
inline constexpr double kEatRadius = 14.0;             ///< a crab this close to food eats it
inline constexpr double kWanderSpeed = 60.0;           ///< px/s, at most, when strolling
inline constexpr double kHungrySpeed = 75.0;           ///< px/s when heading for food
inline constexpr std::size_t kMaxMessageBytes = 1024;  ///< longer client messages are not parsed

struct TankCrab {
  int id = 0;
  std::string name;
  double x = 0, y = 0;
  double vx = 0, vy = 0;   ///< wandering velocity, px/s
  double wander_left = 0;  ///< seconds until the next change of mind
  int facing = 1;          ///< 1: last walked right, -1: left (for clients that draw a facing)
  std::int64_t eaten = 0;
};

struct Food {
  std::int64_t id = 0;
  double x = 0, y = 0;
};

/// A validated "drop food here" request from a client.
struct Drop {
  double x = 0, y = 0;
};

/// Parses the text of a client's WebSocket message, `{"type": "drop", "x": .., "y": ..}`.
/// Returns the drop, or a short reason why it is refused (not JSON, not an object, another type,
/// missing or non-numeric or non-finite coordinates, coordinates outside the tank, too long).
std::variant<Drop, std::string> parse_client_message(std::string_view text);

class TankSim {
 public:
  /// A tank with `crab_count` crabs (named from a fixed list) at random places; `seed` makes the
  /// whole run reproducible.
  explicit TankSim(std::uint32_t seed = 0x5eed, std::size_t crab_count = 6);

  /// Advances time by `dt` seconds: every crab walks (to the nearest food if there is any,
  /// otherwise wherever it fancies), stays inside the tank, and eats food it reaches.
  void step(double dt);

  /// Adds food at (x, y). Returns the new food's id, or nullopt when the tank already holds
  /// kMaxFood pieces or the point is outside the tank (parse_client_message checks that first).
  std::optional<std::int64_t> add_food(double x, double y);

  const std::vector<TankCrab>& crabs() const { return crabs_; }
  std::vector<TankCrab>& crabs() { return crabs_; }  ///< for tests that place crabs by hand
  const std::vector<Food>& food() const { return food_; }
  std::uint64_t ticks() const { return ticks_; }
  std::int64_t food_dropped() const { return food_dropped_; }
  std::int64_t food_eaten() const { return food_eaten_; }

  /// The broadcast message: {"type": "state", "tick", "crabs": [{"id", "x", "y", "name",
  /// "facing", "eaten"}], "food": [{"id", "x", "y"}], "dropped", "eaten", "viewers"}.
  /// Coordinates are rounded to 0.1 px to keep the message small.
  std::string state_json(std::size_t viewers) const;

  /// Continues the tank a state_json() message describes (the one another process ran, when this
  /// one takes the simulation over): crabs, food, tick and counters as they were; the crabs' next
  /// moves are drawn afresh. False, leaving the tank as it was, for a message not of that shape.
  bool restore(std::string_view state_json);

 private:
  void wander(TankCrab& crab, double dt);
  void seek(TankCrab& crab, const Food& target, double dt);
  void eat(TankCrab& crab);

  std::mt19937 random_;
  std::vector<TankCrab> crabs_;
  std::vector<Food> food_;
  std::int64_t next_food_id_ = 1;
  std::uint64_t ticks_ = 0;
  std::int64_t food_dropped_ = 0;
  std::int64_t food_eaten_ = 0;
};

}  // namespace apps::crab::tank
