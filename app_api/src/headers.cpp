#include "asgi/headers.hpp"

#include <algorithm>

namespace asgi {

Headers::Headers(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  std::size_t bytes = 0;
  for (const auto& [name, value] : fields) bytes += name.size() + value.size();
  reserve(fields.size(), bytes);
  for (const auto& [name, value] : fields) add(name, value);
}

void Headers::add(std::string_view name, std::string_view value) {
  Span span{};
  span.name_offset = static_cast<std::uint32_t>(bytes_.size());
  span.name_length = static_cast<std::uint32_t>(name.size());
  bytes_.append(name);
  span.value_offset = static_cast<std::uint32_t>(bytes_.size());
  span.value_length = static_cast<std::uint32_t>(value.size());
  bytes_.append(value);
  spans_.push_back(span);
}

void Headers::reserve(std::size_t fields, std::size_t bytes) {
  spans_.reserve(fields);
  bytes_.reserve(bytes);
}

void Headers::clear() {
  spans_.clear();
  bytes_.clear();
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (Field f : *this)
    if (iequals(f.name, name)) return f.value;
  return std::nullopt;
}

std::vector<std::string_view> Headers::get_all(std::string_view name) const {
  std::vector<std::string_view> values;
  for (Field f : *this)
    if (iequals(f.name, name)) values.push_back(f.value);
  return values;
}

bool Headers::operator==(const Headers& other) const {
  return size() == other.size() && std::equal(begin(), end(), other.begin());
}

}  // namespace asgi
