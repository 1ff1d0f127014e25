#include "asgi/server/config_sources.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>

namespace asgi::server {

namespace {

std::string with(std::string text, char from, char to) {
  std::replace(text.begin(), text.end(), from, to);
  return text;
}

std::string trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return std::string(text);
}

const OptionShape* find_option(const std::vector<OptionShape>& options, const std::string& name) {
  for (const OptionShape& option : options)
    if (option.name == name) return &option;
  return nullptr;
}

// A flag's value as words: true -> "--name"; false -> "--no-name", or nothing for a flag that
// is off by default and has no negation.
std::vector<std::string> flag_words(const OptionShape& option, bool on) {
  if (on) return {"--" + option.name};
  if (!option.negation.empty()) return {"--" + option.negation};
  return {};
}

std::optional<bool> boolean_text(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (text == "1" || text == "true" || text == "yes" || text == "on") return true;
  if (text == "0" || text == "false" || text == "no" || text == "off") return false;
  return std::nullopt;
}

// A TOML scalar as the command line would spell it.
std::optional<std::string> scalar_text(const toml::node& node) {
  if (const auto* text = node.as_string()) return text->get();
  if (const auto* integer = node.as_integer()) return std::to_string(integer->get());
  if (const auto* real = node.as_floating_point()) return fmt::format("{}", real->get());
  return std::nullopt;
}

}  // namespace

std::string environment_name(const std::string& option) {
  std::string name = "ASGISERVER_" + with(option, '-', '_');
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

std::string file_key(const std::string& option) {
  return with(option, '-', '_');
}

bool load_env_file(const std::string& path, std::string& problem) {
  std::ifstream file(path);
  if (!file) {
    problem = "--env-file " + path + ": cannot be read";
    return false;
  }
  std::string line;
  for (int number = 1; std::getline(file, line); ++number) {
    std::string text = trimmed(line);
    if (text.empty() || text.front() == '#') continue;
    if (text.starts_with("export ")) text = trimmed(text.substr(7));
    std::size_t equals = text.find('=');
    std::string name = equals == std::string::npos ? "" : trimmed(text.substr(0, equals));
    bool valid_name = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                      std::all_of(name.begin(), name.end(), [](char c) {
                        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                      });
    if (!valid_name) {
      problem = fmt::format("{}:{}: not NAME=VALUE", path, number);
      return false;
    }
    std::string value = trimmed(text.substr(equals + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    else if (std::size_t comment = value.find(" #"); comment != std::string::npos)
      value = trimmed(value.substr(0, comment));
    ::setenv(name.c_str(), value.c_str(), /*overwrite=*/0);
  }
  return true;
}

std::vector<SourcedSetting> settings_from_environment(const std::vector<OptionShape>& options) {
  std::vector<SourcedSetting> settings;
  for (const OptionShape& option : options) {
    std::string variable = environment_name(option.name);
    const char* value = std::getenv(variable.c_str());
    if (!value) continue;
    SourcedSetting setting{option.name, {}, variable};
    if (option.flag) {
      std::optional<bool> on = boolean_text(value);
      // A word CLI11 rejects with the option's name, reported with the variable's.
      setting.words =
          on ? flag_words(option, *on) : std::vector<std::string>{"--" + option.name + "=" + value};
    } else {
      setting.words = {"--" + option.name, value};
    }
    settings.push_back(std::move(setting));
  }
  return settings;
}

std::optional<std::vector<SourcedSetting>> settings_from_file(
    const std::string& path, const std::vector<OptionShape>& options, std::string& problem) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    const auto& where = error.source().begin;
    problem = fmt::format("{}:{}: {}", path, where.line, error.description());
    return std::nullopt;
  }
  std::vector<SourcedSetting> settings;
  for (const auto& [key, node] : table) {
    std::string origin = fmt::format("{}:{}", path, node.source().begin.line);
    std::string name = with(std::string(key.str()), '_', '-');
    const OptionShape* option = find_option(options, name);
    if (!option) {
      problem = fmt::format("{}: unknown setting '{}'", origin, key.str());
      return std::nullopt;
    }
    SourcedSetting setting{option->name, {}, origin};
    auto fail = [&](std::string_view wanted) {
      problem = fmt::format("{}: {} must be {}", origin, key.str(), wanted);
      return std::nullopt;
    };
    if (option->flag) {
      const auto* on = node.as_boolean();
      if (!on) return fail("true or false");
      setting.words = flag_words(*option, on->get());
    } else if (const auto* array = node.as_array()) {
      if (!option->repeatable) return fail("one value, not a list");
      for (const toml::node& item : *array) {
        std::optional<std::string> text = scalar_text(item);
        if (!text) return fail("a list of strings or numbers");
        setting.words.insert(setting.words.end(), {"--" + option->name, *text});
      }
    } else {
      std::optional<std::string> text = scalar_text(node);
      if (!text) return fail("a string or a number");
      setting.words = {"--" + option->name, *text};
    }
    settings.push_back(std::move(setting));
  }
  return settings;
}

}  // namespace asgi::server
