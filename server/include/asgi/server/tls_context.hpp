#pragma once
// The server's TLS configuration as OpenSSL holds it: certificate chain, key, the CAs client
// certificates must chain to, versions and ciphers. Loaded once at startup and again on SIGHUP
// (renewed certificates without a restart); a connection keeps the context it started with.

#include <memory>
#include <mutex>
#include <string>

#include "asgi/server/config.hpp"

using SSL_CTX = struct ssl_ctx_st;

namespace asgi::server {

class TlsContext {
 public:
  /// The context for `settings`, or nullptr with `problem` saying which file failed and why.
  static std::shared_ptr<const TlsContext> load(const TlsSettings& settings, std::string& problem);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* native() const { return context_; }
  /// The server's own certificate in PEM, as the ASGI `tls` extension's `server_cert` shows it.
  const std::string& certificate_pem() const { return certificate_pem_; }

 private:
  explicit TlsContext(SSL_CTX* context) : context_(context) {}

  SSL_CTX* context_;
  std::string certificate_pem_;
};

/// The context new connections use, shared by the event-loop threads; a reload swaps it.
class TlsContextHolder {
 public:
  explicit TlsContextHolder(std::shared_ptr<const TlsContext> context)
      : context_(std::move(context)) {}

  std::shared_ptr<const TlsContext> current() const {
    std::lock_guard lock(mutex_);
    return context_;
  }
  void replace(std::shared_ptr<const TlsContext> context) {
    std::lock_guard lock(mutex_);
    context_ = std::move(context);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const TlsContext> context_;
};

}  // namespace asgi::server
