// ws_load: a small WebSocket echo load generator for tests/bench (one thread, epoll, no Boost).
//
//   ws_load HOST PORT PATH CONNECTIONS SECONDS [SIZE]
//
// Opens CONNECTIONS WebSocket connections (RFC 6455 opening handshake), then keeps exactly one
// SIZE-byte (default 16) binary message in flight on each: send, wait for the echo, send again, for
// SECONDS. Prints one JSON line:
//   {"connections": 64, "seconds": 5.000, "messages": 123456, "rate": 24691.2, "errors": 0}
// and exits 0, or prints a reason on stderr and exits 1 if no connection could be set up.
//
// It is deliberately cheaper per message than any server it drives: the client frame (masked, as
// RFC 6455 §5.3 requires of clients) is built once and every echo is just counted, so one core of
// load generator can saturate one core of server.
//
// Build (tests/bench/run.sh does this into a temp dir at bench time):
//   g++ -O2 -std=c++20 -o ws_load tests/bench/ws_load/ws_load.cpp

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Connection {
  int fd = -1;
  std::vector<std::uint8_t> in = std::vector<std::uint8_t>(64 * 1024);
  std::size_t have = 0;  ///< bytes of `in` not yet parsed
};

/// Connects and performs the opening handshake (blocking); returns the socket or -1.
int open_websocket(const sockaddr_in& address, const std::string& host, const std::string& path,
                   Connection& connection) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // A fixed key is fine: the key only proves the server speaks WebSocket (RFC 6455 §4.1).
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host +
                              "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return -1;
  }
  // Read the response head; anything after it (a first frame) stays in the buffer.
  std::string head;
  for (;;) {
    ssize_t n = recv(fd, connection.in.data(), connection.in.size(), 0);
    if (n <= 0) {
      close(fd);
      return -1;
    }
    head.append(reinterpret_cast<const char*>(connection.in.data()), static_cast<std::size_t>(n));
    std::size_t end = head.find("\r\n\r\n");
    if (end == std::string::npos) continue;
    if (head.compare(0, 12, "HTTP/1.1 101") != 0) {
      std::fprintf(stderr, "ws_load: handshake refused: %s\n", head.substr(0, head.find('\r')).c_str());
      close(fd);
      return -1;
    }
    std::size_t rest = head.size() - (end + 4);
    std::memcpy(connection.in.data(), head.data() + end + 4, rest);
    connection.have = rest;
    return fd;
  }
}

/// Counts the complete data frames at the front of `c.in` and drops them. Returns -1 on a close
/// frame or a frame too large for the buffer (neither happens with an echo server under load).
int take_frames(Connection& c) {
  int messages = 0;
  std::size_t pos = 0;
  while (c.have - pos >= 2) {
    const std::uint8_t* p = c.in.data() + pos;
    const int opcode = p[0] & 0x0f;
    const bool fin = (p[0] & 0x80) != 0;
    std::uint64_t length = p[1] & 0x7f;
    std::size_t header = 2;
    if (length == 126) {
      if (c.have - pos < 4) break;
      length = (std::uint64_t{p[2]} << 8) | p[3];
      header = 4;
    } else if (length == 127) {
      if (c.have - pos < 10) break;
      length = 0;
      for (int i = 0; i < 8; ++i) length = (length << 8) | p[2 + i];
      header = 10;
    }
    if (p[1] & 0x80) header += 4;  // a masked server frame is a protocol error, but skip it anyway
    if (header + length > c.in.size()) return -1;
    if (c.have - pos < header + length) break;
    pos += header + static_cast<std::size_t>(length);
    if (opcode == 0x8) return -1;                                       // close
    if (fin && (opcode == 0x0 || opcode == 0x1 || opcode == 0x2)) ++messages;  // pings ignored
  }
  std::memmove(c.in.data(), c.in.data() + pos, c.have - pos);
  c.have -= pos;
  return messages;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: ws_load HOST PORT PATH CONNECTIONS SECONDS [SIZE]\n");
    return 2;
  }
  const std::string host = argv[1];
  const int port = std::atoi(argv[2]);
  const std::string path = argv[3];
  const int connections = std::atoi(argv[4]);
  const double seconds = std::atof(argv[5]);
  const std::size_t size = argc > 6 ? static_cast<std::size_t>(std::atoi(argv[6])) : 16;
  if (size > 125 || connections <= 0) {
    std::fprintf(stderr, "ws_load: SIZE must be <= 125 and CONNECTIONS > 0\n");
    return 2;
  }

  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    std::fprintf(stderr, "ws_load: HOST must be an IPv4 address\n");
    return 2;
  }

  // One masked binary frame, built once (RFC 6455 §5.2: FIN + opcode 2, MASK bit + length, key).
  std::vector<std::uint8_t> frame = {0x82, static_cast<std::uint8_t>(0x80 | size), 0x12, 0x34, 0x56, 0x78};
  for (std::size_t i = 0; i < size; ++i)
    frame.push_back(static_cast<std::uint8_t>(('a' + i % 26) ^ frame[2 + i % 4]));

  std::vector<Connection> conns(static_cast<std::size_t>(connections));
  int epoll = epoll_create1(0);
  for (std::size_t i = 0; i < conns.size(); ++i) {
    conns[i].fd = open_websocket(address, host, path, conns[i]);
    if (conns[i].fd < 0) {
      std::fprintf(stderr, "ws_load: connection %zu failed\n", i);
      return 1;
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = i;
    epoll_ctl(epoll, EPOLL_CTL_ADD, conns[i].fd, &event);
  }

  long long messages = 0;
  int errors = 0;
  int open = connections;
  auto fail = [&](Connection& c) {
    ++errors;
    --open;
    epoll_ctl(epoll, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    c.fd = -1;
  };
  auto send_frame = [&](Connection& c) {
    // 22 bytes into an almost empty socket buffer: a short write means something is badly wrong.
    if (send(c.fd, frame.data(), frame.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(frame.size()))
      fail(c);
  };

  const auto start = Clock::now();
  const auto stop = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (auto& c : conns) send_frame(c);
  std::vector<epoll_event> events(conns.size());
  while (open > 0 && Clock::now() < stop) {
    int n = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 50);
    for (int e = 0; e < n; ++e) {
      Connection& c = conns[events[static_cast<std::size_t>(e)].data.u64];
      if (c.fd < 0) continue;
      ssize_t got = recv(c.fd, c.in.data() + c.have, c.in.size() - c.have, 0);
      if (got <= 0) {
        fail(c);
        continue;
      }
      c.have += static_cast<std::size_t>(got);
      int complete = take_frames(c);
      if (complete < 0) {
        fail(c);
        continue;
      }
      messages += complete;
      for (int k = 0; k < complete && c.fd >= 0; ++k) send_frame(c);  // one in flight per echo
    }
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("{\"connections\": %d, \"seconds\": %.3f, \"messages\": %lld, \"rate\": %.1f, \"errors\": %d}\n",
              connections, elapsed, messages, messages / elapsed, errors);
  for (auto& c : conns)
    if (c.fd >= 0) close(c.fd);  // an abrupt end: the servers see a reset or EOF
  return 0;
}
