// WebSocketCloseScanner: finds the code of the client's first Close frame across any split of the
// byte stream, rewrites 1014 (and nothing else) to the stand-in code Beast accepts, and leaves
// every other byte alone.

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>

#include "asgi/protocol/websocket_close_scanner.hpp"

using asgi::protocol::WebSocketCloseScanner;

namespace {

constexpr unsigned char kText = 0x1, kBinary = 0x2, kClose = 0x8, kPing = 0x9;
constexpr std::array<unsigned char, 4> kKey = {0x37, 0xFA, 0x21, 0x3D};

/// A client frame (FIN set) with the minimal length encoding, masked with kKey unless `masked`
/// is false.
std::string client_frame(unsigned char opcode, const std::string& payload, bool masked = true) {
  std::string out;
  out += static_cast<char>(0x80 | opcode);
  unsigned char mask_bit = masked ? 0x80 : 0;
  std::size_t n = payload.size();
  if (n < 126) {
    out += static_cast<char>(mask_bit | n);
  } else if (n < 65536) {
    out += static_cast<char>(mask_bit | 126);
    for (int shift = 8; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xFF);
  } else {
    out += static_cast<char>(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8)
      out += static_cast<char>((static_cast<std::uint64_t>(n) >> shift) & 0xFF);
  }
  if (!masked) return out + payload;
  for (unsigned char k : kKey) out += static_cast<char>(k);
  for (std::size_t i = 0; i < n; ++i)
    out += static_cast<char>(static_cast<unsigned char>(payload[i]) ^ kKey[i % 4]);
  return out;
}

std::string close_payload(int code, const std::string& reason = "") {
  return std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)} + reason;
}

/// The code in a masked Close frame built by client_frame (a short one: 2-byte header).
int code_in(const std::string& close_frame) {
  auto byte = [&](std::size_t i) {
    return static_cast<unsigned char>(close_frame[6 + i]) ^ kKey[i];
  };
  return (byte(0) << 8) | byte(1);
}

/// Feeds `bytes` to `scanner` in pieces of `piece` bytes (0: all at once).
std::string scanned(WebSocketCloseScanner& scanner, std::string bytes, std::size_t piece = 0) {
  if (piece == 0) piece = bytes.size();
  for (std::size_t at = 0; at < bytes.size(); at += piece)
    scanner.scan(bytes.data() + at, std::min(piece, bytes.size() - at));
  return bytes;
}

}  // namespace

TEST(WebSocketCloseScanner, RewritesBadGatewayAndReportsIt) {
  std::string frame = client_frame(kClose, close_payload(1014, "upstream gone"));
  WebSocketCloseScanner scanner;
  std::string out = scanned(scanner, frame);
  EXPECT_EQ(scanner.close_code(), 1014);
  EXPECT_EQ(code_in(out), WebSocketCloseScanner::stand_in_code);
  EXPECT_EQ(out.substr(8), frame.substr(8));        // the reason is untouched
  EXPECT_EQ(out.substr(0, 7), frame.substr(0, 7));  // so are the header and the code's first byte
}

TEST(WebSocketCloseScanner, EverySplitOfTheStream) {
  std::string before = client_frame(kText, std::string(300, 't')) + client_frame(kPing, "p") +
                       client_frame(kBinary, std::string(70000, 'b')) + client_frame(kText, "");
  std::string close = client_frame(kClose, close_payload(1014, "bye"));
  for (std::size_t piece = 1; piece <= 16; ++piece) {
    WebSocketCloseScanner scanner;
    std::string out = scanned(scanner, before + close, piece);
    EXPECT_EQ(scanner.close_code(), 1014) << piece;
    EXPECT_EQ(out.substr(0, before.size()), before) << piece;
    EXPECT_EQ(code_in(out.substr(before.size())), WebSocketCloseScanner::stand_in_code) << piece;
  }
}

TEST(WebSocketCloseScanner, OtherCodesAreReportedUnchanged) {
  for (int code : {1000, 1001, 1013, 1015, 2999, 3000, 4999, 5000, 9999, 65535}) {
    std::string frame = client_frame(kClose, close_payload(code));
    WebSocketCloseScanner scanner;
    EXPECT_EQ(scanned(scanner, frame, 3), frame) << code;
    EXPECT_EQ(scanner.close_code(), code);
  }
}

TEST(WebSocketCloseScanner, OnlyTheFirstCloseFrameCounts) {
  // Nothing after the first Close frame is parsed (RFC 6455 §5.5.1), so nothing there changes.
  std::string empty_close = client_frame(kClose, "");
  std::string later = client_frame(kClose, close_payload(1014));
  WebSocketCloseScanner scanner;
  EXPECT_EQ(scanned(scanner, empty_close + later), empty_close + later);
  EXPECT_EQ(scanner.close_code(), 0);

  std::string first = client_frame(kClose, close_payload(1001));
  WebSocketCloseScanner second;
  EXPECT_EQ(scanned(second, first + later), first + later);
  EXPECT_EQ(second.close_code(), 1001);
}

TEST(WebSocketCloseScanner, UnmaskedOrMalformedCloseFramesAreLeftToBeast) {
  // Beast fails these itself; a rewrite would only change which error it reports.
  for (const std::string& frame :
       {client_frame(kClose, close_payload(1014), false), client_frame(kClose, "\x03")}) {
    WebSocketCloseScanner scanner;
    EXPECT_EQ(scanned(scanner, frame), frame);
    EXPECT_EQ(scanner.close_code(), 0);
  }
}

TEST(WebSocketCloseScanner, CodeBytesInsideDataFramesAreNotCloseCodes) {
  std::string data = client_frame(kBinary, close_payload(1014)) + client_frame(kText, "\x03\xF6");
  WebSocketCloseScanner scanner;
  EXPECT_EQ(scanned(scanner, data, 1), data);
  EXPECT_EQ(scanner.close_code(), 0);
}
