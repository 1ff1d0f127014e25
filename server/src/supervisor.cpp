#include "asgi/server/supervisor.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asgi/server/cli.hpp"
#include "asgi/server/file_watcher.hpp"
#include "asgi/server/logging.hpp"
#include "asgi/server/metrics_endpoint.hpp"

extern char** environ;

namespace asgi::server {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* listeners_variable = "ASGISERVER_WORKER_LISTENERS";
constexpr const char* channel_variable = "ASGISERVER_WORKER_CHANNEL";
// "FD,SLOT,WORKERS,THREADS": the shared metrics region and this worker's place in it.
constexpr const char* metrics_variable = "ASGISERVER_WORKER_METRICS";
constexpr auto ping_interval = std::chrono::milliseconds(500);
// After the workers' own graceful timeout, how long before the supervisor kills what is left.
constexpr auto stop_grace = std::chrono::seconds(10);

// This process's command line, to start workers exactly as the supervisor was started.
std::vector<std::string> own_command_line() {
  std::ifstream file("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (std::size_t start = 0; start < all.size();) {
    std::size_t end = all.find('\0', start);
    if (end == std::string::npos) end = all.size();
    args.emplace_back(all.substr(start, end - start));
    start = end + 1;
  }
  return args;
}

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) {
    int signal = WTERMSIG(status);
    return "was killed by signal " + std::to_string(signal) + " (SIG" + sigabbrev_np(signal) + ")";
  }
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

class Supervisor {
 public:
  Supervisor(const Config& config, Listeners listeners)
      : config_(config),
        listeners_(std::move(listeners)),
        signals_(context_, SIGINT, SIGTERM),
        hangups_(context_, SIGHUP),
        scaling_(context_, SIGTTIN, SIGTTOU),
        children_(context_, SIGCHLD),
        target_(config.reload ? 1 : config.workers) {
    // Under --reload the worker is started from the binary's path, not /proc/self/exe: a rebuilt
    // binary is a new file, and the old one is what /proc/self/exe still names.
    std::error_code ec;
    std::filesystem::path path = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (config.reload && !ec) executable_ = path.string();
  }

  int run() {
    std::optional<FileWatcher> watcher;
    if (config_.reload) {
      std::vector<std::string> roots = watched_directories();
      std::string list;
      for (const std::string& root : roots) list += (list.empty() ? "'" : ", '") + root + "'";
      log::error().info("Will watch for changes in these directories: [{}]", list);
      try {
        watcher.emplace(context_, roots,
                        ReloadFilter(config_.reload_includes, config_.reload_excludes));
      } catch (const std::exception& error) {
        log::error().error("Cannot watch for changes: {}", error.what());
        return exit_startup_failure;
      }
      log::error().info("Started reloader process [{}] using inotify", ::getpid());
    } else {
      log::error().info("Started parent process [{}]", ::getpid());
    }
    if (!open_metrics()) return exit_startup_failure;  // listening before the banner says so
    for (const Listener& listener : listeners_.all())
      log::error().info("asgiserver running on {} (Press CTRL+C to quit)", listener.description);
    for (unsigned i = 0; i < target_; ++i) spawn();
    auto log_escape = log::LogEscapedException{"supervisor"};
    net::co_spawn(context_, wait_for_stop(), log_escape);
    net::co_spawn(context_, reap_children(), log_escape);
    net::co_spawn(context_, rolling_restarts(), log_escape);
    net::co_spawn(context_, scale(), log_escape);
    net::co_spawn(context_, health_checks(), log_escape);
    if (watcher) net::co_spawn(context_, reload_on_changes(*watcher), log_escape);
    context_.run();
    metrics_listener_.reset();
    log::error().info("Stopping {} process [{}]", config_.reload ? "reloader" : "parent",
                      ::getpid());
    return exit_code_;
  }

 private:
  struct Child {
    pid_t pid = -1;
    std::unique_ptr<net::local::stream_protocol::socket> channel;
    bool ready = false;
    bool stopping = false;     ///< asked to stop: its exit is not a failure
    bool replacement = false;  ///< started to replace a running one, which stays if this fails
    std::optional<std::size_t> metrics_slot;  ///< its loops' place in the shared metrics
    Clock::time_point last_answer = Clock::now();
    Clock::time_point started = Clock::now();
  };

  // fork + exec of our own binary with the sockets and one end of a channel; everything the child
  // needs is prepared before fork, so that nothing allocates between fork and exec.
  // The new worker's pid, or -1.
  pid_t spawn() {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
      log::error().error("Cannot start a worker: socketpair: {}", std::strerror(errno));
      return -1;
    }
    std::vector<std::string> args = own_command_line();
    std::vector<std::string> env;
    for (char** variable = environ; *variable; ++variable) {
      std::string_view text(*variable);
      // systemd's variables are the supervisor's; the workers answer to it.
      if (text.starts_with("NOTIFY_SOCKET=") || text.starts_with("LISTEN_") ||
          text.starts_with("ASGISERVER_WORKER_"))
        continue;
      env.emplace_back(text);
    }
    env.push_back(std::string(listeners_variable) + "=" + listeners_.to_environment());
    env.push_back(std::string(channel_variable) + "=" + std::to_string(pair[1]));
    std::optional<std::size_t> metrics_slot = take_metrics_slot();
    if (metrics_slot)
      env.push_back(fmt::format("{}={},{},{},{}", metrics_variable, metrics_region_->fd(),
                                *metrics_slot, metrics_region_->workers(), config_.threads));
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (std::string& variable : env) envp.push_back(variable.data());
    envp.push_back(nullptr);
    std::vector<int> keep;
    for (const Listener& listener : listeners_.all())
      keep.insert(keep.end(), listener.fds.begin(), listener.fds.end());
    keep.push_back(pair[1]);
    if (metrics_slot) keep.push_back(metrics_region_->fd());

    pid_t pid = ::fork();
    if (pid == 0) {
      for (int fd : keep) ::fcntl(fd, F_SETFD, 0);  // these, and only these, cross the exec
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::execve(executable_.c_str(), argv.data(), envp.data());
      ::_exit(127);
    }
    ::close(pair[1]);
    if (pid < 0) {
      log::error().error("Cannot start a worker: fork: {}", std::strerror(errno));
      ::close(pair[0]);
      if (metrics_slot) metrics_slots_[*metrics_slot] = false;
      return -1;
    }
    Child& child = children_list_.emplace_back();
    child.pid = pid;
    child.metrics_slot = metrics_slot;
    child.channel = std::make_unique<net::local::stream_protocol::socket>(
        context_, net::local::stream_protocol(), pair[0]);
    net::co_spawn(context_, listen_to(pid), log::LogEscapedException{"worker channel"});
    return pid;
  }

  Child* find(pid_t pid) {
    for (Child& child : children_list_)
      if (child.pid == pid) return &child;
    return nullptr;
  }

  // What a worker says: ready once, then a pong per ping.
  net::awaitable<void> listen_to(pid_t pid) {
    char byte = 0;
    for (;;) {
      Child* child = find(pid);
      if (!child) co_return;
      auto [ec, n] = co_await child->channel->async_read_some(net::buffer(&byte, 1),
                                                              net::as_tuple(net::use_awaitable));
      child = find(pid);
      if (ec || !child) co_return;  // the worker is gone: reap_children handles it
      child->last_answer = Clock::now();
      if (byte == channel::ready && !child->ready) {
        child->ready = true;
        log::error().info("Worker [{}] is ready", pid);
        if (!announced_ready_ && ready_count() >= target_) {
          announced_ready_ = true;
          health_.started = true;
          ::sd_notify(0, "READY=1");
        }
        ready_waiters_.cancel();  // wakes a rolling restart waiting for this
      }
    }
  }

  unsigned ready_count() const {
    unsigned n = 0;
    for (const Child& child : children_list_) n += child.ready && !child.stopping;
    return n;
  }

  void stop_child(Child& child, int signal = SIGTERM) {
    child.stopping = true;
    ::kill(child.pid, signal);
  }

  net::awaitable<void> reap_children() {
    for (;;) {
      co_await children_.async_wait(net::as_tuple(net::use_awaitable));
      int status = 0;
      pid_t pid;
      while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) on_exit(pid, status);
      if (stopping_ && children_list_.empty()) {
        context_.stop();
        co_return;
      }
    }
  }

  void on_exit(pid_t pid, int status) {
    Child* child = find(pid);
    if (!child) return;
    bool expected = child->stopping || stopping_;
    bool was_ready = child->ready;
    bool replacement = child->replacement;
    if (child->metrics_slot) {  // its counts stay in the sum; its slot is free again
      metrics_region_->retire(*child->metrics_slot);
      metrics_slots_[*child->metrics_slot] = false;
    }
    children_list_.remove_if([pid](const Child& c) { return c.pid == pid; });
    ready_waiters_.cancel();  // a replacement that died is not waited for
    if (expected) {
      log::error().info("Worker [{}] stopped", pid);
      return;
    }
    bool failed_startup =
        !was_ready && WIFEXITED(status) && WEXITSTATUS(status) == exit_startup_failure;
    if (failed_startup && config_.reload) {  // the next change may fix it
      log::error().error("Worker [{}] failed to start; waiting for changes to try again", pid);
      return;
    }
    if (failed_startup && replacement) {  // the one it was to replace still serves
      log::error().error("Worker [{}] failed to start; the current worker(s) keep serving", pid);
      return;
    }
    if (failed_startup) {
      // A bad app or a failed lifespan startup fails again on every restart: stop instead.
      log::error().error("Worker [{}] failed to start; stopping the service", pid);
      exit_code_ = exit_startup_failure;
      begin_stop();
      return;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
      log::error().info("Worker [{}] exited; starting a new one", pid);
    else
      log::error().error("Worker [{}] {}; starting a new one", pid, describe_exit(status));
    spawn();
  }

  void begin_stop() {
    if (stopping_) return;
    stopping_ = true;
    health_.draining = true;
    ::sd_notify(0, "STOPPING=1");
    for (Child& child : children_list_) stop_child(child);
    if (children_list_.empty()) context_.stop();
    // Workers bound their own shutdown by --timeout-graceful-shutdown; one that does not end
    // after that and a grace period is killed, so that the service always stops.
    auto timer = std::make_shared<net::steady_timer>(
        context_, to_clock(config_.timeout_graceful_shutdown) +
                      to_clock(config_.timeout_lifespan_shutdown) + stop_grace);
    timer->async_wait([this, timer](const boost::system::error_code& ec) {
      if (ec) return;
      for (Child& child : children_list_) {
        log::error().error("Worker [{}] did not stop in time; killing it", child.pid);
        ::kill(child.pid, SIGKILL);
      }
    });
  }

  net::awaitable<void> wait_for_stop() {
    auto [ec, signal] = co_await signals_.async_wait(net::as_tuple(net::use_awaitable));
    if (ec) co_return;
    log::error().info("Received SIG{}: stopping {} worker(s) gracefully", sigabbrev_np(signal),
                      children_list_.size());
    begin_stop();
    // A second Ctrl+C means "now", as in a single process; a repeated SIGTERM does not.
    for (;;) {
      auto [ec2, again] = co_await signals_.async_wait(net::as_tuple(net::use_awaitable));
      if (ec2) co_return;
      if (again == SIGINT) break;
    }
    log::error().warn("Forced exit: in-flight requests are dropped.");
    for (Child& child : children_list_) ::kill(child.pid, SIGKILL);
  }

  // SIGHUP: each old worker is replaced only after its replacement said it is ready, so that
  // there is always a full set accepting; the old one then finishes what it has in flight.
  net::awaitable<void> rolling_restarts() {
    for (;;) {
      auto [ec, signal] = co_await hangups_.async_wait(net::as_tuple(net::use_awaitable));
      if (ec || stopping_) co_return;
      std::vector<pid_t> old;
      for (const Child& child : children_list_)
        if (!child.stopping) old.push_back(child.pid);
      log::error().info("Received SIGHUP: replacing {} worker(s) one by one", old.size());
      for (pid_t pid : old) {
        if (stopping_) co_return;
        co_await replace(pid);
      }
      log::error().info("Replaced every worker");
    }
  }

  // Starts a worker to replace `old` (or none: -1) and stops `old` once the new one is ready. If
  // the new one fails or is not ready in time, `old` keeps serving. False when not replaced.
  net::awaitable<bool> replace(pid_t old) {
    pid_t fresh = spawn();
    if (fresh < 0) co_return false;
    if (Child* child = find(fresh)) child->replacement = find(old) != nullptr;
    Clock::time_point deadline =
        Clock::now() + to_clock(config_.timeout_lifespan_startup) + std::chrono::seconds(5);
    for (;;) {
      Child* child = find(fresh);
      if (stopping_ || !child || child->ready || Clock::now() >= deadline) break;
      ready_waiters_.expires_at(deadline);
      co_await ready_waiters_.async_wait(net::as_tuple(net::use_awaitable));
    }
    Child* child = find(fresh);
    if (stopping_) co_return false;
    if (!child || !child->ready) {
      if (child) {
        log::error().error("Worker [{}] was not ready in time; stopping it", fresh);
        stop_child(*child);
      }
      co_return false;
    }
    child->replacement = false;
    if (Child* previous = find(old)) stop_child(*previous);
    co_return true;
  }

  // --reload: each change replaces the worker (the new one first, as SIGHUP does, so a change
  // that breaks the app leaves the old one serving).
  net::awaitable<void> reload_on_changes(FileWatcher& watcher) {
    for (;;) {
      std::vector<std::string> changed = co_await watcher.changes(config_.reload_delay);
      if (stopping_) co_return;
      std::string list;
      for (const std::string& file : changed) list += (list.empty() ? "'" : ", '") + file + "'";
      log::error().warn("Detected changes in {}. Reloading...", list);
      pid_t current = -1;
      for (const Child& child : children_list_)
        if (!child.stopping) current = child.pid;
      co_await replace(current);
    }
  }

  // --reload-dir, else the current directory; and the directory of an app library (--app
  // lib.so:NAME), so that rebuilding it restarts the server wherever it is.
  std::vector<std::string> watched_directories() const {
    namespace fs = std::filesystem;
    std::vector<std::string> roots;
    std::error_code ec;
    for (const std::string& dir : config_.reload_dirs)
      roots.push_back(fs::absolute(dir, ec).string());
    if (roots.empty()) roots.push_back(fs::current_path(ec).string());
    std::string app = config_.app_name;
    if (std::size_t suffix = app.find(".so:"); suffix != std::string::npos) app.resize(suffix + 3);
    if (app.ends_with(".so")) {
      std::string dir = fs::absolute(app, ec).parent_path().string();
      bool covered = false;
      for (const std::string& root : roots)
        covered = covered || dir == root || dir.starts_with(root + "/");
      if (!covered) roots.push_back(dir);
    }
    return roots;
  }

  // SIGTTIN adds a worker, SIGTTOU removes one (never the last), as in Gunicorn.
  net::awaitable<void> scale() {
    for (;;) {
      auto [ec, signal] = co_await scaling_.async_wait(net::as_tuple(net::use_awaitable));
      if (ec || stopping_) co_return;
      if (signal == SIGTTIN) {
        ++target_;
        log::error().info("Received SIGTTIN: {} worker(s)", target_);
        spawn();
      } else if (target_ > 1) {
        --target_;
        for (auto it = children_list_.rbegin(); it != children_list_.rend(); ++it) {
          if (it->stopping) continue;
          log::error().info("Received SIGTTOU: {} worker(s); stopping [{}]", target_, it->pid);
          stop_child(*it);
          break;
        }
      } else {
        log::error().info("Received SIGTTOU: keeping the last worker");
      }
    }
  }

  // Every half second a ready worker is pinged; it answers once every event loop of it has run
  // the ping, so an app that blocks a loop makes the worker miss it. One silent for
  // --timeout-worker-healthcheck is killed and replaced.
  net::awaitable<void> health_checks() {
    net::steady_timer tick(context_);
    for (;;) {
      tick.expires_after(ping_interval);
      co_await tick.async_wait(net::as_tuple(net::use_awaitable));
      if (stopping_) co_return;
      if (config_.timeout_worker_healthcheck.count() <= 0) continue;
      Clock::time_point now = Clock::now();
      for (Child& child : children_list_) {
        if (!child.ready || child.stopping) continue;
        if (now - child.last_answer > to_clock(config_.timeout_worker_healthcheck)) {
          log::error().error("Worker [{}] did not answer its health check for {:g} s; killing it",
                             child.pid, config_.timeout_worker_healthcheck.count());
          ::kill(child.pid, SIGKILL);  // reaped as a crash: a new one is started
          child.ready = false;
          continue;
        }
        char ping = channel::ping;
        ::send(child.channel->native_handle(), &ping, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
      }
    }
  }

  // --metrics-bind: the workers count into a shared region; the supervisor serves the sum.
  bool open_metrics() {
    if (config_.metrics_bind.empty()) return true;
    // Room for every worker, a rolling restart's extra one and a few SIGTTINs.
    std::size_t capacity = std::min<std::size_t>(256, 2 * target_ + 8);
    std::optional<SharedMetricsRegion> region =
        SharedMetricsRegion::create(capacity, config_.threads);
    if (!region) {
      log::error().error("Cannot create the shared metrics: {}", std::strerror(errno));
      return false;
    }
    metrics_region_.emplace(std::move(*region));
    metrics_slots_.assign(capacity, false);
    metrics_view_.emplace(metrics_region_->view());
    metrics_listener_ = MetricsListener::open(config_, *metrics_view_, health_);
    return metrics_listener_ != nullptr;
  }

  std::optional<std::size_t> take_metrics_slot() {
    if (!metrics_region_) return std::nullopt;
    for (std::size_t i = 0; i < metrics_slots_.size(); ++i) {
      if (metrics_slots_[i]) continue;
      metrics_slots_[i] = true;
      return i;
    }
    return std::nullopt;  // more workers than places: this one is not counted
  }

  const Config& config_;
  Listeners listeners_;
  std::optional<SharedMetricsRegion> metrics_region_;
  std::vector<bool> metrics_slots_;
  std::optional<ServerMetrics> metrics_view_;
  HealthState health_;
  std::unique_ptr<MetricsListener> metrics_listener_;
  std::string executable_ = "/proc/self/exe";
  net::io_context context_{1};
  net::signal_set signals_;
  net::signal_set hangups_;
  net::signal_set scaling_;
  net::signal_set children_;
  net::steady_timer ready_waiters_{context_};
  std::list<Child> children_list_;
  unsigned target_;
  bool stopping_ = false;
  bool announced_ready_ = false;
  int exit_code_ = 0;
};

}  // namespace

int run_supervisor(const Config& config, Listeners listeners) {
  return Supervisor(config, std::move(listeners)).run();
}

std::optional<WorkerInheritance> inherited_from_supervisor() {
  const char* listeners = std::getenv(listeners_variable);
  const char* channel = std::getenv(channel_variable);
  if (!listeners || !channel) return std::nullopt;
  std::optional<Listeners> inherited = Listeners::from_environment(listeners);
  if (!inherited) return std::nullopt;
  WorkerInheritance result{std::move(*inherited), std::atoi(channel), std::nullopt, 0};
  if (const char* metrics = std::getenv(metrics_variable)) {
    int fd = -1;
    std::size_t slot = 0, workers = 0, threads = 0;
    if (std::sscanf(metrics, "%d,%zu,%zu,%zu", &fd, &slot, &workers, &threads) == 4) {
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
      if (std::optional<SharedMetricsRegion> region =
              SharedMetricsRegion::attach(fd, workers, threads))
        result.metrics.emplace(std::move(*region));
      result.metrics_slot = slot;
    }
    ::unsetenv(metrics_variable);
  }
  ::fcntl(result.channel_fd, F_SETFD, FD_CLOEXEC);
  for (const Listener& listener : result.listeners.all())
    for (int fd : listener.fds) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  ::unsetenv(listeners_variable);
  ::unsetenv(channel_variable);
  return result;
}

}  // namespace asgi::server
