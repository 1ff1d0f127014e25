#pragma once
// Incremental HTTP/1.1 request parser on llhttp (every lenient flag off), plus the checks llhttp
// leaves to servers: Host, versions, transfer codings, CONNECT, asterisk-form and size limits
// (the request-smuggling and resource checks RFC 9112 asks of servers). I/O-free: feed it bytes in
// any split; it never reads past the current message.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "asgi/protocol/limits.hpp"
#include "asgi/protocol/request_head.hpp"

struct llhttp__internal_s;  // llhttp.h stays out of this header

namespace asgi::protocol {

class RequestParser {
 public:
  enum class Status {
    need_more,  ///< all input consumed, the message is not complete
    head,       ///< the head is complete and a body follows; call head(), then feed the body
    body_full,  ///< the body sink reached its high-water mark; deliver it, then feed the rest
    complete,   ///< the message is complete (head() is valid too); the next feed starts the next
    error,      ///< bad request: error_status() is the HTTP status to answer with, then close
  };
  struct Result {
    Status status;
    std::size_t consumed;  ///< bytes of the input used; the rest belongs to later calls
  };

  explicit RequestParser(const RequestLimits& limits);
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  /// Parses `input`. Body bytes are appended to `*body_sink` (or dropped when it is null) and
  /// parsing pauses once the sink holds `high_water` bytes or more.
  Result feed(std::string_view input, std::string* body_sink = nullptr,
              std::size_t high_water = 65536);

  /// The current message's head; valid after Status::head or Status::complete.
  RequestHead& head() { return head_; }
  bool head_complete() const { return head_complete_; }
  /// True once the first byte of a message arrived (so an idle connection can be told apart).
  bool message_started() const { return message_started_; }

  int error_status() const { return error_status_; }
  /// Short reason for the log ("Invalid header value char", "Missing Host header", ...).
  const std::string& error_reason() const { return error_reason_; }

  struct Callbacks;  ///< llhttp's C callbacks (request_parser.cpp)

 private:
  friend struct Callbacks;

  void start_message();
  int fail(int status, std::string reason);
  int on_headers_complete();
  int check_head();
  void commit_header();

  RequestLimits limits_;
  std::unique_ptr<::llhttp__internal_s> parser_;

  RequestHead head_;
  std::string field_, value_;
  bool in_value_ = false;
  bool head_complete_ = false;
  bool message_started_ = false;
  bool message_complete_ = false;
  bool paused_ = false;
  std::size_t head_bytes_ = 0;
  std::size_t host_count_ = 0;
  std::size_t transfer_encoding_count_ = 0;
  // Where the fields check_head() looks at are (index into head_.headers; npos: absent), noted
  // while parsing so the checks need no lookups.
  static constexpr std::size_t absent = static_cast<std::size_t>(-1);
  std::size_t host_field_ = absent;
  std::size_t transfer_encoding_field_ = absent;
  std::size_t expect_field_ = absent;
  std::size_t te_field_ = absent;
  std::uint64_t body_bytes_ = 0;
  std::size_t chunk_extension_bytes_ = 0;
  std::string* body_sink_ = nullptr;
  std::size_t high_water_ = 0;
  int error_status_ = 0;
  std::string error_reason_;
};

}  // namespace asgi::protocol
