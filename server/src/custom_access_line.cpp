#include "asgi/server/custom_access_line.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>

#include "asgi/protocol/scope_builder.hpp"
#include "asgi/protocol/status.hpp"
#include "asgi/server/logging.hpp"

namespace asgi::server {

namespace {

std::optional<std::string> find(const std::vector<std::pair<std::string, std::string>>& kept,
                                std::string_view name) {
  for (const auto& [key, value] : kept)
    if (key == name) return value;
  return std::nullopt;
}

}  // namespace

namespace {
const std::vector<std::string> json_request_headers{"user-agent", "x-request-id"};
}  // namespace

CustomAccessLine::CustomAccessLine(const protocol::AccessLogFormat* format,
                                   const Headers& request_headers)
    : format_(format) {
  keep(request_headers, format ? format->request_headers() : json_request_headers,
       request_headers_);
}

void CustomAccessLine::keep(const Headers& headers, const std::vector<std::string>& names,
                            Kept& into) {
  for (const std::string& name : names) {
    std::vector<std::string_view> values = headers.get_all(name);
    if (values.empty()) continue;
    std::string joined;
    for (std::string_view value : values) {
      if (!joined.empty()) joined += ", ";
      joined += value;
    }
    into.emplace_back(name, std::move(joined));
  }
}

void CustomAccessLine::keep_response_headers(const Headers& headers) {
  response_headers_.clear();
  if (format_) keep(headers, format_->response_headers(), response_headers_);
}

void CustomAccessLine::write(std::string_view client, std::string_view method,
                             std::string_view target, std::string_view version,
                             std::uint64_t body_bytes) const {
  spdlog::logger* access = log::access();
  if (!access || status_ == 0) return;
  auto duration = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started_);
  std::uint64_t bytes = answered_body_bytes_.value_or(body_bytes);
  if (!format_) return write_json(client, method, target, version, bytes, duration);
  static const int process_id = static_cast<int>(::getpid());
  protocol::AccessRecord record;
  record.client = client;
  record.method = method;
  record.target = target;
  record.version = version;
  record.status = status_;
  record.body_bytes = bytes;
  record.duration = duration;
  record.time = arrived_;
  record.process_id = process_id;
  record.request_header = [this](std::string_view name) { return find(request_headers_, name); };
  record.response_header = [this](std::string_view name) { return find(response_headers_, name); };
  access->info("{}", format_->render(record));
}

void CustomAccessLine::write_json(std::string_view client, std::string_view method,
                                  std::string_view target, std::string_view version,
                                  std::uint64_t body_bytes,
                                  std::chrono::microseconds duration) const {
  std::size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  std::string_view query = question == std::string_view::npos ? "" : target.substr(question + 1);
  std::string message =
      fmt::format("{} - \"{} {} HTTP/{}\" {} {}", client, method, protocol::target_for_log(target),
                  version, status_, protocol::reason_phrase(status_));
  std::optional<std::string> agent = find(request_headers_, "user-agent");
  std::optional<std::string> request_id = find(request_headers_, "x-request-id");
  auto text_or_null = [](const std::optional<std::string>& value) -> log::LogField::second_type {
    if (!value) return nullptr;
    return std::string_view(*value);
  };
  log::access_json(message,
                   {{"client", client.empty() ? log::LogField::second_type(nullptr) : client},
                    {"method", method},
                    {"path", path},
                    {"query", query},
                    {"http_version", version},
                    {"status", std::int64_t{status_}},
                    {"bytes", static_cast<std::int64_t>(body_bytes)},
                    {"duration_ms", static_cast<double>(duration.count()) / 1000.0},
                    {"user_agent", text_or_null(agent)},
                    {"request_id", text_or_null(request_id)}});
}

}  // namespace asgi::server
