#include "asgi/server/custom_access_line.hpp"

#include <unistd.h>

#include <algorithm>

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

CustomAccessLine::CustomAccessLine(const protocol::AccessLogFormat& format,
                                   const Headers& request_headers)
    : format_(format) {
  keep(request_headers, format.request_headers(), request_headers_);
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
  keep(headers, format_.response_headers(), response_headers_);
}

void CustomAccessLine::write(std::string_view client, std::string_view method,
                             std::string_view target, std::string_view version,
                             std::uint64_t body_bytes) const {
  spdlog::logger* access = log::access();
  if (!access || status_ == 0) return;
  static const int process_id = static_cast<int>(::getpid());
  protocol::AccessRecord record;
  record.client = client;
  record.method = method;
  record.target = target;
  record.version = version;
  record.status = status_;
  record.body_bytes = answered_body_bytes_.value_or(body_bytes);
  record.duration = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started_);
  record.time = arrived_;
  record.process_id = process_id;
  record.request_header = [this](std::string_view name) { return find(request_headers_, name); };
  record.response_header = [this](std::string_view name) { return find(response_headers_, name); };
  access->info("{}", format_.render(record));
}

}  // namespace asgi::server
