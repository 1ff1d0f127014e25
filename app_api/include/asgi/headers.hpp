#pragma once
// An ordered list of (name, value) byte-string pairs, duplicates kept, as ASGI's `headers`.
// Everything lives in one heap block, so a request's or a response's headers cost one allocation
// however many fields there are: the bytes grow from the block's front, the field table from its
// back.

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

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
  Headers(const Headers& other);
  Headers& operator=(const Headers& other);
  Headers(Headers&& other) noexcept { swap(other); }
  Headers& operator=(Headers&& other) noexcept {
    Headers(std::move(other)).swap(*this);
    return *this;
  }
  ~Headers() = default;

  void add(std::string_view name, std::string_view value);
  /// Makes room for `fields` more fields of `bytes` more bytes in all, in one allocation.
  void reserve(std::size_t fields, std::size_t bytes);
  void clear() { used_ = count_ = 0; }  ///< keeps the block

  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  Field operator[](std::size_t i) const {  // inline: the encoder and parser call it per field
    Span s = span(i);
    const char* name = block_.get() + s.offset;
    return {std::string_view(name, s.name_length),
            std::string_view(name + s.name_length, s.value_length)};
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
  const_iterator end() const { return {this, count_}; }

  bool operator==(const Headers& other) const;

 private:
  struct Span {  // a field's name starts at `offset`; its value follows the name
    std::uint32_t offset, name_length, value_length;
  };
  std::size_t table_bytes() const { return std::size_t{count_} * sizeof(Span); }
  std::size_t free_bytes() const { return capacity_ - used_ - table_bytes(); }
  // Spans are kept as bytes (read and written with memcpy): the block is plain char storage.
  Span span(std::size_t i) const {
    Span s;
    std::memcpy(&s, block_.get() + capacity_ - (i + 1) * sizeof(Span), sizeof s);
    return s;
  }
  void regrow(std::size_t capacity);
  void swap(Headers& other) noexcept {
    std::swap(block_, other.block_);
    std::swap(capacity_, other.capacity_);
    std::swap(used_, other.used_);
    std::swap(count_, other.count_);
  }

  std::unique_ptr<char[]> block_;
  std::uint32_t capacity_ = 0;  ///< bytes in block_
  std::uint32_t used_ = 0;      ///< name and value bytes, from the front
  std::uint32_t count_ = 0;     ///< fields; their spans fill the block's back, first field last
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
