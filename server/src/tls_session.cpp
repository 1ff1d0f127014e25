#include "asgi/server/tls_session.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/error.hpp>
#include <cerrno>

#include "asgi/server/tls_context.hpp"

namespace asgi::server {

namespace net = boost::asio;

namespace {

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

std::string pem_of(X509* certificate) {
  BIO* bio = BIO_new(BIO_s_mem());
  std::string pem;
  if (bio && PEM_write_bio_X509(bio, certificate) == 1) pem = bio_text(bio);
  BIO_free(bio);
  return pem;
}

// RFC 4514 (OpenSSL's RFC 2253 form, which 4514 obsoletes without changing the syntax), with
// UTF-8 kept as is rather than escaped.
std::string distinguished_name(X509* certificate) {
  BIO* bio = BIO_new(BIO_s_mem());
  std::string name;
  if (bio && X509_NAME_print_ex(bio, X509_get_subject_name(certificate), 0,
                                XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0)
    name = bio_text(bio);
  BIO_free(bio);
  return name;
}

}  // namespace

TlsSession::TlsSession(std::shared_ptr<const TlsContext> context, int fd)
    : context_(std::move(context)), ssl_(SSL_new(context_->native())) {
  if (!ssl_ || SSL_set_fd(ssl_, fd) != 1) throw std::runtime_error("cannot start a TLS session");
  SSL_set_accept_state(ssl_);
}

TlsSession::~TlsSession() {
  SSL_free(ssl_);
}

TlsSession::Want TlsSession::classify(int result, boost::system::error_code& ec) {
  int error = SSL_get_error(ssl_, result);
  switch (error) {
    case SSL_ERROR_WANT_READ:
      return Want::read;
    case SSL_ERROR_WANT_WRITE:
      return Want::write;
    case SSL_ERROR_ZERO_RETURN:
      ec = net::error::eof;
      break;
    case SSL_ERROR_SYSCALL:
      // No close_notify: the peer closed (browsers do) or reset the connection.
      if (errno != 0 && ERR_peek_error() == 0)
        ec.assign(errno, boost::system::system_category());
      else
        ec = net::error::eof;
      failure_reason_ = ec == net::error::eof ? "the client closed the connection" : ec.message();
      break;
    default: {
      unsigned long code = ERR_peek_last_error();
      if (ERR_GET_REASON(code) == SSL_R_HTTP_REQUEST) plain_http_seen_ = true;
      const char* reason = ERR_reason_error_string(code);
      failure_reason_ = reason ? reason : "TLS error";
      ec.assign(EPROTO, boost::system::system_category());  // the reason is kept for the log
      break;
    }
  }
  ERR_clear_error();
  return Want::nothing;
}

TlsSession::Want TlsSession::handshake(boost::system::error_code& ec) {
  ERR_clear_error();
  errno = 0;
  int result = SSL_do_handshake(ssl_);
  if (result == 1) return Want::nothing;
  Want want = classify(result, ec);
  if (want == Want::nothing && !ec) ec = net::error::eof;
  return want;
}

std::size_t TlsSession::read(net::mutable_buffer buffer, boost::system::error_code& ec,
                             Want& want) {
  want = Want::nothing;
  if (buffer.size() == 0) return 0;
  ERR_clear_error();
  errno = 0;
  std::size_t n = 0;
  int result = SSL_read_ex(ssl_, buffer.data(), buffer.size(), &n);
  if (result == 1) return n;
  want = classify(result, ec);
  return 0;
}

std::size_t TlsSession::write_staged(boost::system::error_code& ec, Want& want) {
  want = Want::nothing;
  ERR_clear_error();
  errno = 0;
  std::size_t n = 0;
  int result = SSL_write_ex(ssl_, staging_.data(), staging_.size(), &n);
  if (result == 1) {
    staging_.clear();
    if (staging_.capacity() > 4096) std::string().swap(staging_);  // idle connections stay small
    return n;
  }
  want = classify(result, ec);
  if (ec == net::error::eof) ec = net::error::broken_pipe;
  return 0;
}

bool TlsSession::has_buffered_input() const {
  return SSL_has_pending(ssl_) == 1;
}

std::size_t TlsSession::buffered_input() const {
  int pending = SSL_pending(ssl_);
  return pending > 0 ? static_cast<std::size_t>(pending) : (has_buffered_input() ? 1 : 0);
}

void TlsSession::send_close_notify() {
  ERR_clear_error();
  if (SSL_is_init_finished(ssl_)) SSL_shutdown(ssl_);
  ERR_clear_error();
}

Value TlsSession::describe() const {
  Dict tls;
  const std::string& server_pem = context_->certificate_pem();
  tls["server_cert"] = server_pem.empty() ? Value() : Value(server_pem);
  List chain;
  Value name;
  Value error;
  if (X509* leaf = SSL_get0_peer_certificate(ssl_)) {
    chain.emplace_back(pem_of(leaf));
    name = distinguished_name(leaf);
    // On the server side the peer's chain does not repeat the leaf.
    if (STACK_OF(X509)* rest = SSL_get_peer_cert_chain(ssl_)) {
      for (int i = 0; i < sk_X509_num(rest); ++i) {
        X509* certificate = sk_X509_value(rest, i);
        if (X509_cmp(certificate, leaf) != 0) chain.emplace_back(pem_of(certificate));
      }
    }
    long verified = SSL_get_verify_result(ssl_);
    if (verified != X509_V_OK) error = X509_verify_cert_error_string(verified);
  }
  tls["client_cert_chain"] = std::move(chain);
  tls["client_cert_name"] = std::move(name);
  tls["client_cert_error"] = std::move(error);
  tls["tls_version"] = SSL_version(ssl_);
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
  tls["cipher_suite"] = cipher ? Value(SSL_CIPHER_get_protocol_id(cipher)) : Value();
  return tls;
}

}  // namespace asgi::server
