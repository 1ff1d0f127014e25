#include "asgi/server/open_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace asgi::server {

OpenFile::OpenFile(const std::string& path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0)
    throw std::runtime_error("cannot open '" + path +
                             "' for http.response.pathsend: " + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd_, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd_);
    throw std::runtime_error("'" + path + "' is not a regular file (http.response.pathsend)");
  }
  size_ = static_cast<std::uint64_t>(info.st_size);
}

OpenFile::~OpenFile() {
  ::close(fd_);
}

}  // namespace asgi::server
