#include "asgi/server/listeners.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <utility>

#include "asgi/server/logging.hpp"

namespace asgi::server {

namespace {

// Closes on scope exit unless released.
struct FdGuard {
  int fd = -1;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

std::string host_for_url(const std::string& host, int family) {
  return family == AF_INET6 ? "[" + host + "]" : host;
}

// Binds `threads` sockets to host:port (SO_REUSEPORT when more than one); logs and returns
// false on failure, in Uvicorn's words.
bool bind_tcp(const BindAddress& bind, const Config& config, unsigned threads, Listener& out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port_text = std::to_string(bind.port);
  if (int rc = ::getaddrinfo(bind.host.c_str(), port_text.c_str(), &hints, &found); rc != 0) {
    log::error().error("Cannot resolve host '{}': {}", bind.host, ::gai_strerror(rc));
    return false;
  }
  sockaddr_storage address{};
  socklen_t length = found->ai_addrlen;
  std::memcpy(&address, found->ai_addr, length);
  int family = found->ai_family;
  ::freeaddrinfo(found);
  char numeric[INET6_ADDRSTRLEN] = "";
  ::getnameinfo(reinterpret_cast<sockaddr*>(&address), length, numeric, sizeof numeric, nullptr, 0,
                NI_NUMERICHOST);
  std::uint16_t port = bind.port;
  for (unsigned i = 0; i < threads; ++i) {
    FdGuard fd{::socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP)};
    int on = 1;
    ::setsockopt(fd.fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    // One socket per thread lets the kernel balance connections; with a single thread it is left
    // off, so that a port another server already uses is an error instead of shared traffic.
    if (threads > 1) ::setsockopt(fd.fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
    // As nginx: [::]:PORT is IPv6 only, so 0.0.0.0:PORT can be bound beside it.
    if (family == AF_INET6) ::setsockopt(fd.fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (family == AF_INET6)
      reinterpret_cast<sockaddr_in6*>(&address)->sin6_port = htons(port);
    else
      reinterpret_cast<sockaddr_in*>(&address)->sin_port = htons(port);
    if (fd.fd < 0 || ::bind(fd.fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(fd.fd, config.backlog) != 0) {
      int error = errno;
      log::error().error("[Errno {}] error while attempting to bind on address ('{}', {}): {}",
                         error, numeric, port, std::strerror(error));
      return false;
    }
    if (port == 0) {  // the others join the port the kernel picked for the first
      sockaddr_storage bound{};
      socklen_t bound_length = sizeof bound;
      ::getsockname(fd.fd, reinterpret_cast<sockaddr*>(&bound), &bound_length);
      port = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                      : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    }
    out.fds.push_back(fd.release());
  }
  out.description = "http://" + host_for_url(numeric, family) + ":" + std::to_string(port);
  return true;
}

// Binds a UNIX-domain socket. A socket file left by a server that is gone is replaced (its mode
// kept, as Uvicorn does); one a live server still answers on is an error.
bool bind_unix(const BindAddress& bind, const Config& config, Listener& out) {
  const std::string& path = bind.path;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    log::error().error("[Errno 36] error while attempting to bind on address '{}': {}", path,
                       "the path is too long for a UNIX socket");
    return false;
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  unsigned mode = config.uds_mode.value_or(0666);
  struct stat old {};
  if (::lstat(path.c_str(), &old) == 0) {
    FdGuard probe{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    bool live = S_ISSOCK(old.st_mode) &&
                ::connect(probe.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    if (!S_ISSOCK(old.st_mode) || live) {
      log::error().error(
          "[Errno 98] error while attempting to bind on address '{}': {}", path,
          live ? "a server is listening on it" : "the path exists and is not a socket");
      return false;
    }
    ::unlink(path.c_str());
    if (!config.uds_mode) mode = old.st_mode & 07777;
  }
  FdGuard fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (fd.fd < 0 || ::bind(fd.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd.fd, config.backlog) != 0) {
    int error = errno;
    log::error().error("[Errno {}] error while attempting to bind on address '{}': {}", error, path,
                       std::strerror(error));
    return false;
  }
  if (::chmod(path.c_str(), mode) != 0)
    log::error().warn("Cannot set mode {:o} on {}: {}", mode, path, std::strerror(errno));
  out.fds.push_back(fd.release());
  out.socket_file = path;
  out.description = "unix socket " + path;
  return true;
}

// fd://N and systemd's sockets: must already be listening stream sockets.
bool adopt_fd(int fd, const std::string& origin, Listener& out) {
  int accepting = 0;
  socklen_t size = sizeof accepting;
  int type = 0;
  socklen_t type_size = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &size) != 0 ||
      ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_size) != 0 || !accepting ||
      type != SOCK_STREAM) {
    log::error().error("{}: file descriptor {} is not a listening stream socket", origin, fd);
    return false;
  }
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);  // our worker processes get it explicitly, nothing else
  out.fds.push_back(fd);
  out.description = describe_listening_socket(fd);
  return true;
}

}  // namespace

std::string describe_listening_socket(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    return "fd://" + std::to_string(fd);
  if (address.ss_family == AF_UNIX)
    return "unix socket " + std::string(reinterpret_cast<sockaddr_un*>(&address)->sun_path);
  char host[INET6_ADDRSTRLEN] = "";
  char port[8] = "";
  ::getnameinfo(reinterpret_cast<sockaddr*>(&address), length, host, sizeof host, port, sizeof port,
                NI_NUMERICHOST | NI_NUMERICSERV);
  return "http://" + host_for_url(host, address.ss_family) + ":" + port;
}

std::optional<Listeners> Listeners::open(const Config& config, unsigned threads) {
  Listeners result;
  for (const BindAddress& bind : config.binds) {
    Listener listener;
    bool ok = false;
    switch (bind.kind) {
      case BindAddress::Kind::tcp:
        ok = bind_tcp(bind, config, threads, listener);
        break;
      case BindAddress::Kind::unix_socket:
        ok = bind_unix(bind, config, listener);
        break;
      case BindAddress::Kind::inherited_fd:
        ok = adopt_fd(bind.fd, "--fd", listener);
        break;
    }
    if (!ok) return std::nullopt;
    result.listeners_.push_back(std::move(listener));
  }
  // Socket activation: systemd passes listening sockets from fd 3 on, for this process only
  // (LISTEN_PID); the variables are removed so that nothing we start takes them for its own.
  int passed = ::sd_listen_fds(/*unset_environment=*/1);
  for (int i = 0; i < passed; ++i) {
    Listener listener;
    if (!adopt_fd(SD_LISTEN_FDS_START + i, "systemd socket activation", listener))
      return std::nullopt;
    result.listeners_.push_back(std::move(listener));
  }
  if (result.listeners_.empty()) {
    Listener listener;
    BindAddress fallback{BindAddress::Kind::tcp, config.host, config.port};
    if (!bind_tcp(fallback, config, threads, listener)) return std::nullopt;
    result.listeners_.push_back(std::move(listener));
  }
  if (config.tls.enabled()) {  // the banner gives the URL to use
    for (Listener& listener : result.listeners_)
      if (listener.description.starts_with("http://")) listener.description.insert(4, "s");
  }
  return result;
}

Listeners::Listeners(Listeners&& other) noexcept : listeners_(std::move(other.listeners_)) {
  other.listeners_.clear();
}

Listeners& Listeners::operator=(Listeners&& other) noexcept {
  if (this != &other) {
    Listeners(std::move(*this));  // closes ours
    listeners_ = std::move(other.listeners_);
    other.listeners_.clear();
  }
  return *this;
}

Listeners::~Listeners() {
  close_descriptors();
  for (const Listener& listener : listeners_)
    if (!listener.socket_file.empty()) ::unlink(listener.socket_file.c_str());
}

int Listeners::duplicate_for(const Listener& listener, unsigned thread) const {
  int fd = listener.fds.size() > 1 ? listener.fds[thread % listener.fds.size()] : listener.fds[0];
  return ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

void Listeners::close_descriptors() {
  for (Listener& listener : listeners_) {
    for (int fd : listener.fds)
      if (fd >= 0) ::close(fd);
    listener.fds.assign(listener.fds.size(), -1);
  }
}

// One line per listener: "fd,fd,...\tsocket file\tdescription".
std::string Listeners::to_environment() const {
  std::string text;
  for (const Listener& listener : listeners_) {
    for (std::size_t i = 0; i < listener.fds.size(); ++i)
      text += (i ? "," : "") + std::to_string(listener.fds[i]);
    text += '\t' + listener.socket_file + '\t' + listener.description + '\n';
  }
  return text;
}

std::optional<Listeners> Listeners::from_environment(const std::string& text) {
  Listeners result;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::size_t first_tab = line.find('\t');
    std::size_t second_tab = line.find('\t', first_tab + 1);
    if (first_tab == std::string::npos || second_tab == std::string::npos) return std::nullopt;
    Listener listener;
    std::istringstream fds(line.substr(0, first_tab));
    for (std::string fd; std::getline(fds, fd, ',');) listener.fds.push_back(std::stoi(fd));
    listener.description = line.substr(second_tab + 1);
    // The socket file belongs to the supervisor, which removes it; a worker leaves it alone.
    if (listener.fds.empty()) return std::nullopt;
    result.listeners_.push_back(std::move(listener));
  }
  if (result.listeners_.empty()) return std::nullopt;
  return result;
}

}  // namespace asgi::server
