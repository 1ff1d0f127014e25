// The test client's HTTP half: each request is a fresh in-memory connection to the worker,
// written and read with Beast's HTTP client code (the request as given, `connection: close`).

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>

#include "asgi/registry.hpp"
#include "asgi/server/transport.hpp"
#include "client_impl.hpp"

namespace asgi::testing {

namespace net = boost::asio;
namespace http = boost::beast::http;

namespace {

constexpr std::size_t stream_capacity = 256 * 1024;

std::string lowercase(std::string_view text) {
  std::string result(text);
  for (char& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

}  // namespace

std::string_view Response::header(std::string_view name) const {
  return headers.get(name).value_or(std::string_view());
}

Client::Impl::Impl(App app_, ClientOptions options_)
    : options(std::move(options_)), app(std::move(app_)) {
  config.root_path = options.root_path;
  worker = std::make_unique<server::Worker>(config, app);
}

Client::Impl::~Impl() {
  worker->begin_shutdown();
  worker->cancel_connections();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (worker->connection_count() > 0 && std::chrono::steady_clock::now() < deadline) {
    context().restart();
    if (context().poll() == 0) context().run_one_for(std::chrono::milliseconds(1));
  }
}

server::MemoryStream Client::Impl::connect() {
  auto [server_end, client_end] =
      server::MemoryStream::make_pair(context().get_executor(), stream_capacity);
  server::Transport::Peers peers{Address{"testclient", 50000}, Address{"testserver", 80},
                                 "testclient:50000"};
  worker->serve(server::Transport(std::move(server_end), std::move(peers)));
  return std::move(client_end);
}

Client::Client(App app, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(app), std::move(options))) {}

Client Client::for_registered(std::string_view name, ClientOptions options) {
  const App* app = find_app(name);
  if (!app) throw std::invalid_argument("no app registered as '" + std::string(name) + "'");
  return Client(*app, std::move(options));
}

Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

Response Client::request(std::string_view method, std::string_view target, std::string body,
                         const Headers& headers) {
  http::request<http::string_body> request;
  request.method_string(method);
  request.target(target);
  request.version(11);
  bool has_host = headers.contains("host");
  if (!has_host) request.set(http::field::host, "testserver");
  for (auto [name, value] : headers) request.insert(name, value);
  request.set(http::field::connection, "close");
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
    request.content_length(body.size());
  request.body() = std::move(body);

  server::MemoryStream stream = impl_->connect();
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  bool written = false, read = false;
  boost::system::error_code write_error, read_error;
  http::async_write(stream, request, [&](boost::system::error_code ec, std::size_t) {
    write_error = ec;
    written = true;
  });
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  parser.skip(method == "HEAD");
  http::async_read(stream, buffer, parser, [&](boost::system::error_code ec, std::size_t) {
    read_error = ec;
    read = true;
  });
  // Both operations end before this frame does: the write is awaited too, and a timeout closes
  // the stream first (run_operation).
  auto both = [&] { return read && written; };
  impl_->run_operation(
      stream, [&] { return read; }, both,
      "response to " + std::string(method) + " " + std::string(target));
  if (read_error) {
    stream.close();
    impl_->drain(both);
    throw std::runtime_error("asgi::testing::Client: " + std::string(method) + " " +
                             std::string(target) + ": " + read_error.message());
  }
  response = parser.release();
  Response result;
  result.status = static_cast<int>(response.result_int());
  result.reason = std::string(response.reason());
  for (const auto& field : response)
    result.headers.add(lowercase(field.name_string()), field.value());
  result.body = std::move(response.body());
  stream.close();  // the write has ended by now, or ends (aborted) on the next turn
  impl_->drain(both);
  return result;
}

Response Client::get(std::string_view target, const Headers& headers) {
  return request("GET", target, {}, headers);
}

Response Client::post(std::string_view target, std::string body, const Headers& headers) {
  return request("POST", target, std::move(body), headers);
}

void Client::startup() {
  if (!impl_->lifespan)
    impl_->lifespan = std::make_unique<server::Lifespan>(impl_->context().get_executor(),
                                                         impl_->app, impl_->config);
  // Shared: after a timeout the startup goes on, and its handler runs after this frame is gone.
  auto started = std::make_shared<std::optional<bool>>();
  net::co_spawn(impl_->context(), impl_->lifespan->startup(),
                [started](std::exception_ptr error, bool ok) { *started = !error && ok; });
  impl_->run_until([&] { return started->has_value(); }, "lifespan startup");
  if (!**started) throw std::runtime_error("asgi::testing::Client: lifespan startup failed");
  impl_->worker->set_state(impl_->lifespan->state());
}

void Client::shutdown() {
  if (!impl_->lifespan) return;
  auto done = std::make_shared<bool>(false);
  net::co_spawn(impl_->context(), impl_->lifespan->shutdown(),
                [done](std::exception_ptr) { *done = true; });
  impl_->run_until([&] { return *done; }, "lifespan shutdown");
}

const State& Client::state() const {
  static const State none;
  return impl_->lifespan ? impl_->lifespan->state() : none;
}

}  // namespace asgi::testing
