#include "asgi/lease.hpp"

#include <cstdio>
#include <random>

#include "asgi/broker.hpp"

namespace asgi {

namespace {

// 128 random bits in hex: two objects (in any process) never share a token.
std::string random_token() {
  std::random_device random;
  std::string token(32, '0');
  for (std::size_t i = 0; i < token.size(); i += 8) {
    char word[9];
    std::snprintf(word, sizeof word, "%08x", static_cast<unsigned>(random()));
    token.replace(i, 8, word, 8);
  }
  return token;
}

}  // namespace

Lease::Lease(std::string name, std::chrono::milliseconds ttl)
    : name_(std::move(name)), token_(random_token()), ttl_(ttl) {}

boost::asio::awaitable<bool> Lease::hold() {
  std::shared_ptr<Broker> broker = installed_broker();
  std::optional<bool> answer;
  if (broker) answer = co_await broker->hold_lease(name_, token_, ttl_);
  // No broker, or it cannot tell: this process carries on by itself.
  held_ = answer.value_or(true);
  co_return held_;
}

boost::asio::awaitable<void> Lease::release() {
  const bool was_held = held_;
  held_ = false;
  if (!was_held) co_return;
  if (std::shared_ptr<Broker> broker = installed_broker())
    co_await broker->release_lease(name_, token_);
}

}  // namespace asgi
