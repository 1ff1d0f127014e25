#pragma once
// The I/O-free side of talking to Redis for --broadcast-url: the URL, commands and replies in
// RESP (hiredis's reader and formatter do the protocol), how a broadcast travels in a Redis
// pub/sub message, and the reconnect schedule. server/redis_broker.cpp adds the sockets.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asgi::protocol::redis {

/// `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]`: HOST a name, an IPv4 address or [IPv6].
struct Url {
  std::string host;
  std::uint16_t port = 6379;
  int db = 0;
  std::string username;  ///< Redis 6 ACL user; empty: the default user
  std::string password;  ///< empty: no AUTH
};

/// The URL, or nullopt with `problem` saying what is wrong (one line for the command line).
std::optional<Url> parse_url(std::string_view text, std::string& problem);
/// "HOST:PORT/DB" for log lines: never the password.
std::string describe(const Url& url);

/// One reply, converted from hiredis's: bulk and simple strings, errors, integers, nil, arrays.
struct Reply {
  enum class Kind { string, status, error, integer, nil, array };
  Kind kind = Kind::nil;
  std::string text;             ///< string, status, error
  long long integer = 0;        ///< integer
  std::vector<Reply> elements;  ///< array
};

/// Splits the bytes read from a connection into replies, however the reads cut them.
class ReplyReader {
 public:
  ReplyReader();
  ~ReplyReader();
  ReplyReader(const ReplyReader&) = delete;
  ReplyReader& operator=(const ReplyReader&) = delete;

  void feed(std::string_view bytes);
  /// The next complete reply, or nullopt until more bytes are fed. Throws std::runtime_error on
  /// bytes that are not RESP (the connection must then be dropped).
  std::optional<Reply> next();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A command in RESP, each argument binary-safe.
std::string command(const std::vector<std::string_view>& arguments);

/// Every broadcast channel lives under this prefix in Redis, so one pattern subscription
/// ("asgiserver:*") receives them all and other users of the same Redis are left alone.
inline constexpr std::string_view kChannelPrefix = "asgiserver:";

/// A pub/sub payload: the publishing process's origin id, a newline, the message. A process
/// drops its own messages when they come back (its subscribers already had them).
std::string wrap(std::string_view origin, std::string_view message);
struct Envelope {
  std::string_view origin;
  std::string_view message;
};
/// nullopt for a payload not made by wrap() (someone else publishing under the prefix).
std::optional<Envelope> unwrap(std::string_view payload);

/// Waits between reconnect attempts: 100 ms, doubling, at most 5 s.
std::chrono::milliseconds backoff_delay(unsigned failed_attempts);

/// The lease scripts (EVAL): take-or-renew answers 1 when ARGV[1] now holds KEYS[1] for ARGV[2]
/// ms, 0 when another token does; release deletes the key only when ARGV[1] holds it.
inline constexpr std::string_view kHoldLeaseScript =
    "local v = redis.call('GET', KEYS[1]) "
    "if v == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end "
    "if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end "
    "return 0";
inline constexpr std::string_view kReleaseLeaseScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
    "return 0";

}  // namespace asgi::protocol::redis
