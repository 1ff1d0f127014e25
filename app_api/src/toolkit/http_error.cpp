#include "asgi/toolkit/http_error.hpp"

#include "asgi/status.hpp"

namespace asgi::toolkit {

namespace {

std::string default_detail(int status, std::string detail) {
  if (!detail.empty()) return detail;
  std::string_view reason = reason_phrase(status);
  return reason.empty() ? "HTTP " + std::to_string(status) : std::string(reason);
}

}  // namespace

HttpError::HttpError(int status, std::string detail, Headers headers)
    : std::runtime_error("HTTP " + std::to_string(status) + ": " + default_detail(status, detail)),
      status_(status),
      detail_(default_detail(status, std::move(detail))),
      headers_(std::move(headers)) {}

}  // namespace asgi::toolkit
