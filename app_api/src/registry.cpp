#include "asgi/registry.hpp"

#include <map>

namespace asgi {

namespace {
// A function-local static, so registration from other translation units' static initialisers is
// safe whatever their order.
std::map<std::string, App, std::less<>>& apps() {
  static std::map<std::string, App, std::less<>> registry;
  return registry;
}
}  // namespace

void register_app(std::string name, App app) {
  apps().insert_or_assign(std::move(name), std::move(app));
}

const App* find_app(std::string_view name) {
  auto it = apps().find(name);
  return it == apps().end() ? nullptr : &it->second;
}

std::vector<std::string> registered_apps() {
  std::vector<std::string> names;
  for (const auto& entry : apps()) names.push_back(entry.first);
  return names;
}

}  // namespace asgi
