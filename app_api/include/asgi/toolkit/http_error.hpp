#pragma once
// An HTTP error an app raises to answer with a status: `throw asgi::toolkit::HttpError(404)`.
// Wrap the app with asgi::toolkit::with_http_errors (the router does) and it becomes the response:
// the status, its reason phrase or `detail` as a text/plain body, and `headers` (an `allow` for
// 405, a `www-authenticate` for 401). Raised after the response started, it cannot change the
// status any more and ends the response as any exception does.

#include <stdexcept>
#include <string>

#include "asgi/headers.hpp"

namespace asgi::toolkit {

class HttpError : public std::runtime_error {
 public:
  explicit HttpError(int status, std::string detail = {}, Headers headers = {});
  int status() const { return status_; }
  /// The body to send: `detail`, or the status's reason phrase when none was given.
  const std::string& detail() const { return detail_; }
  const Headers& headers() const { return headers_; }

 private:
  int status_;
  std::string detail_;
  Headers headers_;
};

}  // namespace asgi::toolkit
