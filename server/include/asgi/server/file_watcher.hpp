#pragma once
// --reload's eyes: inotify watches on every directory below the --reload-dir roots (new
// subdirectories are watched as they appear), reporting the files ReloadFilter lets through.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "asgi/server/config.hpp"
#include "asgi/server/reload_filter.hpp"

namespace asgi::server {

class FileWatcher {
 public:
  /// Throws std::system_error when inotify is unavailable.
  FileWatcher(boost::asio::io_context& context, const std::vector<std::string>& roots,
              ReloadFilter filter);
  ~FileWatcher();

  /// Waits for a change to a matching file, then gathers the changes of the next `delay` too (a
  /// build writes many files): the changed files, relative to their root.
  boost::asio::awaitable<std::vector<std::string>> changes(Seconds delay);

 private:
  struct Watch {
    std::string root;      ///< the --reload-dir it is below
    std::string relative;  ///< its path below the root ("" for the root itself)
  };
  /// Watches a directory and those below it; with `found`, reports the matching files already
  /// in them (a new directory's files may predate its watch).
  void watch_tree(const std::string& root, const std::string& relative,
                  std::vector<std::string>* found = nullptr);
  /// Reads what inotify has; appends the matching changed files.
  void take_events(const char* data, std::size_t size, std::vector<std::string>& changed);

  int fd_;
  boost::asio::posix::stream_descriptor stream_;
  ReloadFilter filter_;
  std::unordered_map<int, Watch> watches_;
  std::vector<char> buffer_;
};

}  // namespace asgi::server
