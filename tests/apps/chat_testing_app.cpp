// `chat_testing`: a chat room on asgi::Broadcaster with its default overflow policy (keep), for
// tests/integration/test_chat.py. Every WebSocket joins the room; every text message a client
// sends is published to all clients, the sender included. Built into asgiserver_testing only.
//
// Two coroutines per connection, as a chat is written: this one receives and publishes, the
// forwarder sends the room's messages. publish_and_wait holds a fast sender to the slowest
// reader, so nothing is dropped.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <memory>
#include <string>

#include "asgi/asgi.hpp"

namespace {

namespace net = boost::asio;

asgi::Broadcaster& room() {
  static asgi::Broadcaster hub;
  return hub;
}

struct Forwarder {
  bool done = false;
  asgi::WaitQueue changed;
};

net::awaitable<void> forward(std::shared_ptr<asgi::Broadcaster::Subscription> inbox,
                             asgi::Send send) {
  while (auto message = co_await inbox->next())
    co_await send(asgi::WebSocketSend(std::nullopt, std::move(*message)));
}

net::awaitable<void> chat_app(asgi::Scope scope, asgi::Receive receive, asgi::Send send) {
  if (scope.type != "websocket") throw std::runtime_error("chat_testing: websocket only");
  co_await receive();  // websocket.connect
  co_await send(asgi::WebSocketAccept());
  auto executor = co_await net::this_coro::executor;
  auto inbox = room().subscribe(executor);
  auto forwarder = std::make_shared<Forwarder>();
  net::co_spawn(executor, forward(inbox, send), [forwarder](std::exception_ptr) {
    forwarder->done = true;
    forwarder->changed.notify_all();
  });
  for (;;) {
    asgi::Event event = co_await receive();
    auto* message = std::get_if<asgi::WebSocketReceive>(&event);
    if (!message) break;  // websocket.disconnect
    co_await room().publish_and_wait(message->text.value_or(message->bytes.value_or("")));
  }
  inbox->close();
  co_await forwarder->changed.wait_until([&] { return forwarder->done; },
                                         asgi::WaitQueue::Clock::now() + std::chrono::seconds(5));
}

}  // namespace

ASGI_REGISTER_APP(chat_testing, chat_app);
