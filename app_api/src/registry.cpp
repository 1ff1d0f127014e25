#include "asgi/registry.hpp"

#include <map>

namespace asgi {

namespace {

struct Registry {
  std::map<std::string, App, std::less<>> apps;
  std::map<std::string, AppFactory, std::less<>> factories;
  std::vector<std::string> log;  ///< every registration, in order
};

// A function-local static, so registration from other translation units' static initialisers is
// safe whatever their order.
Registry& registry() {
  static Registry instance;
  return instance;
}

template <class Map>
std::vector<std::string> names(const Map& map) {
  std::vector<std::string> result;
  for (const auto& entry : map) result.push_back(entry.first);
  return result;
}

}  // namespace

void register_app(std::string name, App app) {
  registry().log.push_back(name);
  registry().apps.insert_or_assign(std::move(name), std::move(app));
}

void register_app_factory(std::string name, AppFactory factory) {
  registry().log.push_back(name);
  registry().factories.insert_or_assign(std::move(name), std::move(factory));
}

const App* find_app(std::string_view name) {
  auto it = registry().apps.find(name);
  return it == registry().apps.end() ? nullptr : &it->second;
}

const AppFactory* find_app_factory(std::string_view name) {
  auto it = registry().factories.find(name);
  return it == registry().factories.end() ? nullptr : &it->second;
}

std::vector<std::string> registered_apps() {
  return names(registry().apps);
}

std::vector<std::string> registered_app_factories() {
  return names(registry().factories);
}

std::size_t registration_count() {
  return registry().log.size();
}

std::vector<std::string> registered_since(std::size_t mark) {
  const auto& log = registry().log;
  if (mark >= log.size()) return {};
  return {log.begin() + static_cast<std::ptrdiff_t>(mark), log.end()};
}

}  // namespace asgi
