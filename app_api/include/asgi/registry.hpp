#pragma once
// Apps register under a name so that `asgiserver --app NAME` finds them, in the server's own build
// or in an app library (`asgiserver --app ./libnotes.so:notes`):
//
//   ASGI_REGISTER_APP(notes, notes_app);            // awaitable<void> notes_app(Scope, Receive,
//   Send)
//
// An app that needs set-up first (reading its configuration, opening a pool) registers a factory
// instead, a function returning the app, which `asgiserver --app NAME --factory` calls once at
// startup, before serving (as Uvicorn's --factory):
//
//   asgi::App make_notes() { auto store = std::make_shared<Store>(); return [store](...) {...}; }
//   ASGI_REGISTER_APP_FACTORY(notes, make_notes);

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "asgi/app.hpp"

namespace asgi {

using AppFactory = std::function<App()>;

void register_app(std::string name, App app);
void register_app_factory(std::string name, AppFactory factory);
/// The app registered as `name`, or nullptr.
const App* find_app(std::string_view name);
/// The factory registered as `name`, or nullptr.
const AppFactory* find_app_factory(std::string_view name);
/// Every registered app name, sorted.
std::vector<std::string> registered_apps();
/// Every registered factory name, sorted.
std::vector<std::string> registered_app_factories();

/// How many registrations (apps and factories) happened so far; with registered_since(), the
/// names a library registered while it was loaded.
std::size_t registration_count();
/// The names registered after registration_count() returned `mark`, in order.
std::vector<std::string> registered_since(std::size_t mark);

struct AppRegistrar {
  AppRegistrar(std::string name, App app) { register_app(std::move(name), std::move(app)); }
};
struct AppFactoryRegistrar {
  AppFactoryRegistrar(std::string name, AppFactory factory) {
    register_app_factory(std::move(name), std::move(factory));
  }
};

}  // namespace asgi

#define ASGI_REGISTER_APP(name, function)                       \
  static const ::asgi::AppRegistrar asgi_app_registrar_##name { \
#name, function                                             \
  }

#define ASGI_REGISTER_APP_FACTORY(name, function)                              \
  static const ::asgi::AppFactoryRegistrar asgi_app_factory_registrar_##name { \
#name, function                                                            \
  }
