#pragma once
// Which changed files restart the server under --reload: a file counts when its name or its path
// below the watched directory matches an include glob (--reload-include) and neither it nor a
// directory on its way matches an exclude glob (--reload-exclude), as Uvicorn's reloader decides.

#include <fnmatch.h>

#include <string>
#include <string_view>
#include <vector>

namespace asgi::server {

class ReloadFilter {
 public:
  ReloadFilter(std::vector<std::string> includes, std::vector<std::string> excludes)
      : includes_(std::move(includes)), excludes_(std::move(excludes)) {}

  /// `relative`: the file's path below the watched directory ("src/app.so").
  bool matches(std::string_view relative) const {
    std::string path(relative);
    std::string name = path.substr(path.rfind('/') + 1);
    for (std::size_t start = 0;;) {  // every component, directories included, against excludes
      std::size_t slash = path.find('/', start);
      if (any(excludes_, path.substr(start, slash - start))) return false;
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (any(excludes_, path)) return false;
    return any(includes_, name) || any(includes_, path);
  }
  /// A directory not worth watching (a hidden one such as .git, by the default excludes).
  bool excludes_directory(std::string_view name) const { return any(excludes_, std::string(name)); }

 private:
  static bool any(const std::vector<std::string>& globs, const std::string& text) {
    for (const std::string& glob : globs)
      if (::fnmatch(glob.c_str(), text.c_str(), 0) == 0) return true;
    return false;
  }

  std::vector<std::string> includes_;
  std::vector<std::string> excludes_;
};

}  // namespace asgi::server
