#include "asgi/headers.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace asgi {

Headers::Headers(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  std::size_t bytes = 0;
  for (const auto& [name, value] : fields) bytes += name.size() + value.size();
  reserve(fields.size(), bytes);
  for (const auto& [name, value] : fields) add(name, value);
}

Headers::Headers(const Headers& other) {
  regrow(other.used_ + other.table_bytes());  // exactly what the fields need
  if (other.used_) std::memcpy(block_.get(), other.block_.get(), other.used_);
  if (other.count_)
    std::memcpy(block_.get() + capacity_ - other.table_bytes(),
                other.block_.get() + other.capacity_ - other.table_bytes(), other.table_bytes());
  used_ = other.used_;
  count_ = other.count_;
}

Headers& Headers::operator=(const Headers& other) {
  Headers(other).swap(*this);  // copy and swap: also right for self-assignment
  return *this;
}

void Headers::add(std::string_view name, std::string_view value) {
  const std::size_t bytes = name.size() + value.size();
  if (free_bytes() < bytes + sizeof(Span)) {
    const std::size_t needed = used_ + table_bytes() + bytes + sizeof(Span);
    const std::size_t doubled = std::size_t{capacity_} * 2;
    regrow(std::max(needed,
                    std::min<std::size_t>(doubled, std::numeric_limits<std::uint32_t>::max())));
  }
  char* at = block_.get() + used_;
  if (!name.empty()) std::memcpy(at, name.data(), name.size());
  if (!value.empty()) std::memcpy(at + name.size(), value.data(), value.size());
  Span span{used_, static_cast<std::uint32_t>(name.size()),
            static_cast<std::uint32_t>(value.size())};
  std::memcpy(block_.get() + capacity_ - table_bytes() - sizeof(Span), &span, sizeof span);
  used_ += static_cast<std::uint32_t>(bytes);
  ++count_;
}

void Headers::reserve(std::size_t fields, std::size_t bytes) {
  const std::size_t needed = used_ + table_bytes() + bytes + fields * sizeof(Span);
  if (needed > capacity_) regrow(needed);
}

// Moves the fields into a new block of `capacity` bytes: the bytes to its front, the spans to its
// back.
void Headers::regrow(std::size_t capacity) {
  if (capacity > std::numeric_limits<std::uint32_t>::max())
    throw std::length_error("asgi::Headers: more than 4 GiB of header fields");
  if (capacity == 0) return;
  auto block = std::make_unique_for_overwrite<char[]>(capacity);
  if (used_) std::memcpy(block.get(), block_.get(), used_);
  if (count_)
    std::memcpy(block.get() + capacity - table_bytes(), block_.get() + capacity_ - table_bytes(),
                table_bytes());
  block_ = std::move(block);
  capacity_ = static_cast<std::uint32_t>(capacity);
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
