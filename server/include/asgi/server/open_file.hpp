#pragma once
// A regular file opened read-only for sending (http.response.pathsend), closed when it goes.

#include <cstdint>
#include <string>

namespace asgi::server {

class OpenFile {
 public:
  /// @throws std::runtime_error naming the path when it cannot be opened or is not a regular file.
  explicit OpenFile(const std::string& path);
  ~OpenFile();
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;

  int fd() const { return fd_; }
  std::uint64_t size() const { return size_; }

 private:
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace asgi::server
