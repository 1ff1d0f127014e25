#include "common/query.hpp"

#include "asgi/url.hpp"

namespace apps {

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
    pairs.emplace_back(asgi::percent_decode(name, true), asgi::percent_decode(value, true));
  }
  return pairs;
}

std::optional<std::string> query_param(std::string_view query_string, std::string_view name) {
  for (auto& [key, value] : parse_query(query_string))
    if (key == name) return std::move(value);
  return std::nullopt;
}

}  // namespace apps
