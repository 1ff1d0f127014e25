#include "asgi/protocol/status.hpp"

#include <array>
#include <string>

namespace asgi::protocol {

std::string_view status_line(int status) {
  static const std::array<std::string, 500> lines = [] {
    std::array<std::string, 500> all;
    for (int code = 100; code < 600; ++code) {
      std::string& line = all[static_cast<std::size_t>(code - 100)];
      line = "HTTP/1.1 " + std::to_string(code) + " ";
      line += reason_phrase(code);
      line += "\r\n";
    }
    return all;
  }();
  return lines.at(static_cast<std::size_t>(status - 100));
}

}  // namespace asgi::protocol
