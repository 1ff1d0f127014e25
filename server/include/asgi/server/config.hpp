#pragma once
// Everything the command line configures.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "asgi/protocol/access_log_format.hpp"
#include "asgi/protocol/limits.hpp"
#include "asgi/protocol/proxy_trust.hpp"
#include "asgi/server/bind_address.hpp"

namespace asgi::server {

using Seconds = std::chrono::duration<double>;

/// A configured time as the event loop's clocks and timers count it.
inline std::chrono::steady_clock::duration to_clock(Seconds seconds) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(seconds);
}

enum class LogLevel { critical, error, warning, info, debug, trace };
/// --log-format: `json` writes every line as one JSON object.
enum class LogFormat { text, json };
/// --lifespan: `automatic` treats an app that raises on the lifespan scope as not supporting it.
enum class LifespanMode { automatic, on, off };
/// --ws: `none` serves upgrade requests as plain HTTP.
enum class WebSocketMode { automatic, none };

/// --ssl-cert-reqs: whether a client certificate is asked for (mutual TLS). `optional` asks and
/// verifies one if sent; `required` refuses a client without a valid one.
enum class ClientCertificates { none, optional, required };

/// --ssl-*: TLS is on when a certificate is given.
struct TlsSettings {
  std::string certfile;          ///< PEM: the certificate, then any intermediates (a chain)
  std::string keyfile;           ///< PEM private key; empty: it is in certfile
  std::string keyfile_password;  ///< for an encrypted key
  std::string ca_certs;          ///< PEM CAs that sign client certificates
  ClientCertificates cert_reqs = ClientCertificates::none;
  std::string ciphers = "HIGH:!aNULL:!MD5";  ///< TLS 1.2 cipher list (nginx's default)
  int min_version = 0x0303;                  ///< TLS 1.2; 0x0304 for TLS 1.3 only
  bool enabled() const { return !certfile.empty(); }
};

struct Config {
  std::string app_name;            ///< a registered name, or an app library: PATH.so[:NAME]
  bool factory = false;            ///< app_name is a factory returning the app
  std::string host = "127.0.0.1";  ///< with port: bound when nothing else is (no --bind etc.)
  std::uint16_t port = 8000;
  /// --bind, --uds and --fd, in the order given (host and port join them when given explicitly).
  std::vector<BindAddress> binds;
  std::optional<unsigned> uds_mode;  ///< the socket file's mode (default 0666)
  unsigned workers = 1;              ///< processes; more than one runs them under a supervisor
  unsigned threads = 1;              ///< event-loop threads per process
  Seconds timeout_worker_healthcheck{5.0};  ///< a worker process this long silent is replaced
  /// --metrics-bind: HOST:PORT of the /metrics, /healthz, /readyz listener (empty: none).
  std::string metrics_bind;
  /// --broadcast-url: redis://HOST:PORT[/DB] carrying named Broadcasters and Leases between
  /// processes (empty: they stay in the process).
  std::string broadcast_url;
  /// --loop-lag-warn: warn when an event loop does not come back this long (0: never).
  Seconds loop_lag_warn{0.25};
  /// --reload (development): one worker process, replaced when a watched file changes.
  bool reload = false;
  std::vector<std::string> reload_dirs;  ///< empty: the current directory
  std::vector<std::string> reload_includes{"*.so"};
  std::vector<std::string> reload_excludes{".*", "*~", "*.swp", "*.tmp"};
  Seconds reload_delay{0.25};  ///< changes this close together make one restart
  int backlog = 2048;
  LogLevel log_level = LogLevel::info;
  LogFormat log_format = LogFormat::text;
  /// --use-colors / --no-use-colors; unset: colors when the stream is a terminal.
  std::optional<bool> use_colors;
  bool access_log = true;
  /// --access-log-format: Gunicorn's atoms; unset: Uvicorn's line.
  std::optional<protocol::AccessLogFormat> access_log_format;
  bool server_header = true;
  bool date_header = true;
  /// --header NAME:VALUE: default headers on every response, after date and server and before the
  /// app's (names lowercased). A configured `server` replaces the default one.
  std::vector<std::pair<std::string, std::string>> default_headers;
  std::string root_path;
  /// --proxy-headers: a trusted peer's Forwarded / X-Forwarded-* set client, scheme and host.
  bool proxy_headers = true;
  /// --forwarded-allow-ips: the peers trusted to speak for the client.
  protocol::ProxyTrust proxy_trust =
      *protocol::ProxyTrust::parse(protocol::ProxyTrust::default_list);
  /// --proxy-protocol: every connection starts with a PROXY protocol (v1 or v2) header.
  bool proxy_protocol = false;
  LifespanMode lifespan = LifespanMode::automatic;
  TlsSettings tls;

  Seconds timeout_keep_alive{5.0};          ///< idle time allowed before (and between) requests
  Seconds timeout_request_header{10.0};     ///< from a request's first byte to its complete head
  Seconds timeout_body_read{60.0};          ///< longest wait for the next body bytes
  Seconds timeout_send{60.0};               ///< longest wait for a write to make progress
  Seconds timeout_graceful_shutdown{30.0};  ///< then what is still running is cancelled
  Seconds timeout_lifespan_startup{60.0};
  Seconds timeout_lifespan_shutdown{30.0};

  protocol::RequestLimits limits;
  /// --limit-concurrency: requests and WebSockets in flight in the process; more get a 503.
  std::size_t limit_concurrency = 0;
  /// --limit-max-requests: shut the process down gracefully after this many requests (0: never),
  /// plus a random 0..jitter so that workers started together do not all restart together.
  std::uint64_t limit_max_requests = 0;
  std::uint64_t limit_max_requests_jitter = 0;

  WebSocketMode ws = WebSocketMode::automatic;
  std::size_t ws_max_size = 16u << 20;  ///< largest message; bigger -> close 1009
  std::size_t ws_max_queue = 32;        ///< received messages buffered for the app
  Seconds ws_ping_interval{20.0};       ///< 0 disables keepalive pings
  Seconds ws_ping_timeout{20.0};        ///< no pong by then -> close 1011; 0 disables
  bool ws_per_message_deflate = true;
};

}  // namespace asgi::server
