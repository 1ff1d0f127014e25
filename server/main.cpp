// asgiserver: parse the command line, find the app, serve.

#include <iostream>

#include "asgi/server/app_library.hpp"
#include "asgi/server/cli.hpp"
#include "asgi/server/logging.hpp"
#include "asgi/server/server.hpp"

int main(int argc, char** argv) {
  auto cli = asgi::server::parse_command_line(argc, argv);
  if (!cli.config) return cli.exit_code;
  asgi::App app;
  try {
    app = asgi::server::load_app(cli.config->app_name, cli.config->factory);
  } catch (const asgi::server::AppLoadError& e) {
    std::cerr << e.what() << std::endl;
    return asgi::server::exit_startup_failure;
  }
  asgi::server::log::setup(cli.config->log_level, cli.config->access_log,
                           cli.config->access_log_format.has_value());
  return asgi::server::run_server(*cli.config, app);
}
