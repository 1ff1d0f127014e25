#include "asgi/server/cli.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "asgi/protocol/redis.hpp"
#include "asgi/protocol/response_encoder.hpp"
#include "asgi/registry.hpp"
#include "asgi/server/config_sources.hpp"
#include "asgi/version.hpp"

namespace asgi::server {

namespace {

// "X-Frame-Options: DENY" -> ("x-frame-options", "DENY"): split at the first ':', the value's
// surrounding blanks dropped (RFC 9110 section 5.5), the name a token, no control characters.
std::optional<std::pair<std::string, std::string>> parse_default_header(std::string_view text) {
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string name(text.substr(0, colon));
  std::string_view value = text.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (!protocol::is_token(name)) return std::nullopt;
  for (char c : value)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) return std::nullopt;
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::pair{std::move(name), std::string(value)};
}

// A --forwarded-allow-ips list (from the flag or FORWARDED_ALLOW_IPS) into `config`; on a bad
// entry, false with `problem` saying which.
bool parse_trust(const std::string& list, Config& config, std::string& problem) {
  std::string entry;
  std::optional<protocol::ProxyTrust> trust = protocol::ProxyTrust::parse(list, &entry);
  if (!trust) {
    problem = "'" + entry + "' is not an IP address or CIDR network";
    return false;
  }
  config.proxy_trust = std::move(*trust);
  return true;
}

std::string available_apps() {
  std::string names;
  for (const std::string& name : registered_apps()) names += (names.empty() ? "" : ", ") + name;
  return names;
}

void add_seconds(CLI::App& cli, const std::string& name, Seconds& target, const std::string& help) {
  cli.add_option_function<double>(
         name, [&target](double s) { target = Seconds(s); }, help)
      ->default_str(fmt::format("{:g}", target.count()))
      ->check(CLI::NonNegativeNumber);
}

// An option taking one of `choices` (any letter case), parsed once into its enum.
template <class Enum>
void add_choice(CLI::App& cli, const std::string& name, Enum& target, const std::string& help,
                std::vector<std::pair<std::string, Enum>> choices) {
  std::vector<std::string> names;
  std::string current;
  for (const auto& [choice, value] : choices) {
    names.push_back(choice);
    if (value == target) current = choice;
  }
  auto assign = [&target, choices](const std::string& chosen) {
    for (const auto& [choice, value] : choices)
      if (choice == chosen) target = value;
  };
  cli.add_option_function<std::string>(name, assign, help)
      ->default_str(current)
      ->transform(CLI::IsMember(names, CLI::ignore_case));
}

// --reload and its watch list, as Uvicorn names them; the globs apply to file names and paths.
void add_reload_options(CLI::App& cli, Config& config) {
  cli.add_flag("--reload", config.reload,
               "Development: restart the worker when a watched file changes (an app library "
               "given with --app is watched too)");
  cli.add_option("--reload-dir", config.reload_dirs,
                 "Directory to watch, with its subdirectories (repeatable); default: the current "
                 "directory")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  // As Uvicorn, the globs given add to the defaults.
  auto add_globs = [](std::vector<std::string>& target) {
    return [&target](const std::vector<std::string>& globs) {
      target.insert(target.end(), globs.begin(), globs.end());
    };
  };
  cli.add_option_function<std::vector<std::string>>(
         "--reload-include", add_globs(config.reload_includes),
         "Glob of the files whose change restarts, added to the defaults (repeatable)")
      ->default_str(fmt::format("{}", fmt::join(config.reload_includes, " ")))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cli.add_option_function<std::vector<std::string>>(
         "--reload-exclude", add_globs(config.reload_excludes),
         "Glob of files and directories to ignore, added to the defaults (repeatable)")
      ->default_str(fmt::format("{}", fmt::join(config.reload_excludes, " ")))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  add_seconds(cli, "--reload-delay", config.reload_delay,
              "Changes this close together make one restart");
}

// --ssl-*: Uvicorn's names. The files are read when the server starts (and again on SIGHUP), so
// that a bad one is reported with OpenSSL's reason.
void add_tls_options(CLI::App& cli, TlsSettings& tls) {
  cli.add_option("--ssl-certfile", tls.certfile,
                 "TLS certificate file (PEM; intermediates may follow it: a chain)");
  cli.add_option("--ssl-keyfile", tls.keyfile,
                 "TLS private key file (PEM; default: the certificate file)");
  cli.add_option("--ssl-keyfile-password", tls.keyfile_password,
                 "Password of an encrypted private key");
  cli.add_option("--ssl-ca-certs", tls.ca_certs,
                 "CA certificates (PEM) that client certificates must be signed by");
  add_choice(cli, "--ssl-cert-reqs", tls.cert_reqs,
             "Client certificates: none, optional (verified if sent), required (mutual TLS)",
             {{"none", ClientCertificates::none},
              {"optional", ClientCertificates::optional},
              {"required", ClientCertificates::required}});
  cli.add_option("--ssl-ciphers", tls.ciphers, "TLS 1.2 ciphers (OpenSSL's cipher list format)")
      ->capture_default_str();
  add_choice(cli, "--ssl-min-version", tls.min_version, "Oldest TLS version accepted: 1.2 or 1.3",
             {{"1.2", 0x0303}, {"1.3", 0x0304}});
}

// What one parse of the options fills in.
struct Parsed {
  Config config;
  std::string positional_app;
  std::vector<std::string> bind_texts;
  std::string uds;
  std::optional<int> inherited_fd;
  std::string config_file;
  std::string env_file;
};

// Uvicorn's variables, read as defaults: one line and exit 3 when bad.
bool check_peer_environment(std::string& problem) {
  if (const char* concurrency = std::getenv("WEB_CONCURRENCY")) {
    char* end = nullptr;
    unsigned long value = std::strtoul(concurrency, &end, 10);
    if (!*concurrency || *end || value < 1 || value > 256) {
      problem = "WEB_CONCURRENCY: '" + std::string(concurrency) + "' is not a number from 1 to 256";
      return false;
    }
  }
  Config scratch;
  if (const char* allow = std::getenv("FORWARDED_ALLOW_IPS");
      allow && !parse_trust(allow, scratch, problem)) {
    problem = "FORWARDED_ALLOW_IPS: " + problem;
    return false;
  }
  return true;
}

// Every option, writing into `parsed`. A value given twice counts once, the last one (so the
// command line can override the environment and the file); repeatable options add up.
std::unique_ptr<CLI::App> make_cli(Parsed& parsed) {
  auto owner = std::make_unique<CLI::App>(
      "asgiserver: an ASGI-style async HTTP/1.1 application server", "asgiserver");
  CLI::App& cli = *owner;
  cli.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  Config& config = parsed.config;
  cli.set_version_flag("--version", "asgiserver " ASGI_VERSION);
  cli.add_option("--config", parsed.config_file,
                 "Read settings from this TOML file (keys: the option names with underscores); "
                 "the command line and ASGISERVER_* variables override it");
  cli.add_option("--env-file", parsed.env_file,
                 "Load environment variables (NAME=VALUE lines) from this file first");
  std::string& positional_app = parsed.positional_app;
  cli.add_option("APP", positional_app, "Application name (same as --app)");
  cli.add_option("--app", config.app_name,
                 "Application to serve: " + available_apps() +
                     "; or an app library built against the installed package: PATH.so:NAME "
                     "(PATH.so alone for its only app)");
  cli.add_flag("--factory", config.factory,
               "Treat APP as an application factory (ASGI_REGISTER_APP_FACTORY), called once at "
               "startup to make the app");
  cli.add_option("--host", config.host, "Bind socket to this host")->capture_default_str();
  cli.add_option("--port", config.port, "Bind socket to this port (0: any free port)")
      ->capture_default_str();
  cli.add_option("--bind,-b", parsed.bind_texts,
                 "Listen on HOST:PORT, [IPv6]:PORT, unix:PATH or fd://N (repeatable); replaces "
                 "--host/--port")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cli.add_option("--uds", parsed.uds, "Listen on a UNIX domain socket (same as --bind unix:PATH)");
  cli.add_option("--fd", parsed.inherited_fd,
                 "Listen on an inherited, already listening socket (same as --bind fd://N)");
  cli.add_option_function<std::string>(
         "--uds-mode",
         [&config](const std::string& octal) {
           std::size_t used = 0;
           unsigned long mode = std::stoul(octal, &used, 8);
           if (used != octal.size() || mode > 07777) throw CLI::ValidationError("--uds-mode", "");
           config.uds_mode = static_cast<unsigned>(mode);
         },
         "Permissions of the --uds socket file, in octal (default 666, or an old file's mode)")
      ->check([](const std::string& octal) -> std::string {
        bool ok = !octal.empty() && octal.size() <= 4 &&
                  octal.find_first_not_of("01234567") == std::string::npos;
        return ok ? "" : "must be an octal file mode such as 660";
      });
  if (const char* concurrency = std::getenv("WEB_CONCURRENCY"))  // checked before
    config.workers = static_cast<unsigned>(std::strtoul(concurrency, nullptr, 10));
  cli.add_option("--workers", config.workers,
                 "Worker processes under a supervisor ($WEB_CONCURRENCY); 1 serves in this process")
      ->capture_default_str()
      ->check(CLI::Range(1u, 256u));
  cli.add_option("--threads", config.threads,
                 "Event-loop threads per process, each accepting on its own socket")
      ->capture_default_str()
      ->check(CLI::Range(1u, 256u));
  add_seconds(cli, "--timeout-worker-healthcheck", config.timeout_worker_healthcheck,
              "Replace a worker process whose event loops do not answer a ping this long");
  cli.add_option("--metrics-bind", config.metrics_bind,
                 "Serve /metrics (Prometheus), /healthz and /readyz on this HOST:PORT, apart from "
                 "the app");
  cli.add_option("--broadcast-url", config.broadcast_url,
                 "Share named broadcast channels and leases with every worker and instance "
                 "through Redis: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]");
  cli.add_option_function<double>(
         "--loop-lag-warn",
         [&config](double milliseconds) { config.loop_lag_warn = Seconds(milliseconds / 1000); },
         "Warn, naming the request, when app code keeps an event loop from coming back this "
         "many milliseconds (0: never)")
      ->default_str("250")
      ->check(CLI::NonNegativeNumber);
  add_reload_options(cli, config);
  cli.add_option("--backlog", config.backlog, "Maximum number of pending connections")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  add_choice(cli, "--log-level", config.log_level, "Log level",
             {{"critical", LogLevel::critical},
              {"error", LogLevel::error},
              {"warning", LogLevel::warning},
              {"info", LogLevel::info},
              {"debug", LogLevel::debug},
              {"trace", LogLevel::trace}});
  add_choice(cli, "--log-format", config.log_format,
             "text (Uvicorn's lines) or json (one object per line: time, level, logger, message; "
             "access lines add client, method, path, query, status, bytes, duration_ms, "
             "user_agent, request_id)",
             {{"text", LogFormat::text}, {"json", LogFormat::json}});
  cli.add_flag_function(
      "--use-colors,!--no-use-colors",
      [&config](std::int64_t count) { config.use_colors = count > 0; },
      "Enable/disable colored level names (default: when writing to a terminal)");
  cli.add_flag("--access-log,!--no-access-log", config.access_log, "Enable/disable the access log");
  cli.add_option_function<std::string>(
      "--access-log-format",
      [&config](const std::string& format) {
        std::string problem;
        config.access_log_format = protocol::AccessLogFormat::parse(format, problem);
        if (!config.access_log_format) throw CLI::ValidationError("--access-log-format", problem);
      },
      "Access-log line with Gunicorn's atoms: %(h)s client, %(m)s method, %(U)s path, %(q)s "
      "query, %(H)s protocol, %(r)s request line, %(s)s status, %(b)s bytes, %(D)s us, %(M)s ms, "
      "%(a)s user agent, %(f)s referer, %(t)s time, %({name}i)s / %({name}o)s headers; default: "
      "Uvicorn's line");
  cli.add_flag("--server-header,!--no-server-header", config.server_header,
               "Enable/disable the default Server header");
  cli.add_flag("--date-header,!--no-date-header", config.date_header,
               "Enable/disable the default Date header");
  cli.add_option_function<std::vector<std::string>>(
         "--header",
         [&config](const std::vector<std::string>& values) {
           for (const std::string& text : values) {
             auto header = parse_default_header(text);
             if (!header)
               throw CLI::ValidationError("--header", "'" + text +
                                                          "' is not NAME:VALUE with a token name "
                                                          "and a value without control characters");
             config.default_headers.push_back(std::move(*header));
           }
         },
         "Add a default response header NAME:VALUE (repeatable); a server header replaces the "
         "default one")
      ->take_all();
  cli.add_flag("--proxy-headers,!--no-proxy-headers", config.proxy_headers,
               "Enable/disable reading Forwarded and X-Forwarded-For/-Proto/-Host from the peers "
               "--forwarded-allow-ips trusts");
  const char* allow_env = std::getenv("FORWARDED_ALLOW_IPS");  // checked before
  std::string allow_default(allow_env ? allow_env : protocol::ProxyTrust::default_list);
  if (std::string ignored; allow_env) parse_trust(allow_default, config, ignored);
  cli.add_option_function<std::string>(
         "--forwarded-allow-ips",
         [&config](const std::string& list) {
           if (std::string problem; !parse_trust(list, config, problem))
             throw CLI::ValidationError("--forwarded-allow-ips", problem);
         },
         "Comma-separated IP addresses, CIDR networks, literals (a socket path), unix: (peers "
         "on a UNIX socket) or * trusted to send proxy headers ($FORWARDED_ALLOW_IPS)")
      ->default_str(allow_default);
  add_tls_options(cli, config.tls);
  cli.add_flag("--proxy-protocol", config.proxy_protocol,
               "Every connection starts with a PROXY protocol v1/v2 header (HAProxy, cloud TCP "
               "load balancers); its addresses count when --forwarded-allow-ips trusts the peer");
  cli.add_option("--root-path", config.root_path,
                 "Set the ASGI root_path for applications mounted below a URL path");
  add_choice(
      cli, "--lifespan", config.lifespan,
      "Lifespan: auto (an app that raises on it does not support it), on, off",
      {{"auto", LifespanMode::automatic}, {"on", LifespanMode::on}, {"off", LifespanMode::off}});
  add_seconds(cli, "--timeout-graceful-shutdown", config.timeout_graceful_shutdown,
              "On SIGINT/SIGTERM, wait this long for in-flight requests, then cancel them");
  add_seconds(cli, "--timeout-lifespan-startup", config.timeout_lifespan_startup,
              "Fail startup if the app has not completed lifespan startup by then");
  add_seconds(cli, "--timeout-lifespan-shutdown", config.timeout_lifespan_shutdown,
              "Stop waiting for the app's lifespan shutdown after this long");
  add_seconds(cli, "--timeout-keep-alive", config.timeout_keep_alive,
              "Close a connection idle this long (seconds), also before its first request");
  add_seconds(cli, "--timeout-request-header", config.timeout_request_header,
              "Answer 408 if a request head is not complete this long after its first byte");
  add_seconds(cli, "--timeout-body-read", config.timeout_body_read,
              "Give up on a request body when no byte arrives this long");
  add_seconds(cli, "--timeout-send", config.timeout_send,
              "Close a connection whose client accepts no data this long");
  add_choice(cli, "--ws", config.ws, "WebSocket support: auto, or none to serve upgrades as HTTP",
             {{"auto", WebSocketMode::automatic}, {"none", WebSocketMode::none}});
  cli.add_option("--ws-max-size", config.ws_max_size,
                 "Largest WebSocket message in bytes (1009 above)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30));
  cli.add_option("--ws-max-queue", config.ws_max_queue,
                 "WebSocket messages buffered for the app before reading pauses")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000}));
  add_seconds(cli, "--ws-ping-interval", config.ws_ping_interval,
              "Send a WebSocket ping this often (0: never)");
  add_seconds(cli, "--ws-ping-timeout", config.ws_ping_timeout,
              "Close with 1011 when a ping gets no pong this long (0: never)");
  cli.add_flag("--ws-per-message-deflate,!--no-ws-per-message-deflate",
               config.ws_per_message_deflate,
               "Enable/disable permessage-deflate compression (RFC 7692)");
  cli.add_option("--limit-request-line", config.limits.max_request_line,
                 "Longest request line in bytes (414 above)")
      ->capture_default_str()
      ->check(CLI::Range(64, 1 << 20));
  cli.add_option("--limit-request-head", config.limits.max_head_bytes,
                 "Largest request head in bytes (431 above)")
      ->capture_default_str()
      ->check(CLI::Range(256, 1 << 24));
  cli.add_option("--limit-request-fields", config.limits.max_header_count,
                 "Most header fields in a request (431 above)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cli.add_option("--limit-concurrency", config.limit_concurrency,
                 "Requests and WebSockets in flight in a process before new ones get a 503 (0: no "
                 "limit)")
      ->capture_default_str();
  cli.add_option("--limit-max-requests", config.limit_max_requests,
                 "Shut down gracefully after this many requests (0: never); under --workers the "
                 "worker is replaced")
      ->capture_default_str();
  cli.add_option("--limit-max-requests-jitter", config.limit_max_requests_jitter,
                 "Add a random 0..N to --limit-max-requests, so workers do not restart together")
      ->capture_default_str();
  cli.add_option("--limit-request-body", config.limits.max_body_bytes,
                 "Largest request body in bytes, 0 for no limit (413 above)")
      ->capture_default_str();
  return owner;
}

// CLI11 takes the words in reverse order.
void parse_words(CLI::App& cli, std::vector<std::string> words) {
  std::reverse(words.begin(), words.end());
  cli.parse(words);
}

// The shapes of every option, for the environment and file loaders.
std::vector<OptionShape> option_shapes(const CLI::App& cli) {
  std::vector<OptionShape> shapes;
  for (const CLI::Option* option : cli.get_options()) {
    const std::vector<std::string>& names = option->get_lnames();
    if (names.empty() || names[0] == "help" || names[0] == "version" || names[0] == "config" ||
        names[0] == "env-file")
      continue;
    OptionShape shape{names[0],
                      {},
                      option->get_expected_max() == 0,
                      option->get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll};
    for (const std::string& negation : option->get_fnames()) shape.negation = negation;
    shapes.push_back(std::move(shape));
  }
  return shapes;
}

// The value of `--name VALUE` or `--name=VALUE` among `words` (the last one), or empty.
std::string word_value(const std::vector<std::string>& words, const std::string& name) {
  std::string value;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i] == name && i + 1 < words.size()) value = words[i + 1];
    if (words[i].starts_with(name + "=")) value = words[i].substr(name.size() + 1);
  }
  return value;
}

// Each setting from the environment or the file, checked alone, so that a bad one is reported
// with where it came from.
bool check_settings(const std::vector<SourcedSetting>& settings, std::string& problem) {
  for (const SourcedSetting& setting : settings) {
    Parsed scratch;
    auto cli = make_cli(scratch);
    try {
      parse_words(*cli, setting.words);
    } catch (const CLI::ParseError& e) {
      problem = setting.origin + ": " + e.what();
      return false;
    }
  }
  return true;
}

// Lower layers first, so that a later value wins; a repeatable option takes its values from the
// highest layer that has any.
std::vector<std::string> layered_words(const std::vector<SourcedSetting>& file,
                                       const std::vector<SourcedSetting>& environment,
                                       const std::vector<std::string>& command_line,
                                       const std::vector<OptionShape>& shapes) {
  auto repeatable = [&shapes](const std::string& option) {
    for (const OptionShape& shape : shapes)
      if (shape.name == option) return shape.repeatable;
    return false;
  };
  auto given_in = [](const std::vector<SourcedSetting>& layer, const std::string& option) {
    return std::any_of(layer.begin(), layer.end(),
                       [&option](const SourcedSetting& s) { return s.option == option; });
  };
  auto on_command_line = [&command_line](const std::string& option) {
    return std::any_of(command_line.begin(), command_line.end(), [&option](const std::string& w) {
      return w == "--" + option || w.starts_with("--" + option + "=");
    });
  };
  std::vector<std::string> words;
  for (const SourcedSetting& setting : file) {
    if (repeatable(setting.option) &&
        (given_in(environment, setting.option) || on_command_line(setting.option)))
      continue;
    words.insert(words.end(), setting.words.begin(), setting.words.end());
  }
  for (const SourcedSetting& setting : environment) {
    if (repeatable(setting.option) && on_command_line(setting.option)) continue;
    words.insert(words.end(), setting.words.begin(), setting.words.end());
  }
  words.insert(words.end(), command_line.begin(), command_line.end());
  return words;
}

CliResult failure(const std::string& problem) {
  std::cerr << "Error: " << problem << std::endl;
  return {std::nullopt, exit_startup_failure};
}

}  // namespace

CliResult parse_command_line(int argc, char** argv) {
  std::vector<std::string> command_line(argv + 1, argv + argc);
  std::string problem;
  // The variables an --env-file sets count like the ones already in the environment.
  if (std::string env_file = word_value(command_line, "--env-file"); !env_file.empty())
    if (!load_env_file(env_file, problem)) return failure(problem);
  if (!check_peer_environment(problem)) return failure(problem);

  Parsed parsed;
  auto cli = make_cli(parsed);
  std::vector<OptionShape> shapes = option_shapes(*cli);
  std::vector<SourcedSetting> from_file;
  std::string config_file = word_value(command_line, "--config");
  if (config_file.empty() && std::getenv("ASGISERVER_CONFIG"))
    config_file = std::getenv("ASGISERVER_CONFIG");
  if (!config_file.empty()) {
    std::optional<std::vector<SourcedSetting>> settings =
        settings_from_file(config_file, shapes, problem);
    if (!settings) return failure(problem);
    from_file = std::move(*settings);
  }
  std::vector<SourcedSetting> from_environment = settings_from_environment(shapes);
  if (!check_settings(from_file, problem) || !check_settings(from_environment, problem))
    return failure(problem);

  try {
    parse_words(*cli, layered_words(from_file, from_environment, command_line, shapes));
  } catch (const CLI::CallForHelp& e) {
    return {std::nullopt, cli->exit(e)};
  } catch (const CLI::CallForVersion& e) {
    return {std::nullopt, cli->exit(e)};
  } catch (const CLI::ParseError& e) {
    std::cerr << "Error: " << e.what() << " (see --help)" << std::endl;
    return {std::nullopt, exit_startup_failure};
  }
  Config& config = parsed.config;
  const std::string& positional_app = parsed.positional_app;

  for (const std::string& text : parsed.bind_texts) {
    std::string error;
    std::optional<BindAddress> bind = BindAddress::parse(text, error);
    if (!bind) {
      std::cerr << "Error: --bind '" << text << "': " << error << std::endl;
      return {std::nullopt, exit_startup_failure};
    }
    config.binds.push_back(std::move(*bind));
  }
  if (!parsed.uds.empty())
    config.binds.push_back({.kind = BindAddress::Kind::unix_socket, .path = parsed.uds});
  if (parsed.inherited_fd)
    config.binds.push_back({.kind = BindAddress::Kind::inherited_fd, .fd = *parsed.inherited_fd});

  if (!positional_app.empty()) {
    if (!config.app_name.empty() && config.app_name != positional_app) {
      std::cerr << "Error: two different apps given: '" << positional_app << "' and '"
                << config.app_name << "'" << std::endl;
      return {std::nullopt, exit_startup_failure};
    }
    config.app_name = positional_app;
  }
  if (!config.metrics_bind.empty()) {
    std::string error;
    std::optional<BindAddress> bind = BindAddress::parse(config.metrics_bind, error);
    if (!bind || bind->kind != BindAddress::Kind::tcp)
      return failure("--metrics-bind '" + config.metrics_bind +
                     "': " + (bind ? std::string("must be HOST:PORT") : error));
  }
  if (!config.broadcast_url.empty()) {
    std::string error;
    if (!protocol::redis::parse_url(config.broadcast_url, error))
      return failure("--broadcast-url '" + config.broadcast_url + "': " + error);
  }
  if (config.app_name.empty()) {
    std::cerr << "Error: no app given; use --app NAME (one of: " << available_apps() << ")"
              << std::endl;
    return {std::nullopt, exit_startup_failure};
  }
  return {std::move(config), 0};
}

}  // namespace asgi::server
