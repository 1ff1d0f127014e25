// asgiserver: parse the command line, find the app, serve.

#include <iostream>

#include "asgi/server/app_library.hpp"
#include "asgi/server/cli.hpp"
#include "asgi/server/logging.hpp"
#include "asgi/server/server.hpp"

int main(int argc, char** argv) {
  auto cli = asgi::server::parse_command_line(argc, argv);
  if (!cli.config) return cli.exit_code;
  asgi::server::log::setup(
      cli.config->log_level, cli.config->access_log, cli.config->access_log_format.has_value(),
      cli.config->log_format == asgi::server::LogFormat::json, cli.config->use_colors);
  asgi::App app;
  try {
    app = asgi::server::load_app(cli.config->app_name, cli.config->factory);
  } catch (const asgi::server::AppLoadError& e) {
    if (asgi::server::log::json_logs())
      asgi::server::log::error().error("{}", e.what());
    else
      std::cerr << e.what() << std::endl;  // Uvicorn's exact text
    return asgi::server::exit_startup_failure;
  }
  return asgi::server::run_server(*cli.config, app);
}
