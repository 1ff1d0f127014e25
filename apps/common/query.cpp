#include "common/query.hpp"

namespace apps {

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int high = hex_value(text[i + 1]);
      int low = hex_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out += static_cast<char>(high * 16 + low);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && c == '+') ? ' ' : c;
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query_string) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!query_string.empty()) {
    std::size_t amp = query_string.find('&');
    std::string_view item = query_string.substr(0, amp);
    query_string =
        amp == std::string_view::npos ? std::string_view() : query_string.substr(amp + 1);
    if (item.empty()) continue;  // "a=1&&b=2"
    std::size_t eq = item.find('=');
    std::string_view name = item.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    pairs.emplace_back(percent_decode(name), percent_decode(value));
  }
  return pairs;
}

std::optional<std::string> query_param(std::string_view query_string, std::string_view name) {
  for (auto& [key, value] : parse_query(query_string))
    if (key == name) return std::move(value);
  return std::nullopt;
}

}  // namespace apps
