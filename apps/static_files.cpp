// `static`: serves the files under one directory with the ASGI `http.response.pathsend`
// extension, so the server sends each file with sendfile(2) and no copy passes through the app.
//
//   ASGI_STATIC_DIR=/srv/www asgiserver --app static     (default: the current directory)
//
//   GET /a/b.css  ->  200 with the file (content-type from the extension; the server adds the
//                     content-length from the file's size)
//   GET /docs/    ->  /docs/index.html when it exists
//   HEAD          ->  the same headers, no body
//   anything outside the directory (.., symlinks out) or missing -> 404; other methods -> 405

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <boost/asio/awaitable.hpp>

#include "asgi/app.hpp"
#include "asgi/events.hpp"
#include "asgi/registry.hpp"
#include "common/http.hpp"

namespace {

namespace fs = std::filesystem;

std::string_view content_type_for(const fs::path& file) {
  const std::string extension = file.extension().string();
  struct Type {
    std::string_view extension, type;
  };
  static constexpr Type types[] = {
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".gif", "image/gif"},
      {".wasm", "application/wasm"},
  };
  for (const Type& t : types)
    if (extension == t.extension) return t.type;
  return "application/octet-stream";
}

const fs::path& static_root() {
  static const fs::path root = [] {
    const char* dir = std::getenv("ASGI_STATIC_DIR");
    return fs::canonical(dir && *dir ? fs::path(dir) : fs::current_path());
  }();
  return root;
}

// The regular file `url_path` names under the root, or nullopt. canonical() resolves "..", "."
// and symlinks, so checking the result's prefix keeps every request inside the root.
std::optional<fs::path> resolve(std::string_view url_path) {
  if (url_path.find('\0') != std::string_view::npos) return std::nullopt;
  std::error_code ec;
  fs::path candidate = fs::canonical(static_root() / fs::path(url_path).relative_path(), ec);
  if (ec) return std::nullopt;
  if (fs::is_directory(candidate, ec)) candidate /= "index.html";
  auto [root_end, unused] =
      std::mismatch(static_root().begin(), static_root().end(), candidate.begin(), candidate.end());
  (void)unused;
  if (root_end != static_root().end() || !fs::is_regular_file(candidate, ec)) return std::nullopt;
  return candidate;
}

boost::asio::awaitable<void> static_app(asgi::Scope scope, asgi::Receive, asgi::Send send) {
  apps::require_http(scope, "static");
  if (scope.method != "GET" && scope.method != "HEAD") {
    asgi::Headers allow{{"allow", "GET, HEAD"}};
    co_await apps::send_response(send, 405, "text/plain", "Method Not Allowed\n", std::move(allow));
    co_return;
  }
  std::optional<fs::path> file = resolve(apps::route_path(scope));
  if (!file) {
    co_await apps::send_response(send, 404, "text/plain", "Not Found\n");
    co_return;
  }
  asgi::HttpResponseStart start(200, {{"content-type", std::string(content_type_for(*file))}});
  co_await send(std::move(start));
  co_await send(asgi::HttpResponsePathsend(file->string()));
}

}  // namespace

ASGI_REGISTER_APP(static, static_app);
