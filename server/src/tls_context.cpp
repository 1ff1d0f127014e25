#include "asgi/server/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <cstring>

namespace asgi::server {

namespace {

// OpenSSL's reason for the last failure, and the error queue emptied for the next call.
std::string openssl_reason() {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  const char* reason = ERR_reason_error_string(code);
  return reason ? reason : "error " + std::to_string(code);
}

int give_password(char* buffer, int size, int /*rwflag*/, void* userdata) {
  const auto* password = static_cast<const std::string*>(userdata);
  if (password->size() > static_cast<std::size_t>(size)) return 0;
  std::memcpy(buffer, password->data(), password->size());
  return static_cast<int>(password->size());
}

// ALPN: HTTP/1.1 is what we speak. A client offering only h2 gets no ALPN answer and falls back
// to HTTP/1.1 over the connection rather than failing the handshake.
int select_http11(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                  unsigned int inlen, void*) {
  static const unsigned char http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, outlen, http11, sizeof http11, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

std::string certificate_as_pem(SSL_CTX* context) {
  X509* certificate = SSL_CTX_get0_certificate(context);
  if (!certificate) return {};
  BIO* bio = BIO_new(BIO_s_mem());
  std::string pem;
  if (bio && PEM_write_bio_X509(bio, certificate) == 1) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    if (size > 0) pem.assign(data, static_cast<std::size_t>(size));
  }
  BIO_free(bio);
  return pem;
}

}  // namespace

std::shared_ptr<const TlsContext> TlsContext::load(const TlsSettings& settings,
                                                   std::string& problem) {
  ERR_clear_error();
  SSL_CTX* native = SSL_CTX_new(TLS_server_method());
  if (!native) {
    problem = "cannot create a TLS context: " + openssl_reason();
    return nullptr;
  }
  std::shared_ptr<TlsContext> context(new TlsContext(native));
  auto fail = [&problem](std::string what) {
    problem = std::move(what) + ": " + openssl_reason();
    return nullptr;
  };
  SSL_CTX_set_min_proto_version(native, settings.min_version);
  // Renegotiation is a denial-of-service lever and HTTP/1.1 has no use for it; compression leaks
  // secrets (CRIME).
  SSL_CTX_set_options(
      native, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // An idle keep-alive connection gives its read and write buffers back (about 34 KiB).
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(native, settings.ciphers.c_str()) != 1)
    return fail("--ssl-ciphers '" + settings.ciphers + "'");
  std::string password = settings.keyfile_password;
  SSL_CTX_set_default_passwd_cb(native, give_password);
  SSL_CTX_set_default_passwd_cb_userdata(native, &password);
  if (SSL_CTX_use_certificate_chain_file(native, settings.certfile.c_str()) != 1)
    return fail("--ssl-certfile " + settings.certfile);
  const std::string& keyfile = settings.keyfile.empty() ? settings.certfile : settings.keyfile;
  int key_loaded = SSL_CTX_use_PrivateKey_file(native, keyfile.c_str(), SSL_FILETYPE_PEM);
  SSL_CTX_set_default_passwd_cb_userdata(native, nullptr);  // `password` goes out of scope
  if (key_loaded != 1) return fail("--ssl-keyfile " + keyfile);
  if (SSL_CTX_check_private_key(native) != 1)
    return fail("--ssl-keyfile " + keyfile + " does not match --ssl-certfile");
  if (!settings.ca_certs.empty()) {
    if (SSL_CTX_load_verify_locations(native, settings.ca_certs.c_str(), nullptr) != 1)
      return fail("--ssl-ca-certs " + settings.ca_certs);
    // Tells clients which CAs we accept, so that one with several certificates picks right.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(settings.ca_certs.c_str()))
      SSL_CTX_set_client_CA_list(native, names);
  }
  switch (settings.cert_reqs) {
    case ClientCertificates::none:
      SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientCertificates::optional:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
      break;
    case ClientCertificates::required:
      SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  static const unsigned char session_context[] = "asgiserver";
  SSL_CTX_set_session_id_context(native, session_context, sizeof session_context - 1);
  SSL_CTX_set_alpn_select_cb(native, select_http11, nullptr);
  context->certificate_pem_ = certificate_as_pem(native);
  ERR_clear_error();
  return context;
}

TlsContext::~TlsContext() {
  SSL_CTX_free(context_);
}

}  // namespace asgi::server
