#pragma once
// The listening sockets, bound (or adopted) once before anything is served: --bind addresses,
// --uds, --fd, sockets systemd passes (LISTEN_FDS), or the ones a supervisor hands its worker
// processes. Each event-loop thread then accepts on its own socket (TCP with SO_REUSEPORT, so
// the kernel spreads connections without a shared lock) or on a duplicate of a shared one.

#include <optional>
#include <string>
#include <vector>

#include "asgi/server/config.hpp"

namespace asgi::server {

struct Listener {
  std::string description;  ///< for the banner: "http://127.0.0.1:8000", "unix socket /run/a"
  std::vector<int> fds;     ///< one per event-loop thread (SO_REUSEPORT), or one shared by all
  std::string socket_file;  ///< a UNIX socket file this process created: removed at exit
};

class Listeners {
 public:
  /// Binds or adopts every address `config` names; on failure logs one error line and returns
  /// nullopt (the process exits with 3). `threads` TCP sockets are bound per address when more
  /// than one thread accepts.
  static std::optional<Listeners> open(const Config& config, unsigned threads);

  Listeners() = default;
  Listeners(Listeners&& other) noexcept;
  Listeners& operator=(Listeners&& other) noexcept;
  ~Listeners();  ///< closes what is still open and removes the socket files it created

  const std::vector<Listener>& all() const { return listeners_; }
  /// A new descriptor for `thread` to accept on (the caller owns it).
  int duplicate_for(const Listener& listener, unsigned thread) const;
  /// Closes this process's descriptors (the threads hold duplicates), so that closing theirs
  /// really stops the kernel from queueing new connections.
  void close_descriptors();

  /// For a worker process: the descriptors (inherited across exec) and descriptions, and back.
  std::string to_environment() const;
  static std::optional<Listeners> from_environment(const std::string& text);

 private:
  std::vector<Listener> listeners_;
};

/// "http://127.0.0.1:8000", "http://[::1]:8000" or "unix socket /run/a.sock" for a listening
/// descriptor.
std::string describe_listening_socket(int fd);

}  // namespace asgi::server
