#include "crab_app/tank_crowd.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "crab_app/tank_sim.hpp"

namespace apps::crab::tank {

using Json = nlohmann::json;

std::string control_message(const RemoteDrop& drop) {
  return Json{{"type", "drop"}, {"x", drop.x}, {"y", drop.y}}.dump();
}

std::string control_message(const ViewerCount& count) {
  return Json{{"type", "viewers"}, {"process", count.process}, {"viewers", count.viewers}}.dump();
}

std::optional<std::variant<RemoteDrop, ViewerCount>> parse_control_message(std::string_view text) {
  Json message = Json::parse(text, nullptr, false);
  if (!message.is_object()) return std::nullopt;
  const std::string type = message.value("type", "");
  if (type == "drop") {
    // The same checks as a browser's drop: another process is no more trusted than a browser.
    if (auto parsed = parse_client_message(text); auto* drop = std::get_if<Drop>(&parsed))
      return RemoteDrop{drop->x, drop->y};
    return std::nullopt;
  }
  if (type == "viewers") {
    auto process = message.find("process");
    auto viewers = message.find("viewers");
    if (process == message.end() || !process->is_string() || viewers == message.end() ||
        !viewers->is_number_unsigned())
      return std::nullopt;
    return ViewerCount{process->get<std::string>(), viewers->get<std::size_t>()};
  }
  return std::nullopt;
}

void CrowdTally::heard(const ViewerCount& count, CrowdClock::time_point now) {
  if (count.process == own_) return;
  others_[count.process] = {count.viewers, now};
}

std::size_t CrowdTally::total(std::size_t local, CrowdClock::time_point now) {
  std::size_t sum = local;
  for (auto it = others_.begin(); it != others_.end();) {
    if (now - it->second.at > kCrowdFreshness) {
      it = others_.erase(it);
      continue;
    }
    sum += it->second.viewers;
    ++it;
  }
  return sum;
}

}  // namespace apps::crab::tank
