#include "asgi/server/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "asgi/errors.hpp"

namespace asgi::server::log {

namespace {

// "%*" renders Uvicorn's level prefix: the level in capitals and a colon, padded to 9 columns.
class LevelPrefix final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr std::string_view names[] = {
        "TRACE:    ", "DEBUG:    ", "INFO:     ", "WARNING:  ", "ERROR:    ", "CRITICAL: ", ""};
    std::string_view prefix = names[static_cast<int>(msg.level)];
    dest.append(prefix.data(), prefix.data() + prefix.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelPrefix>();
  }
};

std::unique_ptr<spdlog::formatter> uvicorn_format() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<LevelPrefix>('*').set_pattern("%*%v");
  return formatter;
}

std::shared_ptr<spdlog::logger> error_logger;
std::shared_ptr<spdlog::logger> access_logger;

}  // namespace

void setup(LogLevel level, bool access_log, bool plain_access) {
  static constexpr spdlog::level::level_enum levels[] = {
      spdlog::level::critical, spdlog::level::err,   spdlog::level::warn,
      spdlog::level::info,     spdlog::level::debug, spdlog::level::trace};
  auto level_enum = levels[static_cast<int>(level)];
  error_logger = std::make_shared<spdlog::logger>(
      "asgiserver.error", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  error_logger->set_formatter(uvicorn_format());
  error_logger->set_level(level_enum);
  if (access_log) {
    access_logger = std::make_shared<spdlog::logger>(
        "asgiserver.access", std::make_shared<spdlog::sinks::stdout_sink_mt>());
    if (plain_access)
      access_logger->set_pattern("%v");
    else
      access_logger->set_formatter(uvicorn_format());
    access_logger->set_level(level_enum);
  }
}

spdlog::logger& error() {
  if (!error_logger) setup(LogLevel::info, false);
  return *error_logger;
}

spdlog::logger* access() {
  return access_logger && access_logger->should_log(spdlog::level::info) ? access_logger.get()
                                                                         : nullptr;
}

void LogEscapedException::operator()(std::exception_ptr escaped) const {
  if (escaped) error().error("Unexpected error in {}: {}", where, describe_exception(escaped));
}

}  // namespace asgi::server::log
