#pragma once
// --access-log-format: Gunicorn's access-log atoms (which Hypercorn and Granian use too), parsed
// once and rendered per response. I/O-free.
//
//   %(h)s client address       %(m)s method              %(U)s path (no query)
//   %(q)s query string         %(H)s protocol            %(r)s request line
//   %(s)s status               %(b)s body bytes or "-"   %(B)s body bytes
//   %(D)s microseconds         %(M)s milliseconds        %(T)s whole seconds
//   %(L)s seconds, decimal     %(a)s user agent          %(f)s referer
//   %(t)s [10/Oct/2000:13:55:36 +0000]                   %(p)s process id
//   %(l)s and %(u)s "-"        %({name}i)s request header   %({name}o)s response header
//   %% a literal percent sign
//
// A missing value renders as "-", as in Gunicorn. Values are escaped so that no control
// character or quote reaches a log line.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asgi::protocol {

/// What one access-log line can show.
struct AccessRecord {
  std::string_view client;  ///< "host:port", or empty
  std::string_view method;
  std::string_view target;   ///< as received: path and query
  std::string_view version;  ///< "1.1"
  int status = 0;
  std::uint64_t body_bytes = 0;
  std::chrono::microseconds duration{0};
  std::chrono::system_clock::time_point time;  ///< when the request arrived
  int process_id = 0;
  /// A request or response header's value by lowercase name (joined with ", " when repeated),
  /// or nullopt.
  std::function<std::optional<std::string>(std::string_view)> request_header;
  std::function<std::optional<std::string>(std::string_view)> response_header;
};

class AccessLogFormat {
 public:
  /// nullopt with `error` naming the bad atom ("%(x)s is not an access-log atom").
  static std::optional<AccessLogFormat> parse(std::string_view format, std::string& error);

  std::string render(const AccessRecord& record) const;
  /// Lowercase names of the request / response headers the format shows (a server keeps only
  /// these). The user agent and referer atoms count as request headers.
  const std::vector<std::string>& request_headers() const { return request_headers_; }
  const std::vector<std::string>& response_headers() const { return response_headers_; }

 private:
  struct Piece {
    char atom = 0;     ///< 0: literal text
    std::string text;  ///< the literal, or the header name for 'i' and 'o'
  };
  std::vector<Piece> pieces_;
  std::vector<std::string> request_headers_;
  std::vector<std::string> response_headers_;
};

}  // namespace asgi::protocol
