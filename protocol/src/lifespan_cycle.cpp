#include "asgi/protocol/lifespan_cycle.hpp"

#include "asgi/errors.hpp"

namespace asgi::protocol {

std::optional<Event> LifespanCycle::next_event() {
  if (phase_ == Phase::starting) {
    phase_ = Phase::startup_sent;
    return Event{LifespanStartup{}};
  }
  if (phase_ == Phase::started && shutdown_requested_) return shutdown_event();
  return std::nullopt;
}

std::optional<Event> LifespanCycle::shutdown_event() {
  if (phase_ != Phase::started) return std::nullopt;
  phase_ = Phase::shutdown_sent;
  return Event{LifespanShutdown{}};
}

void LifespanCycle::on_send(const Message& message) {
  auto invalid = [&] {
    throw ProtocolError("Got invalid state transition on lifespan protocol: '" +
                        std::string(type_of(message)) + "'.");
  };
  if (std::holds_alternative<LifespanStartupComplete>(message)) {
    if (phase_ != Phase::startup_sent) invalid();
    phase_ = Phase::started;
  } else if (auto* failed = std::get_if<LifespanStartupFailed>(&message)) {
    if (phase_ != Phase::startup_sent) invalid();
    phase_ = Phase::startup_failed;
    message_ = failed->message;
  } else if (std::holds_alternative<LifespanShutdownComplete>(message)) {
    if (phase_ != Phase::shutdown_sent) invalid();
    phase_ = Phase::shutdown_done;
  } else if (auto* shutdown_failed = std::get_if<LifespanShutdownFailed>(&message)) {
    if (phase_ != Phase::shutdown_sent) invalid();
    phase_ = Phase::shutdown_failed;
    message_ = shutdown_failed->message;
  } else {
    throw ProtocolError("Unexpected ASGI message '" + std::string(type_of(message)) +
                        "' sent for a lifespan scope.");
  }
}

}  // namespace asgi::protocol
