#include "asgi/broadcast.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asgi {

Broadcaster::Subscription::Subscription(boost::asio::any_io_executor executor, std::size_t capacity)
    : executor_(executor), capacity_(std::max<std::size_t>(capacity, 1)) {}

boost::asio::awaitable<std::optional<std::string>> Broadcaster::Subscription::next() {
  while (inbox_.empty() && !closed_) co_await wakeup_.wait();
  if (closed_) co_return std::nullopt;
  std::string message = *inbox_.front();
  inbox_.pop_front();
  co_return message;
}

void Broadcaster::Subscription::close() {
  closed_ = true;
  wakeup_.notify_all();
}

void Broadcaster::Subscription::deliver(std::shared_ptr<const std::string> message) {
  if (closed_) return;
  inbox_.push_back(std::move(message));
  if (inbox_.size() > capacity_) {
    inbox_.pop_front();
    ++dropped_;
  }
  wakeup_.notify_all();
}

std::shared_ptr<Broadcaster::Subscription> Broadcaster::subscribe(
    boost::asio::any_io_executor executor, std::size_t capacity) {
  auto subscription = std::make_shared<Subscription>(executor, capacity);
  std::lock_guard lock(mutex_);
  subscribers_.push_back(subscription);
  return subscription;
}

void Broadcaster::publish(std::string text) {
  auto message = std::make_shared<const std::string>(std::move(text));
  std::vector<std::shared_ptr<Subscription>> live;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(subscribers_, [](const auto& weak) { return weak.expired(); });
    for (const auto& weak : subscribers_)
      if (auto subscription = weak.lock()) live.push_back(std::move(subscription));
  }
  // Each inbox is touched only on its own executor, so no lock is needed there.
  for (auto& subscription : live) {
    auto executor = subscription->executor_;
    boost::asio::post(executor, [subscription = std::move(subscription), message] {
      subscription->deliver(message);
    });
  }
}

std::size_t Broadcaster::subscriber_count() {
  std::lock_guard lock(mutex_);
  std::erase_if(subscribers_, [](const auto& weak) { return weak.expired(); });
  return subscribers_.size();
}

}  // namespace asgi
