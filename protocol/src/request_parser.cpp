#include "asgi/protocol/request_parser.hpp"

#include <llhttp.h>

#include <algorithm>
#include <array>

#include "asgi/protocol/header_tokens.hpp"

static_assert(LLHTTP_VERSION_MAJOR > 9 || (LLHTTP_VERSION_MAJOR == 9 && LLHTTP_VERSION_MINOR > 2) ||
                  (LLHTTP_VERSION_MAJOR == 9 && LLHTTP_VERSION_MINOR == 2 &&
                   LLHTTP_VERSION_PATCH >= 1),
              "llhttp >= 9.2.1 is required (CVE-2024-27982)");

namespace asgi::protocol {

namespace {

RequestParser& self(llhttp_t* p) {
  return *static_cast<RequestParser*>(p->data);
}

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// RFC 9112 §3.2: Host = uri-host [ ":" port ]; reject what cannot be a host (space, userinfo,
// comma, path). An empty Host is allowed by the RFC when the target has no authority. The bytes
// are a table: every request is checked.
constexpr std::array<bool, 256> bad_host_byte = [] {
  std::array<bool, 256> table{};
  for (char c : std::string_view(" \t@,/\\?#")) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

bool valid_host(std::string_view host) {
  return std::none_of(host.begin(), host.end(),
                      [](char c) { return bad_host_byte[static_cast<unsigned char>(c)]; });
}

}  // namespace

struct RequestParser::Callbacks {
  static int on_message_begin(llhttp_t* p) {
    self(p).start_message();
    return 0;
  }
  static int on_url(llhttp_t* p, const char* at, std::size_t len) {
    RequestParser& r = self(p);
    r.head_.target.append(at, len);
    r.head_bytes_ += len;
    if (r.head_.target.size() > r.limits_.max_request_line)
      return r.fail(414, "Request line too long");
    return 0;
  }
  static int on_header_field(llhttp_t* p, const char* at, std::size_t len) {
    RequestParser& r = self(p);
    if (r.in_value_) r.commit_header();
    r.field_.append(at, len);
    return count_head_bytes(r, len);
  }
  static int on_header_value(llhttp_t* p, const char* at, std::size_t len) {
    RequestParser& r = self(p);
    r.in_value_ = true;
    r.value_.append(at, len);
    return count_head_bytes(r, len);
  }
  static int on_header_value_complete(llhttp_t* p) {
    RequestParser& r = self(p);
    r.in_value_ = true;  // an empty value produces no on_header_value call
    r.commit_header();
    if (r.head_.headers.size() > r.limits_.max_header_count)
      return r.fail(431, "Too many header fields");
    return 0;
  }
  static int on_headers_complete(llhttp_t* p) { return self(p).on_headers_complete(); }
  static int on_body(llhttp_t* p, const char* at, std::size_t len) {
    RequestParser& r = self(p);
    r.body_bytes_ += len;
    if (r.limits_.max_body_bytes && r.body_bytes_ > r.limits_.max_body_bytes)
      return r.fail(413, "Request body too large");
    if (r.body_sink_) r.body_sink_->append(at, len);
    return 0;
  }
  static int on_chunk_header(llhttp_t* p) {
    self(p).chunk_extension_bytes_ = 0;
    return 0;
  }
  static int on_chunk_extension(llhttp_t* p, const char*, std::size_t len) {
    RequestParser& r = self(p);
    r.chunk_extension_bytes_ += len;
    if (r.chunk_extension_bytes_ > r.limits_.max_chunk_extension_bytes)
      return r.fail(400, "Chunk extension too long");
    return 0;
  }
  static int on_message_complete(llhttp_t* p) {
    RequestParser& r = self(p);
    r.message_complete_ = true;
    return HPE_PAUSED;  // never parse into the next pipelined request before this one is answered
  }
  static int count_head_bytes(RequestParser& r, std::size_t len) {
    r.head_bytes_ += len;
    if (r.head_bytes_ > r.limits_.max_head_bytes) return r.fail(431, "Request header too large");
    return 0;
  }
};

namespace {
// The callbacks are the same for every parser, so one settings table serves them all (a few
// hundred bytes saved per idle connection).
const llhttp_settings_t& parser_settings() {
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = &RequestParser::Callbacks::on_message_begin;
    s.on_url = &RequestParser::Callbacks::on_url;
    s.on_header_field = &RequestParser::Callbacks::on_header_field;
    s.on_header_value = &RequestParser::Callbacks::on_header_value;
    s.on_header_value_complete = &RequestParser::Callbacks::on_header_value_complete;
    s.on_headers_complete = &RequestParser::Callbacks::on_headers_complete;
    s.on_body = &RequestParser::Callbacks::on_body;
    s.on_chunk_header = &RequestParser::Callbacks::on_chunk_header;
    s.on_chunk_extension_name = &RequestParser::Callbacks::on_chunk_extension;
    s.on_chunk_extension_value = &RequestParser::Callbacks::on_chunk_extension;
    s.on_message_complete = &RequestParser::Callbacks::on_message_complete;
    return s;
  }();
  return settings;
}
}  // namespace

RequestParser::RequestParser(const RequestLimits& limits)
    : limits_(limits), parser_(std::make_unique<llhttp_t>()) {
  // llhttp keeps a non-const pointer but never writes through it.
  llhttp_init(parser_.get(), HTTP_REQUEST, const_cast<llhttp_settings_t*>(&parser_settings()));
  parser_->data = this;
  // Every lenient flag stays at its strict default: each one re-opens a request-smuggling hole.
}

RequestParser::~RequestParser() = default;

void RequestParser::start_message() {
  head_ = RequestHead{};
  head_.headers.reserve(16, 512);  // one allocation for a typical request's fields
  field_.clear();
  value_.clear();
  in_value_ = false;
  head_complete_ = false;
  message_started_ = true;
  message_complete_ = false;
  head_bytes_ = 0;
  host_count_ = 0;
  transfer_encoding_count_ = 0;
  host_field_ = transfer_encoding_field_ = expect_field_ = te_field_ = absent;
  body_bytes_ = 0;
  chunk_extension_bytes_ = 0;
}

int RequestParser::fail(int status, std::string reason) {
  if (error_status_ == 0) {
    error_status_ = status;
    error_reason_ = std::move(reason);
  }
  return -1;
}

void RequestParser::commit_header() {
  if (!in_value_) return;
  std::transform(field_.begin(), field_.end(), field_.begin(), ascii_lower);
  std::string_view value = trim(value_);
  const std::size_t index = head_.headers.size();
  if (field_ == "host") {
    ++host_count_;
    if (host_field_ == absent) host_field_ = index;
  } else if (field_ == "transfer-encoding") {
    ++transfer_encoding_count_;
    if (transfer_encoding_field_ == absent) transfer_encoding_field_ = index;
  } else if (field_ == "expect") {
    if (expect_field_ == absent) expect_field_ = index;
  } else if (field_ == "te") {
    if (te_field_ == absent) te_field_ = index;
  }
  head_.headers.add(field_, value);
  field_.clear();
  value_.clear();
  in_value_ = false;
}

int RequestParser::on_headers_complete() {
  llhttp_t* p = parser_.get();
  head_.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
  head_.http_major = p->http_major;
  head_.http_minor = p->http_minor;
  head_.keep_alive = llhttp_should_keep_alive(p) != 0;
  head_.chunked = (p->flags & F_CHUNKED) != 0;
  if (p->flags & F_CONTENT_LENGTH) head_.content_length = p->content_length;
  head_.upgrade = p->upgrade != 0;
  if (int rc = check_head(); rc != 0) return rc;
  head_complete_ = true;
  // Pause so the server can build the scope before any body byte is parsed; a message without a
  // body runs straight on to on_message_complete, which pauses instead.
  return head_.has_body() ? HPE_PAUSED : 0;
}

// The checks llhttp leaves to servers (RFC 9112 sections 3.2, 6.1 and 6.3).
int RequestParser::check_head() {
  if (head_.http_major != 1) return fail(505, "Unsupported HTTP version");
  if (head_.method == "CONNECT") return fail(405, "CONNECT is not supported");
  if (head_.target == "*" && head_.method != "OPTIONS")
    return fail(400, "Asterisk-form target is only valid for OPTIONS");
  if (host_count_ > 1) return fail(400, "Repeated Host header");
  if (host_count_ == 0 && head_.http_minor >= 1) return fail(400, "Missing Host header");
  if (host_field_ != absent && !valid_host(head_.headers[host_field_].value))
    return fail(400, "Invalid Host header");
  if (transfer_encoding_count_ > 0) {
    if (head_.http_minor == 0) return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (transfer_encoding_count_ > 1 ||
        !iequals(head_.headers[transfer_encoding_field_].value, "chunked"))
      return fail(501, "Unsupported Transfer-Encoding");
  }
  if (limits_.max_body_bytes && head_.content_length.value_or(0) > limits_.max_body_bytes)
    return fail(413, "Request body too large");
  if (expect_field_ != absent && iequals(head_.headers[expect_field_].value, "100-continue"))
    head_.expect_continue = head_.http_minor >= 1;
  if (te_field_ != absent && has_token(head_.headers[te_field_].value, "trailers"))
    head_.te_trailers = true;
  return 0;
}

RequestParser::Result RequestParser::feed(std::string_view input, std::string* body_sink,
                                          std::size_t high_water) {
  if (error_status_) return {Status::error, 0};
  if (paused_) {
    llhttp_resume(parser_.get());
    paused_ = false;
    if (message_complete_) {
      message_complete_ = false;
      head_complete_ = false;
      message_started_ = false;
    }
  }
  body_sink_ = body_sink;
  high_water_ = high_water;
  std::size_t offset = 0;
  while (offset < input.size()) {
    std::string_view slice = input.substr(offset);
    // Body bytes never outnumber input bytes, so capping the slice caps what the sink can gain.
    if (head_complete_ && body_sink_) {
      if (body_sink_->size() >= high_water_) return {Status::body_full, offset};
      slice = slice.substr(0, high_water_ - body_sink_->size());
    }
    llhttp_errno_t err = llhttp_execute(parser_.get(), slice.data(), slice.size());
    if (err == HPE_OK) {
      offset += slice.size();
      continue;
    }
    const char* stop = llhttp_get_error_pos(parser_.get());
    std::size_t used = stop ? static_cast<std::size_t>(stop - slice.data()) : 0;
    if (err == HPE_PAUSED) {
      paused_ = true;
      if (message_complete_) message_started_ = false;  // no byte of the next message yet
      return {message_complete_ ? Status::complete : Status::head, offset + used};
    }
    if (err == HPE_PAUSED_UPGRADE) {
      // An Upgrade this server does not take (WebSocket is handled above the parser): the request
      // was complete, so it is answered as plain HTTP.
      llhttp_resume_after_upgrade(parser_.get());
      if (message_complete_) {
        paused_ = true;
        message_started_ = false;
        return {Status::complete, offset + used};
      }
      offset += used;
      continue;
    }
    if (error_status_ == 0) {
      // A well-formed but unsupported version (HTTP/1.2, HTTP/3.0) is a 505; anything else a 400.
      const llhttp_t* p = parser_.get();
      bool unsupported = err == HPE_INVALID_VERSION && p->http_major <= 9 && p->http_minor <= 9 &&
                         (p->http_major != 1 || p->http_minor > 1);
      error_status_ = unsupported ? 505 : 400;
      error_reason_ = llhttp_get_error_reason(parser_.get());
    }
    return {Status::error, offset + used};
  }
  return {Status::need_more, offset};
}

}  // namespace asgi::protocol
