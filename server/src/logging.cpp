#include "asgi/server/logging.hpp"

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>

#include "asgi/errors.hpp"

namespace asgi::server::log {

namespace {

// "%*" renders Uvicorn's level prefix: the level in capitals and a colon, padded to 9 columns;
// with colors, the level name in Uvicorn's colors.
class LevelPrefix final : public spdlog::custom_flag_formatter {
 public:
  explicit LevelPrefix(bool colors) : colors_(colors) {}
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr std::string_view names[] = {
        "TRACE:    ", "DEBUG:    ", "INFO:     ", "WARNING:  ", "ERROR:    ", "CRITICAL: ", ""};
    static constexpr std::string_view colored[] = {"\x1b[34mTRACE\x1b[0m:    ",
                                                   "\x1b[36mDEBUG\x1b[0m:    ",
                                                   "\x1b[32mINFO\x1b[0m:     ",
                                                   "\x1b[33mWARNING\x1b[0m:  ",
                                                   "\x1b[31mERROR\x1b[0m:    ",
                                                   "\x1b[91mCRITICAL\x1b[0m: ",
                                                   ""};
    std::string_view prefix = (colors_ ? colored : names)[static_cast<int>(msg.level)];
    dest.append(prefix.data(), prefix.data() + prefix.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelPrefix>(colors_);
  }

 private:
  bool colors_;
};

std::unique_ptr<spdlog::formatter> uvicorn_format(bool colors) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<LevelPrefix>('*', colors).set_pattern("%*%v");
  return formatter;
}

constexpr std::string_view level_names[] = {"trace", "debug",    "info", "warning",
                                            "error", "critical", ""};

// UTC with milliseconds, ISO 8601: what log shippers parse without configuration.
std::string iso_time(spdlog::log_clock::time_point when) {
  auto since_epoch = when.time_since_epoch();
  std::time_t seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count();
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() % 1000;
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[40];
  std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(millis));
  return text;
}

nlohmann::json json_base(spdlog::log_clock::time_point when, std::string_view level,
                         std::string_view logger, std::string_view message) {
  // Invalid UTF-8 (a client's bytes) is replaced rather than failing the line.
  return nlohmann::json{
      {"time", iso_time(when)}, {"level", level}, {"logger", logger}, {"message", message}};
}

std::string dump(const nlohmann::json& object) {
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// --log-format json for server messages: one object per line.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line =
        dump(json_base(msg.time, level_names[static_cast<int>(msg.level)],
                       std::string_view(msg.logger_name.data(), msg.logger_name.size()),
                       std::string_view(msg.payload.data(), msg.payload.size())));
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

bool json_mode = false;

std::shared_ptr<spdlog::logger> error_logger;
std::shared_ptr<spdlog::logger> access_logger;

}  // namespace

void setup(LogLevel level, bool access_log, bool plain_access, bool json,
           std::optional<bool> colors) {
  json_mode = json;
  static constexpr spdlog::level::level_enum levels[] = {
      spdlog::level::critical, spdlog::level::err,   spdlog::level::warn,
      spdlog::level::info,     spdlog::level::debug, spdlog::level::trace};
  auto level_enum = levels[static_cast<int>(level)];
  error_logger = std::make_shared<spdlog::logger>(
      "asgiserver.error", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (json)
    error_logger->set_formatter(std::make_unique<JsonFormatter>());
  else
    error_logger->set_formatter(uvicorn_format(colors.value_or(::isatty(STDERR_FILENO) == 1)));
  error_logger->set_level(level_enum);
  if (access_log) {
    // Written by a thread of its own from a bounded queue: a full pipe on stdout (a stalled log
    // reader) or a closed one never stops serving; past 8192 waiting lines the oldest are
    // dropped. Server messages (stderr) stay synchronous: few, and needed before a forced exit.
    static std::shared_ptr<spdlog::details::thread_pool> writer =
        std::make_shared<spdlog::details::thread_pool>(8192, 1);
    access_logger = std::make_shared<spdlog::async_logger>(
        "asgiserver.access", std::make_shared<spdlog::sinks::stdout_sink_mt>(), writer,
        spdlog::async_overflow_policy::overrun_oldest);
    if (plain_access || json)  // a JSON access line is rendered whole by access_json()
      access_logger->set_pattern("%v");
    else
      access_logger->set_formatter(uvicorn_format(colors.value_or(::isatty(STDOUT_FILENO) == 1)));
    access_logger->set_level(level_enum);
  }
}

spdlog::logger& error() {
  if (!error_logger) setup(LogLevel::info, false, false, false, false);
  return *error_logger;
}

spdlog::logger* access() {
  return access_logger && access_logger->should_log(spdlog::level::info) ? access_logger.get()
                                                                         : nullptr;
}

void flush_access() {
  if (access_logger) access_logger->flush();
}

bool json_logs() {
  return json_mode;
}

void access_json(std::string_view message, std::initializer_list<LogField> fields) {
  spdlog::logger* logger = access();
  if (!logger) return;
  nlohmann::json object = json_base(spdlog::log_clock::now(), "info", "asgiserver.access", message);
  for (const auto& [name, value] : fields)
    std::visit([&object, name](const auto& v) { object[std::string(name)] = v; }, value);
  logger->info("{}", dump(object));
}

void LogEscapedException::operator()(std::exception_ptr escaped) const {
  if (escaped) error().error("Unexpected error in {}: {}", where, describe_exception(escaped));
}

}  // namespace asgi::server::log
