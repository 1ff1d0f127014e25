#pragma once
// An ordered list of (name, value) byte-string pairs, duplicates kept, as ASGI's `headers`.
// All bytes live in one string, so a request's headers cost two allocations however many there are,
// and both come from Asio's per-thread cache of recycled blocks: every request and response builds
// a Headers, and on an event-loop thread that then costs no malloc (elsewhere it is plain new).

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/recycling_allocator.hpp>

namespace asgi {

class Headers {
 public:
  struct Field {
    std::string_view name;
    std::string_view value;
    bool operator==(const Field&) const = default;
  };

  Headers() = default;
  Headers(std::initializer_list<std::pair<std::string_view, std::string_view>> fields);

  void add(std::string_view name, std::string_view value);
  void reserve(std::size_t fields, std::size_t bytes);
  void clear();

  std::size_t size() const { return spans_.size(); }
  bool empty() const { return spans_.empty(); }
  Field operator[](std::size_t i) const {  // inline: the encoder and parser call it per field
    const Span& s = spans_[i];
    return {std::string_view(bytes_.data() + s.name_offset, s.name_length),
            std::string_view(bytes_.data() + s.value_offset, s.value_length)};
  }

  /// The first value whose name equals `name`, compared case-insensitively.
  std::optional<std::string_view> get(std::string_view name) const;
  /// Every value whose name equals `name` (case-insensitively), in order.
  std::vector<std::string_view> get_all(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }

  class const_iterator {
   public:
    using value_type = Field;
    using difference_type = std::ptrdiff_t;
    const_iterator() = default;
    const_iterator(const Headers* h, std::size_t i) : headers_(h), index_(i) {}
    Field operator*() const { return (*headers_)[index_]; }
    const_iterator& operator++() {
      ++index_;
      return *this;
    }
    const_iterator operator++(int) {
      auto copy = *this;
      ++index_;
      return copy;
    }
    bool operator==(const const_iterator& o) const { return index_ == o.index_; }

   private:
    const Headers* headers_ = nullptr;
    std::size_t index_ = 0;
  };
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, spans_.size()}; }

  bool operator==(const Headers& other) const;

 private:
  struct Span {
    std::uint32_t name_offset, name_length, value_offset, value_length;
  };
  template <typename T>
  using Allocator = boost::asio::recycling_allocator<T>;
  std::basic_string<char, std::char_traits<char>, Allocator<char>> bytes_;
  std::vector<Span, Allocator<Span>> spans_;
};

/// ASCII case-insensitive equality, the comparison HTTP uses for header names and tokens.
/// Inline: it runs for every header of every request and response, mostly failing on the size.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x == y) continue;
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

}  // namespace asgi
