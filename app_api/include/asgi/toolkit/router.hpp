#pragma once
// Routing requests to handlers by method and path, with typed path parameters:
//
//   asgi::toolkit::Router router;
//   router.get("/notes", list_notes)
//         .post("/notes", create_note)
//         .get("/notes/{id:int}", show_note)           // request.params.integer("id")
//         .get("/files/{rest:path}", send_file)          // the rest of the path, slashes too
//         .websocket("/chat/{room}", chat)
//         .mount("/admin", admin_app);                   // any App, with root_path extended
//   ASGI_REGISTER_APP(notes, router.app());
//
// Patterns are matched against the path below the app's root_path, segment by segment:
// `{name}` takes one non-empty segment, `{name:int}` one made of digits (an optional leading
// '-'), `{name:path}` everything that follows (last in a pattern only); a trailing slash must be in
// both the pattern and the path or in neither ("/notes/" is not "/notes"). A GET route answers HEAD
// too (the server sends no body for HEAD). No route for the path: 404; routes for the path but
// not the method: 405 with an `allow` header. HttpErrors raised by handlers become responses
// (with_http_errors). A WebSocket with no route is denied (403). Lifespan is not routed: the
// router raises for it, which the server (in its default "auto" mode) takes as "no lifespan".

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "asgi/app.hpp"
#include "asgi/scope.hpp"
#include "asgi/toolkit/response.hpp"

namespace asgi::toolkit {

/// The parameters a route's pattern captured, by name.
class PathParams {
 public:
  /// The value of `{name}` (percent-decoded, as `scope.path` is), or nullopt.
  std::optional<std::string> get(std::string_view name) const;
  /// The value of `{name:int}`; std::out_of_range when absent or outside long long.
  long long integer(std::string_view name) const;
  void add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

/// What a route handler gets: the ASGI triple and the path parameters.
struct Request {
  Scope scope;
  Receive receive;
  Send send;
  PathParams params;
};
using Handler = std::function<boost::asio::awaitable<void>(Request)>;

class Router {
 public:
  Router();
  Router& route(std::vector<std::string> methods, std::string pattern, Handler handler);
  Router& get(std::string pattern, Handler handler);
  Router& post(std::string pattern, Handler handler);
  Router& put(std::string pattern, Handler handler);
  Router& patch(std::string pattern, Handler handler);
  Router& del(std::string pattern, Handler handler);  ///< DELETE
  Router& websocket(std::string pattern, Handler handler);
  /// Serves `app` for every path under `prefix` (a whole segment: "/admin" and "/admin/..."),
  /// with `root_path` extended by `prefix` as ASGI mounts do (`path` stays the full path).
  Router& mount(std::string prefix, App app);

  /// How HttpErrors (404, 405 and the handlers' own) become responses; send_error by default.
  Router& on_error(ErrorRenderer render);

  /// The app to register or serve. Routes added later still apply (it shares this router).
  App app() const;

 private:
  struct Table;
  // One request through the table; it owns a reference to the table it routes with.
  static boost::asio::awaitable<void> dispatch(std::shared_ptr<const Table> table, Scope scope,
                                               Receive receive, Send send);
  std::shared_ptr<Table> table_;
};

}  // namespace asgi::toolkit
