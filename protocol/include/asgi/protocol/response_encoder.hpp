#pragma once
// The HTTP side of the ASGI response state machine: validates what the app sends (order, status,
// headers), chooses the framing and renders the wire bytes. I/O-free.
//
// `http.response.start` is held until the first body message (ASGI allows it), so a response sent
// as one body gets a Content-Length instead of chunked framing.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "asgi/events.hpp"

namespace asgi::protocol {

struct ResponseOptions {
  bool head_request = false;
  int http_minor = 1;
  bool request_keep_alive = true;
  bool client_accepts_trailers = false;  ///< the request had `TE: trailers`
  bool date_header = true;
  bool server_header = true;
  std::string_view server_name = "asgiserver";
  /// Rendered "name: value\r\n" lines sent after date and server on every response (--header).
  std::string_view extra_headers;
};

/// Bytes for one write: `prefix` (head and/or chunk-size line), the app's `data`, then `suffix`.
/// Views stay valid until the next call on the encoder (and `data` while the message lives).
struct WirePieces {
  std::string_view prefix;
  std::string_view data;
  std::string_view suffix;
  bool empty() const { return prefix.empty() && data.empty() && suffix.empty(); }
};

/// What to write around a file body (`http.response.pathsend`): `prefix`, then `file_bytes` bytes
/// of the file, then `suffix`.
struct FilePieces {
  std::string_view prefix;
  std::uint64_t file_bytes = 0;
  std::string_view suffix;
};

class ResponseEncoder {
 public:
  /// `scratch`, when given, is where the wire bytes are rendered: a server passes one string per
  /// connection so that no response allocates it again. It must outlive the encoder.
  explicit ResponseEncoder(const ResponseOptions& options, std::string* scratch = nullptr);
  ResponseEncoder(const ResponseEncoder&) = delete;
  ResponseEncoder& operator=(const ResponseEncoder&) = delete;

  /// Takes `http.response.start`. Writes nothing yet.
  /// @throws ProtocolError for a second start, a status outside 200-599 (1xx cannot be final) or
  /// an invalid header.
  void start(HttpResponseStart start);
  /// Takes `http.response.body` and returns what to write (the head with the first body).
  /// @throws ProtocolError before start, after completion, or when the body overruns or falls
  /// short of the app's Content-Length (the connection must then close).
  WirePieces body(const HttpResponseBody& message);
  /// Takes `http.response.pathsend` for a file of `file_size` bytes: the whole body, so it cannot
  /// follow a body message. file_bytes is 0 when the response has no body (HEAD, 204, 304).
  /// @throws ProtocolError out of order, or when the app's Content-Length differs from the size.
  FilePieces file(std::uint64_t file_size);
  /// Takes `http.response.trailers` after the final body of a `trailers: true` response.
  WirePieces trailers(const HttpResponseTrailers& message);

  /// The server will close after this response (call before the head is rendered).
  void force_close() { force_close_ = true; }

  bool started() const { return state_ != State::awaiting_start; }
  bool head_rendered() const { return head_rendered_; }
  bool complete() const { return state_ == State::complete; }
  bool failed() const { return failed_; }
  int status() const { return status_; }
  /// Body bytes so far (without the chunked framing), for the access log.
  std::uint64_t body_bytes() const { return sent_length_; }
  /// Whether the connection can carry another request once this response is complete.
  bool keep_alive() const { return keep_alive_ && !failed_; }

  /// Renders a complete error response with `connection: close` (400, 413, 500, ...);
  /// `extra_headers` are pre-rendered "name: value\r\n" lines.
  static std::string error_response(int status, std::string_view body,
                                    const ResponseOptions& options,
                                    std::string_view extra_headers = {});

 private:
  enum class State { awaiting_start, streaming, awaiting_trailers, complete };
  enum class Framing { content_length, chunked, close_delimited, none };

  void check_can_send_body(std::string_view type);
  void render_head(std::uint64_t first_size, bool more_body);
  /// Records `size` more body bytes (the final ones unless `more_body`) against the framing.
  void count_body(std::uint64_t size, bool more_body, bool fresh_head);
  [[noreturn]] void fail(const std::string& message);

  ResponseOptions options_;
  State state_ = State::awaiting_start;
  HttpResponseStart start_;
  Framing framing_ = Framing::none;
  bool body_allowed_ = true;
  bool head_rendered_ = false;
  bool keep_alive_ = false;
  bool force_close_ = false;
  bool failed_ = false;
  bool app_connection_header_ = false;
  bool app_date_header_ = false;
  bool app_server_header_ = false;
  bool last_chunk_sent_ = false;
  int status_ = 0;
  std::optional<std::uint64_t> declared_length_;
  std::uint64_t sent_length_ = 0;
  std::string own_buffer_;
  std::string& buffer_;
};

/// RFC 9110 §5.6.2 token (a valid field name).
bool is_token(std::string_view name);
/// RFC 9110 §5.5 field-value: no CR, LF, NUL or other controls except HTAB.
bool is_valid_field_value(std::string_view value);

}  // namespace asgi::protocol
