#include "asgi/protocol/redis.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace asgi::protocol::redis {

namespace {

// Parses all of `text` as a number in [low, high].
template <class Number>
bool parse_number(std::string_view text, Number low, Number high, Number& out) {
  Number value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < low || value > high)
    return false;
  out = value;
  return true;
}

Reply convert(const redisReply& reply) {
  Reply out;
  switch (reply.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.kind = reply.type == REDIS_REPLY_STRING   ? Reply::Kind::string
                 : reply.type == REDIS_REPLY_STATUS ? Reply::Kind::status
                                                    : Reply::Kind::error;
      out.text.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.kind = Reply::Kind::integer;
      out.integer = reply.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = Reply::Kind::array;
      out.elements.reserve(reply.elements);
      for (std::size_t i = 0; i < reply.elements; ++i)
        out.elements.push_back(convert(*reply.element[i]));
      break;
    default:
      out.kind = Reply::Kind::nil;
  }
  return out;
}

}  // namespace

std::optional<Url> parse_url(std::string_view text, std::string& problem) {
  constexpr std::string_view scheme = "redis://";
  if (!text.starts_with(scheme)) {
    problem = "expected redis://HOST[:PORT][/DB]";
    return std::nullopt;
  }
  std::string_view rest = text.substr(scheme.size());
  Url url;
  if (std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    std::size_t colon = credentials.find(':');
    if (colon == std::string_view::npos) {
      url.password = credentials;  // redis://SECRET@host: the password alone, as redis-cli reads it
    } else {
      url.username = credentials.substr(0, colon);
      url.password = credentials.substr(colon + 1);
    }
  }
  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view path =
      authority.size() < rest.size() ? rest.substr(authority.size() + 1) : std::string_view();
  std::string_view port_text;
  if (authority.starts_with('[')) {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      problem = "unclosed [ in the host";
      return std::nullopt;
    }
    url.host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) {
      problem = "expected :PORT after ]";
      return std::nullopt;
    }
    if (!after.empty()) port_text = after.substr(1);
  } else {
    std::size_t colon = authority.find(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) {
    problem = "the host is missing";
    return std::nullopt;
  }
  if (!port_text.empty() && !parse_number<std::uint16_t>(port_text, 1, 65535, url.port)) {
    problem = "the port must be a number from 1 to 65535";
    return std::nullopt;
  }
  if (!path.empty() && !parse_number<int>(path, 0, 1 << 20, url.db)) {
    problem = "the database must be a number (redis://HOST:PORT/0)";
    return std::nullopt;
  }
  return url;
}

std::string describe(const Url& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  return (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port) + "/" +
         std::to_string(url.db);
}

struct ReplyReader::Impl {
  redisReader* reader = redisReaderCreate();
  ~Impl() { redisReaderFree(reader); }
};

ReplyReader::ReplyReader() : impl_(std::make_unique<Impl>()) {
  if (!impl_->reader) throw std::bad_alloc();
}

ReplyReader::~ReplyReader() = default;

void ReplyReader::feed(std::string_view bytes) {
  if (bytes.empty()) return;
  if (redisReaderFeed(impl_->reader, bytes.data(), bytes.size()) != REDIS_OK)
    throw std::runtime_error("redis reply reader: out of memory");
}

std::optional<Reply> ReplyReader::next() {
  void* raw = nullptr;
  if (redisReaderGetReply(impl_->reader, &raw) != REDIS_OK)
    throw std::runtime_error(std::string("not a Redis reply: ") + impl_->reader->errstr);
  if (!raw) return std::nullopt;
  std::unique_ptr<redisReply, void (*)(void*)> reply(static_cast<redisReply*>(raw),
                                                     freeReplyObject);
  return convert(*reply);
}

std::string command(const std::vector<std::string_view>& arguments) {
  std::vector<const char*> pointers;
  std::vector<std::size_t> lengths;
  for (std::string_view argument : arguments) {
    pointers.push_back(argument.data());
    lengths.push_back(argument.size());
  }
  char* formatted = nullptr;
  int length = redisFormatCommandArgv(&formatted, static_cast<int>(arguments.size()),
                                      pointers.data(), lengths.data());
  if (length < 0) throw std::bad_alloc();
  std::string out(formatted, static_cast<std::size_t>(length));
  redisFreeCommand(formatted);
  return out;
}

std::string wrap(std::string_view origin, std::string_view message) {
  std::string payload;
  payload.reserve(origin.size() + 1 + message.size());
  payload += origin;
  payload += '\n';
  payload += message;
  return payload;
}

std::optional<Envelope> unwrap(std::string_view payload) {
  std::size_t newline = payload.find('\n');
  if (newline == std::string_view::npos || newline == 0) return std::nullopt;
  return Envelope{payload.substr(0, newline), payload.substr(newline + 1)};
}

std::chrono::milliseconds backoff_delay(unsigned failed_attempts) {
  constexpr std::chrono::milliseconds first(100), most(5000);
  std::chrono::milliseconds delay = first;
  for (unsigned i = 0; i < failed_attempts && delay < most; ++i) delay *= 2;
  return std::min(delay, most);
}

}  // namespace asgi::protocol::redis
