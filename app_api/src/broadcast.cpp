#include "asgi/broadcast.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <map>

#include "asgi/broker.hpp"
#include "asgi/wait_queue.hpp"

namespace asgi {

namespace detail {

// One subscriber's queue. The messages live on the subscriber's executor (touched there only);
// the count of queued messages and the publishers waiting for room are shared with publishers on
// other threads, under a mutex.
class Inbox : public std::enable_shared_from_this<Inbox> {
 public:
  using Overflow = Broadcaster::Overflow;

  Inbox(boost::asio::any_io_executor executor, std::size_t capacity, Overflow overflow)
      : executor_(std::move(executor)),
        capacity_(std::max<std::size_t>(capacity, 1)),
        overflow_(overflow) {}

  // ---- publisher side (any thread) ----
  void post(std::shared_ptr<const std::string> message) {
    {
      std::lock_guard lock(mutex_);
      if (ended_) return;
      ++queued_;
    }
    boost::asio::post(executor_, [self = shared_from_this(), message = std::move(message)] {
      self->deliver(message);
    });
  }

  // Waits until this inbox has room, when its policy is keep.
  boost::asio::awaitable<void> wait_for_room() {
    if (overflow_ != Overflow::keep) co_return;
    auto executor = co_await boost::asio::this_coro::executor;
    for (;;) {
      auto timer = std::make_shared<boost::asio::steady_timer>(
          executor, boost::asio::steady_timer::time_point::max());
      {
        std::lock_guard lock(mutex_);
        if (ended_ || queued_ < capacity_) co_return;
        room_waiters_.push_back(timer);
      }
      co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
  }

  // ---- subscriber side (the subscriber's executor) ----
  boost::asio::awaitable<std::optional<std::string>> next() {
    while (messages_.empty() && !closed_) co_await changed_.wait();
    if (closed_) co_return std::nullopt;
    std::string message = *messages_.front();
    messages_.pop_front();
    consumed(1);
    co_return message;
  }

  std::optional<std::string> try_next() {
    if (messages_.empty() || closed_) return std::nullopt;
    std::string message = *messages_.front();
    messages_.pop_front();
    consumed(1);
    return message;
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    std::size_t unread = messages_.size();
    messages_.clear();
    {
      std::lock_guard lock(mutex_);
      ended_ = true;
    }
    consumed(unread);  // wakes waiting publishers: nothing more is taken here
    changed_.notify_all();
  }

  std::size_t dropped() const { return dropped_; }
  bool disconnected() const { return disconnected_; }

 private:
  void deliver(const std::shared_ptr<const std::string>& message) {
    if (closed_) return consumed(1);
    if (messages_.size() >= capacity_) {
      if (overflow_ == Overflow::drop_oldest) {
        messages_.pop_front();
        ++dropped_;
        consumed(1);
      } else if (overflow_ == Overflow::disconnect) {
        disconnected_ = true;
        consumed(1);
        close();
        return;
      }
    }
    messages_.push_back(message);
    changed_.notify_all();
  }

  // `count` queued messages are gone: publishers waiting for room may go on.
  void consumed(std::size_t count) {
    std::vector<std::shared_ptr<boost::asio::steady_timer>> wake;
    {
      std::lock_guard lock(mutex_);
      queued_ -= std::min(queued_, count);
      if (queued_ < capacity_ || ended_) wake.swap(room_waiters_);
    }
    // A timer is touched on its own executor only (the waiting publisher's).
    for (auto& timer : wake) boost::asio::post(timer->get_executor(), [timer] { timer->cancel(); });
  }

  boost::asio::any_io_executor executor_;
  std::size_t capacity_;
  Overflow overflow_;

  // subscriber's executor only
  std::deque<std::shared_ptr<const std::string>> messages_;
  WaitQueue changed_;
  bool closed_ = false;
  std::size_t dropped_ = 0;
  bool disconnected_ = false;

  // shared with publishers
  std::mutex mutex_;
  std::size_t queued_ = 0;  ///< published and not yet taken (in flight or in messages_)
  bool ended_ = false;
  std::vector<std::shared_ptr<boost::asio::steady_timer>> room_waiters_;
};

// Every named Broadcaster of the process, by channel: a publish on one reaches the subscribers of
// all of them, and a message from the broker reaches them all. Lock order: this registry's mutex,
// then a Broadcaster's; never the other way round.
class ChannelRegistry {
 public:
  static ChannelRegistry& instance() {
    static ChannelRegistry registry;  // never destroyed before a static Broadcaster using it
    return registry;
  }

  void add(const std::string& channel, Broadcaster* broadcaster) {
    std::lock_guard lock(mutex_);
    members_.emplace(channel, broadcaster);
  }

  void remove(const std::string& channel, Broadcaster* broadcaster) {
    std::lock_guard lock(mutex_);
    auto [first, last] = members_.equal_range(channel);
    for (auto it = first; it != last; ++it)
      if (it->second == broadcaster) {
        members_.erase(it);
        return;
      }
  }

  // Calls `visit` on each Broadcaster of `channel`, under the registry's lock (so none is
  // destroyed meanwhile).
  template <class Visit>
  void for_each(std::string_view channel, Visit visit) {
    std::lock_guard lock(mutex_);
    auto [first, last] = members_.equal_range(channel);
    for (auto it = first; it != last; ++it) visit(*it->second);
  }

 private:
  std::mutex mutex_;
  std::multimap<std::string, Broadcaster*, std::less<>> members_;
};

}  // namespace detail

Broadcaster::Broadcaster(std::string channel) : channel_(std::move(channel)) {
  if (!channel_.empty()) detail::ChannelRegistry::instance().add(channel_, this);
}

Broadcaster::~Broadcaster() {
  if (!channel_.empty()) detail::ChannelRegistry::instance().remove(channel_, this);
}

std::optional<std::string> Broadcaster::Subscription::try_next() {
  return inbox_->try_next();
}

Broadcaster::Subscription::~Subscription() {
  // Released from the subscriber's executor as a rule; close() then runs there.
  inbox_->close();
}

boost::asio::awaitable<std::optional<std::string>> Broadcaster::Subscription::next() {
  std::shared_ptr<detail::Inbox> inbox = inbox_;  // alive across the wait, whoever lets go
  co_return co_await inbox->next();
}

void Broadcaster::Subscription::close() {
  inbox_->close();
}

std::size_t Broadcaster::Subscription::dropped() const {
  return inbox_->dropped();
}

bool Broadcaster::Subscription::disconnected() const {
  return inbox_->disconnected();
}

std::shared_ptr<Broadcaster::Subscription> Broadcaster::subscribe(
    boost::asio::any_io_executor executor, std::size_t capacity, Overflow overflow) {
  auto inbox = std::make_shared<detail::Inbox>(std::move(executor), capacity, overflow);
  {
    std::lock_guard lock(mutex_);
    inboxes_.push_back(inbox);
  }
  return std::make_shared<Subscription>(std::move(inbox));
}

std::vector<std::shared_ptr<detail::Inbox>> Broadcaster::own_inboxes() {
  std::vector<std::shared_ptr<detail::Inbox>> live;
  std::lock_guard lock(mutex_);
  std::erase_if(inboxes_, [](const auto& weak) { return weak.expired(); });
  for (const auto& weak : inboxes_)
    if (auto inbox = weak.lock()) live.push_back(std::move(inbox));
  return live;
}

std::vector<std::shared_ptr<detail::Inbox>> Broadcaster::live_inboxes() {
  if (channel_.empty()) return own_inboxes();
  std::vector<std::shared_ptr<detail::Inbox>> live;
  detail::ChannelRegistry::instance().for_each(channel_, [&live](Broadcaster& member) {
    for (auto& inbox : member.own_inboxes()) live.push_back(std::move(inbox));
  });
  return live;
}

void Broadcaster::publish(std::string text) {
  if (!channel_.empty())
    if (std::shared_ptr<Broker> broker = installed_broker()) broker->publish(channel_, text);
  auto message = std::make_shared<const std::string>(std::move(text));
  for (auto& inbox : live_inboxes()) inbox->post(message);
}

boost::asio::awaitable<void> Broadcaster::publish_and_wait(std::string text) {
  if (!channel_.empty())
    if (std::shared_ptr<Broker> broker = installed_broker()) broker->publish(channel_, text);
  auto message = std::make_shared<const std::string>(std::move(text));
  for (auto& inbox : live_inboxes()) {
    co_await inbox->wait_for_room();
    inbox->post(message);
  }
}

void deliver_from_broker(std::string_view channel, std::string text) {
  auto message = std::make_shared<const std::string>(std::move(text));
  detail::ChannelRegistry::instance().for_each(channel, [&message](Broadcaster& member) {
    for (auto& inbox : member.own_inboxes()) inbox->post(message);
  });
}

std::size_t Broadcaster::subscriber_count() {
  return live_inboxes().size();
}

}  // namespace asgi
