#pragma once
// A connection's input buffer: bytes read but not yet parsed. It frees its memory when empty, so
// an idle keep-alive connection holds no buffer.

#include <cstring>
#include <memory>
#include <string_view>

#include <boost/asio/buffer.hpp>

namespace asgi::server {

class ReadBuffer {
 public:
  std::string_view data() const { return {storage_.get() + begin_, end_ - begin_}; }
  std::size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  std::size_t capacity() const { return capacity_; }

  /// Space for at least `n` more bytes at the end.
  boost::asio::mutable_buffer prepare(std::size_t n) {
    if (capacity_ - end_ < n) {
      if (begin_ > 0) {  // compact first: parsed bytes at the front are dead
        std::memmove(storage_.get(), storage_.get() + begin_, size());
        end_ -= begin_;
        begin_ = 0;
      }
      if (capacity_ - end_ < n) {
        std::size_t capacity = std::max(capacity_ * 2, end_ + n);
        auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
        if (end_) std::memcpy(bigger.get(), storage_.get(), end_);
        storage_ = std::move(bigger);
        capacity_ = capacity;
      }
    }
    return {storage_.get() + end_, capacity_ - end_};
  }
  void commit(std::size_t n) { end_ += n; }
  void consume(std::size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  /// Frees the memory if nothing is buffered.
  void release_if_empty() {
    if (empty() && storage_) {
      storage_.reset();
      capacity_ = 0;
    }
  }

 private:
  std::unique_ptr<char[]> storage_;
  std::size_t capacity_ = 0, begin_ = 0, end_ = 0;
};

}  // namespace asgi::server
