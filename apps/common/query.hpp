#pragma once
// Query-string parsing. ASGI hands the app `scope.query_string` exactly as received: raw bytes,
// still percent-encoded ("seconds=0.5&name=hermit%20crab"). Decoding is the app's job.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apps {

/// All name=value pairs in order, decoded (asgi::percent_decode, '+' as a space). "a&b=" gives
/// {"a", ""} and {"b", ""}.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query_string);

/// The first value of `name`, decoded, or nullopt when absent.
std::optional<std::string> query_param(std::string_view query_string, std::string_view name);

}  // namespace apps
