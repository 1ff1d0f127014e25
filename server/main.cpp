// asgiserver: parse the command line, find the app, serve.

#include "asgi/registry.hpp"
#include "asgi/server/cli.hpp"
#include "asgi/server/logging.hpp"
#include "asgi/server/server.hpp"

int main(int argc, char** argv) {
  auto cli = asgi::server::parse_command_line(argc, argv);
  if (!cli.config) return cli.exit_code;
  asgi::server::log::setup(cli.config->log_level, cli.config->access_log);
  return asgi::server::run_server(*cli.config, *asgi::find_app(cli.config->app_name));
}
