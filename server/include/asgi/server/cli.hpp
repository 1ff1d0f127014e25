#pragma once
// Command-line parsing. Bad input is one clear line and exit status 3 (Uvicorn's startup-failure
// code); --help and --version exit 0.

#include <optional>

#include "asgi/server/config.hpp"

namespace asgi::server {

inline constexpr int exit_startup_failure = 3;

struct CliResult {
  std::optional<Config> config;  ///< empty when the process should exit with `exit_code`
  int exit_code = 0;
};

CliResult parse_command_line(int argc, char** argv);

}  // namespace asgi::server
