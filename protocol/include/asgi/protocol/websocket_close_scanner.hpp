#pragma once
// Follows the frames a WebSocket client sends (their headers; payloads are skipped) to see the
// status code of its Close frame as the client sent it. I/O-free: the server runs it over every
// byte it reads from the client, before Beast parses them.
//
// Why it exists: Boost.Beast 1.81 checks a received close code against its own list, which still
// treats 1014 (Bad Gateway, registered in IANA's WebSocket close code registry) as reserved, and
// fails the connection with 1002 before anything outside Beast sees the frame (upstream accepts
// 1014 since boostorg/beast pull request 3099). So the scanner rewrites that one code to a code
// Beast accepts on its way in, and keeps the code the client sent, for the session to answer and
// report. With a Beast that accepts 1014 the rewrite is harmless.

#include <cstddef>
#include <cstdint>

namespace asgi::protocol {

class WebSocketCloseScanner {
 public:
  /// The code Beast is shown in place of 1014.
  static constexpr int stand_in_code = 1000;

  /// Scans the next `size` bytes the client sent (each byte once, in order) and rewrites a
  /// 1014 in the first Close frame to stand_in_code, in place. Only the code's second byte
  /// changes, so a byte that was already passed on never needs rewriting.
  void scan(unsigned char* data, std::size_t size);
  void scan(char* data, std::size_t size) { scan(reinterpret_cast<unsigned char*>(data), size); }

  /// The status code of the client's first Close frame as it was sent, or 0 while none has
  /// arrived or when it carried no code.
  int close_code() const { return close_code_; }

 private:
  std::size_t header_needed() const;

  unsigned char header_[14] = {};  // 2 bytes, a 16- or 64-bit length, a 4-byte masking key
  std::size_t header_size_ = 0;
  std::uint64_t payload_left_ = 0;
  std::uint64_t payload_offset_ = 0;
  unsigned char key_[4] = {};
  bool close_frame_ = false;  // the payload being skipped is a masked Close frame's
  unsigned char code_high_ = 0;
  int close_code_ = 0;
  bool done_ = false;  // after the first Close frame nothing more is parsed (RFC 6455 §5.5.1)
};

}  // namespace asgi::protocol
