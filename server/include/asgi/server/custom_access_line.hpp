#pragma once
// One request's access-log line in --access-log-format, or as a JSON object (--log-format json).
// What the line shows is gathered while the request runs (the request headers the format names,
// before the scope takes them; the response headers it names; the status) and the line is written
// when the exchange ends, once the body size and the duration are known, as Gunicorn does. Made
// only when a format is configured: the default line (Uvicorn's) costs nothing of this.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "asgi/headers.hpp"
#include "asgi/protocol/access_log_format.hpp"

namespace asgi::server {

class CustomAccessLine {
 public:
  /// `format` null: the JSON line (Uvicorn's text as its message, and the fields).
  CustomAccessLine(const protocol::AccessLogFormat* format, const Headers& request_headers);

  void set_status(int status) { status_ = status; }
  bool has_status() const { return status_ != 0; }
  /// The body of a response the server answered with instead of the app's.
  void set_body_bytes(std::uint64_t bytes) { answered_body_bytes_ = bytes; }
  void keep_response_headers(const Headers& headers);
  /// Writes the line to the access log.
  void write(std::string_view client, std::string_view method, std::string_view target,
             std::string_view version, std::uint64_t body_bytes) const;

 private:
  using Kept = std::vector<std::pair<std::string, std::string>>;
  static void keep(const Headers& headers, const std::vector<std::string>& names, Kept& into);

  void write_json(std::string_view client, std::string_view method, std::string_view target,
                  std::string_view version, std::uint64_t body_bytes,
                  std::chrono::microseconds duration) const;

  const protocol::AccessLogFormat* format_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::system_clock::time_point arrived_ = std::chrono::system_clock::now();
  int status_ = 0;
  std::optional<std::uint64_t> answered_body_bytes_;
  Kept request_headers_;
  Kept response_headers_;
};

}  // namespace asgi::server
