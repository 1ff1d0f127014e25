#include <zlib.h>

#include <optional>

#include "asgi/events.hpp"
#include "asgi/toolkit/middleware.hpp"
#include "asgi/toolkit/request.hpp"

namespace asgi::toolkit {

namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// RFC 9110 section 12.5.3: "gzip" or "*" listed with a quality above 0.
bool accepts_gzip(const Scope& scope) {
  for (std::string_view line : scope.headers.get_all("accept-encoding")) {
    while (!line.empty()) {
      std::size_t comma = line.find(',');
      std::string item = lowercase(trim(line.substr(0, comma)));
      line = comma == std::string_view::npos ? std::string_view() : line.substr(comma + 1);
      std::string_view coding = trim(std::string_view(item).substr(0, item.find(';')));
      if (coding != "gzip" && coding != "*") continue;
      std::size_t q = item.find("q=");
      if (q == std::string::npos) return true;
      return std::strtod(item.c_str() + q + 2, nullptr) > 0.0;
    }
  }
  return false;
}

bool compressible(std::string_view content_type) {
  std::string type = media_type(content_type);
  return type.starts_with("text/") || type == "application/json" ||
         type == "application/javascript" || type == "application/xml" || type == "image/svg+xml" ||
         type.ends_with("+json") || type.ends_with("+xml");
}

bool eligible(const HttpResponseStart& start) {
  if (start.status < 200 || start.status == 204 || start.status == 304) return false;
  if (start.headers.contains("content-encoding")) return false;
  return compressible(start.headers.get("content-type").value_or(""));
}

// The app's send, compressing the body once the first piece shows it is worth it.
class GzipChannel final : public detail::Channel {
 public:
  GzipChannel(Send send, std::size_t minimum) : send_(std::move(send)), minimum_(minimum) {}
  GzipChannel(const GzipChannel&) = delete;
  GzipChannel& operator=(const GzipChannel&) = delete;
  ~GzipChannel() override {
    if (zlib_ready_) deflateEnd(&zlib_);
  }

  boost::asio::awaitable<Event> receive() override {
    throw std::logic_error("gzip: this channel only sends");
  }

  boost::asio::awaitable<void> send(Message message) override {
    if (auto* start = std::get_if<HttpResponseStart>(&message)) {
      if (mode_ == Mode::undecided && eligible(*start)) {
        held_start_ = std::move(*start);  // until the first body shows the size
        co_return;
      }
      mode_ = Mode::plain;
      co_await send_(std::move(message));
      co_return;
    }
    auto* body = std::get_if<HttpResponseBody>(&message);
    if (mode_ == Mode::undecided && held_start_) {
      if (!body || (!body->more_body && body->body.size() < minimum_)) {
        mode_ = Mode::plain;  // not worth compressing (or a file sent by the server)
        co_await send_(std::move(*held_start_));
      } else {
        co_await start_compressed();
      }
    }
    if (mode_ != Mode::compressed || !body) {
      co_await send_(std::move(message));
      co_return;
    }
    std::string compressed = deflate_piece(body->body, body->more_body ? Z_SYNC_FLUSH : Z_FINISH);
    co_await send_(HttpResponseBody(std::move(compressed), body->more_body));
  }

 private:
  enum class Mode { undecided, plain, compressed };

  boost::asio::awaitable<void> start_compressed() {
    // 15-bit window (+16: the gzip wrapper): about 256 KiB while a response is compressed.
    if (deflateInit2(&zlib_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
      throw std::runtime_error("gzip: zlib could not start");
    zlib_ready_ = true;
    mode_ = Mode::compressed;
    Headers headers;
    std::string vary = "accept-encoding";
    for (auto [name, value] : held_start_->headers) {
      if (name == "content-length") continue;  // the length changes
      if (name == "vary") {
        vary = std::string(value) + ", accept-encoding";
        continue;
      }
      headers.add(name, value);
    }
    headers.add("content-encoding", "gzip");
    headers.add("vary", vary);
    held_start_->headers = std::move(headers);
    co_await send_(std::move(*held_start_));
  }

  std::string deflate_piece(std::string_view input, int flush) {
    std::string output;
    zlib_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    zlib_.avail_in = static_cast<uInt>(input.size());
    for (;;) {
      char chunk[16 * 1024];
      zlib_.next_out = reinterpret_cast<Bytef*>(chunk);
      zlib_.avail_out = sizeof chunk;
      int result = deflate(&zlib_, flush);
      if (result == Z_STREAM_ERROR) throw std::runtime_error("gzip: zlib failed");
      output.append(chunk, sizeof chunk - zlib_.avail_out);
      if (flush == Z_FINISH ? result == Z_STREAM_END : zlib_.avail_out != 0) break;
    }
    return output;
  }

  Send send_;
  std::size_t minimum_;
  Mode mode_ = Mode::undecided;
  std::optional<HttpResponseStart> held_start_;
  z_stream zlib_{};
  bool zlib_ready_ = false;
};

boost::asio::awaitable<void> run_gzip(std::shared_ptr<const App> app, std::size_t minimum,
                                      Scope scope, Receive receive, Send send) {
  if (scope.type != "http" || scope.method == "HEAD" || !accepts_gzip(scope)) {
    co_await (*app)(std::move(scope), std::move(receive), std::move(send));
    co_return;
  }
  Send compressing(std::make_shared<GzipChannel>(std::move(send), minimum));
  co_await (*app)(std::move(scope), std::move(receive), std::move(compressing));
}

}  // namespace

App gzip(App app, std::size_t minimum_size) {
  auto shared = std::make_shared<const App>(std::move(app));
  return [shared, minimum_size](Scope scope, Receive receive, Send send) {
    return run_gzip(shared, minimum_size, std::move(scope), std::move(receive), std::move(send));
  };
}

}  // namespace asgi::toolkit
