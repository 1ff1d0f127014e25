#include "asgi/blocking.hpp"

#include <algorithm>
#include <thread>

namespace asgi {

boost::asio::thread_pool& blocking_pool() {
  static boost::asio::thread_pool pool(std::max(2u, std::thread::hardware_concurrency()));
  return pool;
}

}  // namespace asgi
