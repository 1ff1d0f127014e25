#include "asgi/protocol/response_encoder.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "asgi/errors.hpp"
#include "asgi/protocol/http_date.hpp"
#include "asgi/protocol/status.hpp"

namespace asgi::protocol {

namespace {

constexpr std::string_view crlf = "\r\n";
constexpr std::string_view last_chunk = "0\r\n\r\n";
constexpr std::string_view chunk_end_and_last_chunk = "\r\n0\r\n\r\n";

// RFC 9110 §5.6.2 tchar, as a table: it is checked for every byte of every response header name.
constexpr std::array<bool, 256> tchar_table = [] {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

bool is_tchar(unsigned char c) {
  return tchar_table[c];
}

// Bytes a header value must not carry (controls but tab, and DEL), as a table for the same reason.
constexpr std::array<bool, 256> bad_value_byte_table = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = c != '\t';
  table[0x7f] = true;
  return table;
}();

void append_header(std::string& out, std::string_view name, std::string_view value) {
  std::size_t at = out.size();
  out.resize(at + name.size() + value.size() + 4);  // one capacity check instead of four
  char* p = out.data() + at;
  p = std::copy(name.begin(), name.end(), p);
  *p++ = ':';
  *p++ = ' ';
  p = std::copy(value.begin(), value.end(), p);
  *p++ = '\r';
  *p = '\n';
}

// The `date` and `server` lines that start nearly every response, as one block rendered at most
// once a second per thread: one copy per response instead of two header renderings.
void append_date_and_server(std::string& out, bool date, bool server,
                            std::string_view server_name) {
  if (!date || !server) {
    if (date) append_header(out, "date", cached_http_date());
    if (server) append_header(out, "server", server_name);
    return;
  }
  struct Block {
    std::time_t second = -1;
    std::string server_name, rendered;
  };
  thread_local Block block;
  CachedHttpDate today = cached_http_date_and_second();
  if (block.second != today.second || block.server_name != server_name) {
    block.second = today.second;
    block.server_name = server_name;
    block.rendered.clear();
    append_header(block.rendered, "date", today.text);
    append_header(block.rendered, "server", server_name);
  }
  out += block.rendered;
}

void append_hex(std::string& out, std::size_t n) {
  char buf[20];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n, 16);
  out.append(buf, end);
}

std::optional<std::uint64_t> parse_length(std::string_view value) {
  std::uint64_t n = 0;
  if (value.empty() || value.size() > 19) return std::nullopt;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
  return n;
}

}  // namespace

bool is_token(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return is_tchar(static_cast<unsigned char>(c));
  });
}

bool is_valid_field_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(),
                      [](char c) { return bad_value_byte_table[static_cast<unsigned char>(c)]; });
}

ResponseEncoder::ResponseEncoder(const ResponseOptions& options, std::string* scratch)
    : options_(options), buffer_(scratch ? *scratch : own_buffer_) {}

void ResponseEncoder::fail(const std::string& message) {
  failed_ = true;
  throw ProtocolError(message);
}

void ResponseEncoder::start(HttpResponseStart start) {
  if (state_ != State::awaiting_start)
    fail(state_ == State::complete
             ? "Unexpected ASGI message 'http.response.start' sent, after response already "
               "completed."
             : "Expected ASGI message 'http.response.body', but got 'http.response.start'.");
  if (start.status < 100 || start.status > 599)
    fail("Invalid HTTP status code " + std::to_string(start.status) + " in response.");
  if (start.status < 200)
    fail("Informational status " + std::to_string(start.status) +
         " cannot be sent with http.response.start.");
  for (auto [name, value] : start.headers) {
    if (!is_token(name)) fail("Invalid HTTP header name.");
    if (!is_valid_field_value(value)) fail("Invalid HTTP header value.");
    if (iequals(name, "content-length")) {
      auto length = parse_length(value);
      if (!length || declared_length_) fail("Invalid or repeated content-length header.");
      declared_length_ = length;
    } else if (iequals(name, "connection")) {
      app_connection_header_ = true;
      if (iequals(value, "close")) force_close_ = true;
    } else if (iequals(name, "date")) {
      app_date_header_ = true;
    } else if (iequals(name, "server")) {
      app_server_header_ = true;
    }
  }
  status_ = start.status;
  body_allowed_ = !options_.head_request && status_ != 204 && status_ != 304;
  start_ = std::move(start);
  state_ = State::streaming;
}

void ResponseEncoder::render_head(std::uint64_t first_size, bool more_body) {
  const bool http10 = options_.http_minor == 0;
  if (status_ == 204) {
    framing_ = Framing::none;
    declared_length_.reset();  // RFC 9110 §8.6: no Content-Length on 204
  } else if (!body_allowed_) {
    framing_ = Framing::none;
    if (!declared_length_ && !more_body && options_.head_request)
      declared_length_ = first_size;  // what a GET would have said
  } else if (declared_length_) {
    framing_ = Framing::content_length;
  } else if (!more_body && !start_.trailers) {
    framing_ = Framing::content_length;
    declared_length_ = first_size;
  } else if (!http10) {
    framing_ = Framing::chunked;
  } else {
    framing_ = Framing::close_delimited;
  }
  keep_alive_ =
      options_.request_keep_alive && !force_close_ && framing_ != Framing::close_delimited;

  buffer_.clear();
  buffer_.reserve(256);
  buffer_ += status_line(status_);
  append_date_and_server(buffer_, options_.date_header && !app_date_header_,
                         options_.server_header && !app_server_header_, options_.server_name);
  buffer_ += options_.extra_headers;
  for (auto [name, value] : start_.headers) {
    // The server owns the framing (ASGI: an app's Transfer-Encoding is ignored).
    if (iequals(name, "transfer-encoding") || iequals(name, "content-length")) continue;
    append_header(buffer_, name, value);
  }
  if (framing_ == Framing::chunked) append_header(buffer_, "transfer-encoding", "chunked");
  if (declared_length_) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, *declared_length_);
    append_header(buffer_, "content-length", std::string_view(digits, end));
  }
  if (!app_connection_header_) {
    if (!keep_alive_)
      append_header(buffer_, "connection", "close");
    else if (http10)
      append_header(buffer_, "connection", "keep-alive");
  }
  buffer_ += crlf;
  head_rendered_ = true;
}

void ResponseEncoder::check_can_send_body(std::string_view type) {
  if (state_ == State::awaiting_start)
    fail("Expected ASGI message 'http.response.start', but got '" + std::string(type) + "'.");
  if (state_ != State::streaming)
    fail("Unexpected ASGI message '" + std::string(type) +
         "' sent, after response already completed.");
  if (failed_) fail("The response already failed.");
}

void ResponseEncoder::count_body(std::uint64_t size, bool more_body, bool fresh_head) {
  if (framing_ == Framing::content_length) {
    const char* error = nullptr;
    if (sent_length_ + size > *declared_length_)
      error = "Response content longer than Content-Length";
    else if (!more_body && sent_length_ + size < *declared_length_)
      error = "Response content shorter than Content-Length";
    if (error) {
      // Nothing of this response went out yet: the server can still answer 500 instead.
      if (fresh_head) head_rendered_ = false;
      fail(error);
    }
  }
  sent_length_ += size;
  state_ =
      more_body ? State::streaming : (start_.trailers ? State::awaiting_trailers : State::complete);
}

WirePieces ResponseEncoder::body(const HttpResponseBody& message) {
  check_can_send_body(HttpResponseBody::type);
  const bool fresh_head = !head_rendered_;
  if (fresh_head) {
    render_head(message.body.size(), message.more_body);
  } else {
    buffer_.clear();
  }
  const bool final = !message.more_body;
  std::string_view data = body_allowed_ ? std::string_view(message.body) : std::string_view();
  count_body(data.size(), message.more_body, fresh_head);

  WirePieces pieces{buffer_, data, {}};
  if (framing_ == Framing::chunked) {
    if (!data.empty()) {
      append_hex(buffer_, data.size());
      buffer_ += crlf;
    }
    if (!final)
      pieces.suffix = data.empty() ? std::string_view() : crlf;
    else if (start_.trailers)
      pieces.suffix = data.empty() ? std::string_view() : crlf;  // last chunk comes with trailers
    else
      pieces.suffix = data.empty() ? last_chunk : chunk_end_and_last_chunk;
    pieces.prefix = buffer_;
  }
  return pieces;
}

FilePieces ResponseEncoder::file(std::uint64_t file_size) {
  check_can_send_body(HttpResponsePathsend::type);
  if (head_rendered_)
    fail("ASGI message 'http.response.pathsend' cannot follow 'http.response.body'.");
  render_head(file_size, /*more_body=*/false);
  const std::uint64_t size = body_allowed_ ? file_size : 0;
  count_body(size, /*more_body=*/false, /*fresh_head=*/true);

  FilePieces pieces{buffer_, size, {}};
  if (framing_ == Framing::chunked && size > 0) {  // trailers follow, so no content-length
    append_hex(buffer_, size);
    buffer_ += crlf;
    pieces.prefix = buffer_;
    pieces.suffix = crlf;
  }
  return pieces;
}

WirePieces ResponseEncoder::trailers(const HttpResponseTrailers& message) {
  if (state_ != State::awaiting_trailers)
    fail("Unexpected ASGI message 'http.response.trailers'" +
         std::string(start_.trailers ? " before the final body." : " without trailers: true."));
  for (auto [name, value] : message.headers) {
    if (!is_token(name)) fail("Invalid HTTP header name.");
    if (!is_valid_field_value(value)) fail("Invalid HTTP header value.");
  }
  buffer_.clear();
  if (!message.more_trailers) state_ = State::complete;
  if (framing_ != Framing::chunked) return {};
  if (!last_chunk_sent_) buffer_ += "0\r\n";  // the trailer section follows the last chunk
  last_chunk_sent_ = true;
  // RFC 9110 §6.5.1: only send trailer fields to a client that said it accepts them.
  if (options_.client_accepts_trailers)
    for (auto [name, value] : message.headers) append_header(buffer_, name, value);
  if (state_ == State::complete) buffer_ += crlf;
  return {buffer_, {}, {}};
}

std::string ResponseEncoder::error_response(int status, std::string_view body,
                                            const ResponseOptions& options,
                                            std::string_view extra_headers) {
  std::string out(status_line(status));
  append_date_and_server(out, options.date_header, options.server_header, options.server_name);
  out += options.extra_headers;
  append_header(out, "content-type", "text/plain; charset=utf-8");
  append_header(out, "content-length", std::to_string(body.size()));
  out += extra_headers;
  append_header(out, "connection", "close");
  out += crlf;
  if (!options.head_request) out += body;
  return out;
}

}  // namespace asgi::protocol
