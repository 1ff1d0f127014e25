#include "asgi/server/file_watcher.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <filesystem>
#include <system_error>

namespace asgi::server {

namespace net = boost::asio;
namespace fs = std::filesystem;

namespace {

// A file written and closed (a save, a linker's output), moved in or out (editors that save by
// renaming), or deleted. A new directory is watched too.
constexpr std::uint32_t file_events = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE;
constexpr std::uint32_t watch_mask = file_events | IN_CREATE | IN_ONLYDIR;

std::string join(const std::string& relative, const std::string& name) {
  return relative.empty() ? name : relative + "/" + name;
}

int open_inotify() {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::system_category(), "inotify_init1");
  return fd;
}

}  // namespace

FileWatcher::FileWatcher(net::io_context& context, const std::vector<std::string>& roots,
                         ReloadFilter filter)
    : fd_(open_inotify()), stream_(context, fd_), filter_(std::move(filter)), buffer_(64 * 1024) {
  for (const std::string& root : roots) watch_tree(root, "");
}

FileWatcher::~FileWatcher() = default;  // the stream closes the descriptor

void FileWatcher::watch_tree(const std::string& root, const std::string& relative,
                             std::vector<std::string>* found) {
  fs::path directory = relative.empty() ? fs::path(root) : fs::path(root) / relative;
  int watch = ::inotify_add_watch(fd_, directory.c_str(), watch_mask);
  if (watch < 0) return;  // gone already, or not a directory
  watches_[watch] = Watch{root, relative};
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory, ec)) {
    std::error_code type_ec;
    std::string name = entry.path().filename().string();
    if (!entry.is_directory(type_ec) || entry.is_symlink(type_ec)) {
      // A file in a directory that just appeared was written before its watch existed.
      if (found && filter_.matches(join(relative, name))) found->push_back(join(relative, name));
      continue;
    }
    if (filter_.excludes_directory(name)) continue;
    watch_tree(root, join(relative, name), found);
  }
}

void FileWatcher::take_events(const char* data, std::size_t size,
                              std::vector<std::string>& changed) {
  for (std::size_t offset = 0; offset + sizeof(inotify_event) <= size;) {
    const auto* event = reinterpret_cast<const inotify_event*>(data + offset);
    offset += sizeof(inotify_event) + event->len;
    if (event->mask & IN_Q_OVERFLOW) {  // too many to tell: assume what matters changed
      changed.emplace_back("(many files)");
      continue;
    }
    auto found = watches_.find(event->wd);
    if (found == watches_.end() || event->len == 0) continue;
    Watch watch = found->second;  // a copy: watch_tree may rehash the map
    std::string name(event->name);
    std::string relative = join(watch.relative, name);
    if ((event->mask & IN_ISDIR) != 0) {
      if ((event->mask & (IN_CREATE | IN_MOVED_TO)) && !filter_.excludes_directory(name))
        watch_tree(watch.root, relative, &changed);
      continue;
    }
    if ((event->mask & file_events) == 0 || !filter_.matches(relative)) continue;
    if (std::find(changed.begin(), changed.end(), relative) == changed.end())
      changed.push_back(relative);
  }
}

net::awaitable<std::vector<std::string>> FileWatcher::changes(Seconds delay) {
  std::vector<std::string> changed;
  while (changed.empty()) {
    auto [ec, n] =
        co_await stream_.async_read_some(net::buffer(buffer_), net::as_tuple(net::use_awaitable));
    if (ec) throw std::system_error(ec, "reading inotify events");
    take_events(buffer_.data(), n, changed);
  }
  net::steady_timer settle(co_await net::this_coro::executor, to_clock(delay));
  co_await settle.async_wait(net::as_tuple(net::use_awaitable));
  for (;;) {  // what arrived meanwhile belongs to the same change
    ssize_t n = ::read(fd_, buffer_.data(), buffer_.size());
    if (n <= 0) break;
    take_events(buffer_.data(), static_cast<std::size_t>(n), changed);
  }
  std::vector<std::string> unique;  // a new directory's file may be both scanned and reported
  for (std::string& file : changed)
    if (std::find(unique.begin(), unique.end(), file) == unique.end())
      unique.push_back(std::move(file));
  co_return unique;
}

}  // namespace asgi::server
