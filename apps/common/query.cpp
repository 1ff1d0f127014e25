#include "common/query.hpp"

#include "asgi/toolkit/request.hpp"

namespace apps {

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query_string) {
  return asgi::toolkit::parse_urlencoded(query_string).items();
}

std::optional<std::string> query_param(std::string_view query_string, std::string_view name) {
  for (auto& [key, value] : parse_query(query_string))
    if (key == name) return std::move(value);
  return std::nullopt;
}

}  // namespace apps
