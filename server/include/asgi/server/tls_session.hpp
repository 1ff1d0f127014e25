#pragma once
// One connection's TLS, run by OpenSSL straight on the non-blocking socket (as nginx does): every
// call does what it can now and otherwise says whether it waits for the socket to become readable
// or writable. The Transport turns that into Asio operations.
//
// Writes go through a staging copy of at most one TLS record: after OpenSSL reports a full socket
// it must be given the very same bytes again, while our callers may split what they retry
// differently (coalesced the first time, as separate buffers the next). The staged bytes are
// always the next bytes of what the caller passes, because a caller retries from where the last
// call said it stopped.

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <memory>
#include <string>

#include "asgi/value.hpp"

using SSL = struct ssl_st;

namespace asgi::server {

class TlsContext;

class TlsSession {
 public:
  enum class Want { nothing, read, write };

  TlsSession(std::shared_ptr<const TlsContext> context, int fd);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  /// Advances the handshake: Want::nothing with `ec` clear once it is complete; `ec` set when it
  /// failed (failure_reason() says why, for the log).
  Want handshake(boost::system::error_code& ec);
  /// Why the handshake failed, in OpenSSL's words.
  const std::string& failure_reason() const { return failure_reason_; }
  /// The first bytes were a plain HTTP request (a client that forgot the https://).
  bool plain_http_seen() const { return plain_http_seen_; }

  /// Decrypted bytes now: 0 with `ec` clear and `want` set when it must wait; `ec` = eof at the
  /// end of the stream (close_notify, or a peer that just closed, as browsers do).
  std::size_t read(boost::asio::mutable_buffer buffer, boost::system::error_code& ec, Want& want);

  /// Encrypts and sends what the socket takes now from `buffers` (see the class comment).
  template <class ConstBuffers>
  std::size_t write(const ConstBuffers& buffers, boost::system::error_code& ec, Want& want) {
    std::size_t written = 0;
    for (;;) {
      stage(buffers, written);
      if (staging_.empty()) return written;
      std::size_t n = write_staged(ec, want);
      if (ec || n == 0) return written;
      written += n;
    }
  }

  /// Decrypted or received bytes OpenSSL holds that a socket readiness wait would not see.
  bool has_buffered_input() const;
  std::size_t buffered_input() const;
  /// Sends close_notify if the socket takes it now (never waits).
  void send_close_notify();
  /// The ASGI `tls` extension's dict for this (handshaken) connection.
  Value describe() const;

 private:
  static constexpr std::size_t record_size = 16 * 1024;

  // Appends to the staging copy the bytes of `buffers` that follow the `done` bytes already
  // written and the ones already staged, up to one record.
  template <class ConstBuffers>
  void stage(const ConstBuffers& buffers, std::size_t done) {
    std::size_t skip = done + staging_.size();
    auto end = boost::asio::buffer_sequence_end(buffers);
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != end && staging_.size() < record_size; ++it) {
      boost::asio::const_buffer piece(*it);
      if (skip >= piece.size()) {
        skip -= piece.size();
        continue;
      }
      piece += skip;
      skip = 0;
      std::size_t take = std::min(piece.size(), record_size - staging_.size());
      staging_.append(static_cast<const char*>(piece.data()), take);
    }
  }
  std::size_t write_staged(boost::system::error_code& ec, Want& want);
  Want classify(int result, boost::system::error_code& ec);

  std::shared_ptr<const TlsContext> context_;  ///< outlives ssl_, which points into it
  SSL* ssl_;
  std::string staging_;
  std::string failure_reason_;
  bool plain_http_seen_ = false;
};

}  // namespace asgi::server
