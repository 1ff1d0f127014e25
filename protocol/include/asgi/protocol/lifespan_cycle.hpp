#pragma once
// The ASGI lifespan protocol's state machine (lifespan 2.0), I/O-free: which event `receive`
// yields next and which messages `send` may take.

#include <optional>
#include <string>

#include "asgi/events.hpp"

namespace asgi::protocol {

class LifespanCycle {
 public:
  enum class Phase {
    starting,         ///< lifespan.startup not yet received by the app
    startup_sent,     ///< waiting for startup.complete / startup.failed
    started,          ///< startup.complete received
    startup_failed,   ///< startup.failed received
    shutdown_sent,    ///< lifespan.shutdown delivered; waiting for shutdown.complete / failed
    shutdown_done,    ///< shutdown.complete received
    shutdown_failed,  ///< shutdown.failed received
  };

  Phase phase() const { return phase_; }
  const std::string& failure_message() const { return message_; }

  /// The event for the app's next receive(), or nothing if it must wait for the server to shut
  /// down (then call shutdown_event() when it does).
  std::optional<Event> next_event();
  /// The server is shutting down: the lifespan.shutdown event, if the app may receive it now.
  std::optional<Event> shutdown_event();
  bool shutdown_requested() const { return shutdown_requested_; }
  void request_shutdown() { shutdown_requested_ = true; }

  /// Validates and applies a message from the app; throws ProtocolError when out of order.
  void on_send(const Message& message);

 private:
  Phase phase_ = Phase::starting;
  bool shutdown_requested_ = false;
  std::string message_;
};

}  // namespace asgi::protocol
