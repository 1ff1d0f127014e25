#pragma once
// Settings from outside the command line, turned into command-line words so that one parser
// checks them all: the environment (ASGISERVER_<OPTION>, dashes as underscores) and a TOML file
// (--config; keys are the option names with underscores). The command line wins over the
// environment, which wins over the file. Each setting keeps where it came from, so that a bad
// value is reported as "ASGISERVER_PORT: ..." or "asgiserver.toml:3: ...".

#include <optional>
#include <string>
#include <vector>

namespace asgi::server {

/// What the loaders need to know about an option of the command line.
struct OptionShape {
  std::string name;      ///< the long name without dashes: "root-path"
  std::string negation;  ///< a flag's "no-" form ("no-access-log"), or empty
  bool flag = false;     ///< takes no value
  bool repeatable = false;
};

/// One setting as command-line words ("--root-path", "/api") and its origin.
struct SourcedSetting {
  std::string option;
  std::vector<std::string> words;
  std::string origin;
};

/// "root-path" -> "ASGISERVER_ROOT_PATH".
std::string environment_name(const std::string& option);
/// "root-path" -> "root_path".
std::string file_key(const std::string& option);

/// Reads KEY=VALUE lines (blank lines, # comments, `export`, quotes allowed) into the environment;
/// a variable already set is kept, as python-dotenv does for Uvicorn's --env-file.
bool load_env_file(const std::string& path, std::string& problem);

/// The ASGISERVER_* variables that name options. A variable for a repeatable option is one value.
std::vector<SourcedSetting> settings_from_environment(const std::vector<OptionShape>& options);

/// The settings of TOML file `path`; nullopt with `problem` ("file:line: why") for a file that does
/// not parse, an unknown key or a value of the wrong kind.
std::optional<std::vector<SourcedSetting>> settings_from_file(
    const std::string& path, const std::vector<OptionShape>& options, std::string& problem);

}  // namespace asgi::server
