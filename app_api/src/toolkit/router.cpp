#include "asgi/toolkit/router.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "asgi/events.hpp"
#include "asgi/toolkit/http_error.hpp"
#include "asgi/toolkit/request.hpp"
#include "asgi/toolkit/response.hpp"

namespace asgi::toolkit {

namespace {

enum class Kind { literal, segment, integer, rest };

struct Part {
  Kind kind;
  std::string text;  ///< the literal, or the parameter's name
};

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    std::size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  return segments;
}

std::vector<Part> compile(std::string_view pattern) {
  if (!pattern.starts_with('/'))
    throw std::invalid_argument("route pattern '" + std::string(pattern) + "' must start with '/'");
  std::vector<Part> parts;
  for (std::string_view segment : split(pattern)) {
    if (!parts.empty() && parts.back().kind == Kind::rest)
      throw std::invalid_argument("'{...:path}' must come last in '" + std::string(pattern) + "'");
    if (!segment.starts_with('{')) {
      parts.push_back({Kind::literal, std::string(segment)});
      continue;
    }
    if (!segment.ends_with('}'))
      throw std::invalid_argument("unclosed '{' in route pattern '" + std::string(pattern) + "'");
    std::string_view inside = segment.substr(1, segment.size() - 2);
    std::size_t colon = inside.find(':');
    std::string name(inside.substr(0, colon));
    std::string_view type = colon == std::string_view::npos ? "" : inside.substr(colon + 1);
    Kind kind = type.empty()    ? Kind::segment
                : type == "int" ? Kind::integer
                : type == "path"
                    ? Kind::rest
                    : throw std::invalid_argument("unknown parameter type '" + std::string(type) +
                                                  "' in '" + std::string(pattern) + "'");
    if (name.empty())
      throw std::invalid_argument("unnamed parameter in '" + std::string(pattern) + "'");
    parts.push_back({kind, std::move(name)});
  }
  return parts;
}

bool is_integer(std::string_view text) {
  if (text.starts_with('-')) text.remove_prefix(1);
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

bool has_trailing_slash(std::string_view path) {
  return path.size() > 1 && path.back() == '/';
}

// The parameters when `path` matches `parts`, else nullopt. A trailing slash must be in both or
// in neither ("/notes/" is not "/notes"), except after a {...:path} parameter, which takes it.
std::optional<PathParams> match(const std::vector<Part>& parts, bool trailing_slash,
                                std::string_view path) {
  bool ends_with_rest = !parts.empty() && parts.back().kind == Kind::rest;
  if (!ends_with_rest && has_trailing_slash(path) != trailing_slash) return std::nullopt;
  std::vector<std::string_view> segments = split(path);
  PathParams params;
  std::size_t i = 0;
  for (const Part& part : parts) {
    if (part.kind == Kind::rest) {
      if (i >= segments.size()) return std::nullopt;
      // Everything from this segment on, as it is in the path (slashes included).
      std::string_view rest(segments[i].data(), path.data() + path.size() - segments[i].data());
      params.add(part.text, std::string(rest));
      return params;
    }
    if (i >= segments.size()) return std::nullopt;
    std::string_view segment = segments[i++];
    if (part.kind == Kind::literal) {
      if (segment != part.text) return std::nullopt;
    } else {
      if (part.kind == Kind::integer && !is_integer(segment)) return std::nullopt;
      params.add(part.text, std::string(segment));
    }
  }
  if (i != segments.size()) return std::nullopt;
  return params;
}

struct Route {
  std::vector<std::string> methods;  ///< empty for a WebSocket route
  bool websocket = false;
  std::string pattern;
  std::vector<Part> parts;
  Handler handler;
  bool trailing_slash() const { return has_trailing_slash(pattern); }
};

struct Mount {
  std::string prefix;
  App app;
};

bool under_prefix(std::string_view path, std::string_view prefix) {
  return path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

}  // namespace

struct Router::Table {
  std::vector<Route> routes;
  std::vector<Mount> mounts;
  ErrorRenderer render;
};

std::optional<std::string> PathParams::get(std::string_view name) const {
  for (const auto& [key, value] : items_)
    if (key == name) return value;
  return std::nullopt;
}

long long PathParams::integer(std::string_view name) const {
  std::optional<std::string> text = get(name);
  if (!text) throw std::out_of_range("no path parameter '" + std::string(name) + "'");
  long long value = 0;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size())
    throw std::out_of_range("path parameter '" + std::string(name) + "' is not a long long");
  return value;
}

Router::Router() : table_(std::make_shared<Table>()) {}

Router& Router::route(std::vector<std::string> methods, std::string pattern, Handler handler) {
  std::vector<Part> parts = compile(pattern);
  table_->routes.push_back(
      {std::move(methods), false, std::move(pattern), std::move(parts), std::move(handler)});
  return *this;
}

Router& Router::get(std::string pattern, Handler handler) {
  return route({"GET"}, std::move(pattern), std::move(handler));
}
Router& Router::post(std::string pattern, Handler handler) {
  return route({"POST"}, std::move(pattern), std::move(handler));
}
Router& Router::put(std::string pattern, Handler handler) {
  return route({"PUT"}, std::move(pattern), std::move(handler));
}
Router& Router::patch(std::string pattern, Handler handler) {
  return route({"PATCH"}, std::move(pattern), std::move(handler));
}
Router& Router::del(std::string pattern, Handler handler) {
  return route({"DELETE"}, std::move(pattern), std::move(handler));
}

Router& Router::websocket(std::string pattern, Handler handler) {
  std::vector<Part> parts = compile(pattern);
  table_->routes.push_back({{}, true, std::move(pattern), std::move(parts), std::move(handler)});
  return *this;
}

Router& Router::mount(std::string prefix, App app) {
  while (prefix.size() > 1 && prefix.ends_with('/')) prefix.pop_back();
  if (!prefix.starts_with('/') || prefix == "/")
    throw std::invalid_argument("mount prefix '" + prefix + "' must be a path below '/'");
  table_->mounts.push_back({std::move(prefix), std::move(app)});
  return *this;
}

namespace {

bool allows(const Route& route, std::string_view method) {
  for (const std::string& allowed : route.methods)
    if (allowed == method || (method == "HEAD" && allowed == "GET")) return true;
  return false;
}

}  // namespace

Router& Router::on_error(ErrorRenderer render) {
  table_->render = std::move(render);
  return *this;
}

App Router::app() const {
  std::shared_ptr<const Table> table = table_;
  App routed = [table](Scope scope, Receive receive, Send send) {
    return dispatch(table, std::move(scope), std::move(receive), std::move(send));
  };
  // The renderer is read per error, so one set after app() still applies.
  ErrorRenderer render = [table](Send send, HttpError error) {
    if (table->render) return table->render(std::move(send), std::move(error));
    return send_error(std::move(send), std::move(error));
  };
  return with_http_errors(std::move(routed), std::move(render));
}

boost::asio::awaitable<void> Router::dispatch(std::shared_ptr<const Table> table, Scope scope,
                                              Receive receive, Send send) {
  if (scope.type != "http" && scope.type != "websocket")
    throw std::runtime_error("router: no '" + scope.type + "' support");
  std::string path(route_path(scope));
  for (const Mount& mount : table->mounts) {
    if (!under_prefix(path, mount.prefix)) continue;
    scope.root_path += mount.prefix;
    co_await mount.app(std::move(scope), std::move(receive), std::move(send));
    co_return;
  }
  bool websocket = scope.type == "websocket";
  std::vector<std::string> allowed;
  for (const Route& route : table->routes) {
    if (route.websocket != websocket) continue;
    std::optional<PathParams> params = match(route.parts, route.trailing_slash(), path);
    if (!params) continue;
    if (websocket || allows(route, scope.method)) {
      co_await route.handler(
          Request{std::move(scope), std::move(receive), std::move(send), std::move(*params)});
      co_return;
    }
    for (const std::string& method : route.methods) allowed.push_back(method);
  }
  if (websocket) {  // no route: deny the handshake (403)
    co_await receive();
    co_await send(WebSocketClose());
    co_return;
  }
  if (allowed.empty()) throw HttpError(404);
  // Each method once, in the routes' order, with HEAD right after GET (GET routes answer it).
  std::vector<std::string> listed;
  for (const std::string& method : allowed) {
    if (std::find(listed.begin(), listed.end(), method) != listed.end()) continue;
    listed.push_back(method);
    if (method == "GET" && std::find(allowed.begin(), allowed.end(), "HEAD") == allowed.end())
      listed.push_back("HEAD");
  }
  std::string allow;
  for (const std::string& method : listed) allow += (allow.empty() ? "" : ", ") + method;
  throw HttpError(405, {}, {{"allow", allow}});
}

}  // namespace asgi::toolkit
