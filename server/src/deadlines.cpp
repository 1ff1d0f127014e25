#include "asgi/server/deadlines.hpp"

#include <algorithm>
#include <boost/asio/bind_allocator.hpp>

#include "asgi/server/transport.hpp"

namespace asgi::server {

Deadlines::Deadlines(boost::asio::any_io_executor executor, Transport& transport)
    : timer_(std::move(executor)), transport_(transport) {}

void Deadlines::set(Kind kind, Clock::time_point when) {
  expired_[kind] = false;
  when_[kind] = when;
  if (when != Clock::time_point::max() && (!armed_ || when < timer_.expiry())) arm(when);
}

void Deadlines::stop() {
  when_.fill(Clock::time_point::max());
  timer_.cancel();
  armed_ = false;
}

void Deadlines::arm(Clock::time_point when) {
  armed_ = true;
  timer_.expires_at(when);
  auto fired = [this, owner = owner_](boost::system::error_code ec) {
    if (ec) return;  // re-armed or stopped
    if (auto alive = owner.lock()) on_timer();
  };
  // std::allocator: an exact-size block, not one of Asio's recycled (often much bigger) ones; an
  // idle connection keeps this one.
  timer_.async_wait(boost::asio::bind_allocator(std::allocator<void>(), fired));
}

void Deadlines::on_timer() {
  armed_ = false;
  Clock::time_point now = Clock::now();
  bool any_expired = false;
  for (std::size_t kind = 0; kind < when_.size(); ++kind) {
    if (now < when_[kind]) continue;
    expired_[kind] = any_expired = true;
    when_[kind] = Clock::time_point::max();
  }
  if (any_expired) transport_.cancel();
  Clock::time_point next = *std::min_element(when_.begin(), when_.end());
  if (next != Clock::time_point::max()) arm(next);
}

}  // namespace asgi::server
