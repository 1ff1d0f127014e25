#include "asgi/protocol/websocket_close_scanner.hpp"

#include <algorithm>

namespace asgi::protocol {

namespace {

constexpr unsigned char opcode_close = 0x8;
constexpr int bad_gateway = 1014;
static_assert(WebSocketCloseScanner::stand_in_code >> 8 == bad_gateway >> 8,
              "only the code's second byte may change: its first may be passed on already");

}  // namespace

// RFC 6455 §5.2: two bytes, then a 16- or 64-bit extended length, then the masking key.
std::size_t WebSocketCloseScanner::header_needed() const {
  if (header_size_ < 2) return 2;
  unsigned char length7 = header_[1] & 0x7F;
  std::size_t extended = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
  return 2 + extended + ((header_[1] & 0x80) ? 4 : 0);
}

void WebSocketCloseScanner::scan(unsigned char* data, std::size_t size) {
  std::size_t i = 0;
  while (i < size && !done_) {
    if (payload_left_ == 0) {  // a frame header, byte by byte (it may be split across reads)
      header_[header_size_++] = data[i++];
      if (header_size_ < header_needed()) continue;
      unsigned char length7 = header_[1] & 0x7F;
      std::uint64_t length = length7;
      std::size_t at = 2;
      if (length7 >= 126) {
        std::size_t bytes = length7 == 126 ? 2 : 8;
        length = 0;
        for (std::size_t k = 0; k < bytes; ++k) length = (length << 8) | header_[at++];
      }
      bool masked = (header_[1] & 0x80) != 0;
      if (masked) std::copy_n(header_ + at, 4, key_);
      bool close = (header_[0] & 0x0F) == opcode_close;
      header_size_ = 0;
      payload_left_ = length;
      payload_offset_ = 0;
      // Only a masked Close frame with a code is looked into: an empty one has no code, and an
      // unmasked, 1-byte or oversized one is a protocol error Beast reports itself. Either way
      // it is the last frame that counts.
      close_frame_ = close && masked && length >= 2 && length <= 125;
      if (close && !close_frame_) done_ = true;
      continue;
    }
    if (close_frame_ && payload_offset_ < 2) {
      unsigned char& byte = data[i++];
      unsigned char key = key_[payload_offset_];
      unsigned char plain = static_cast<unsigned char>(byte ^ key);
      if (payload_offset_ == 0) {
        code_high_ = plain;
      } else {
        close_code_ = (code_high_ << 8) | plain;
        // 1014 and the stand-in share their first byte, which may already be on its way.
        if (close_code_ == bad_gateway)
          byte = static_cast<unsigned char>((stand_in_code & 0xFF) ^ key);
        done_ = true;
      }
      ++payload_offset_;
      --payload_left_;
      continue;
    }
    std::size_t skip = static_cast<std::size_t>(std::min<std::uint64_t>(payload_left_, size - i));
    i += skip;
    payload_left_ -= skip;
    payload_offset_ += skip;
  }
}

}  // namespace asgi::protocol
