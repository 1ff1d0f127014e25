#include "asgi/broker.hpp"

#include <mutex>

namespace asgi {

namespace {

// Read on every named publish from any thread, written twice per run: a mutex is plenty.
std::mutex broker_mutex;
std::shared_ptr<Broker> broker_instance;

}  // namespace

void install_broker(std::shared_ptr<Broker> broker) {
  std::lock_guard lock(broker_mutex);
  broker_instance = std::move(broker);
}

std::shared_ptr<Broker> installed_broker() {
  std::lock_guard lock(broker_mutex);
  return broker_instance;
}

}  // namespace asgi
