#pragma once
// Apps register under a name so that `asgiserver --app NAME` finds them:
//
//   ASGI_REGISTER_APP(hello, hello_app);

#include <string>
#include <string_view>
#include <vector>

#include "asgi/app.hpp"

namespace asgi {

void register_app(std::string name, App app);
/// The app registered as `name`, or nullptr.
const App* find_app(std::string_view name);
/// Every registered name, sorted.
std::vector<std::string> registered_apps();

struct AppRegistrar {
  AppRegistrar(std::string name, App app) { register_app(std::move(name), std::move(app)); }
};

}  // namespace asgi

#define ASGI_REGISTER_APP(name, function)                       \
  static const ::asgi::AppRegistrar asgi_app_registrar_##name { \
#name, function                                             \
  }
