#include "asgi/server/memory_trim.hpp"

#include <malloc.h>

#include <algorithm>

namespace asgi::server {

namespace {
constexpr std::size_t releases_worth_a_trim = 64;
constexpr auto settle_time = std::chrono::milliseconds(250);  // let a burst of parks finish
constexpr auto min_interval = std::chrono::seconds(1);
}  // namespace

void MemoryTrim::note_release() {
  if (++released_ < releases_worth_a_trim || scheduled_) return;
  scheduled_ = true;
  auto now = std::chrono::steady_clock::now();
  timer_.expires_at(std::max(now + settle_time, last_trim_ + min_interval));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) trim();
  });
}

void MemoryTrim::trim() {
  // glibc: releases free pages anywhere in the heaps (madvise), not only at their tops.
  ::malloc_trim(0);
  last_trim_ = std::chrono::steady_clock::now();
  released_ = 0;
  scheduled_ = false;
}

}  // namespace asgi::server
