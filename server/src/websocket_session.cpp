#include "asgi/server/websocket_session.hpp"

#include <boost/asio/co_spawn.hpp>

#include "asgi/errors.hpp"
#include "asgi/protocol/app_ending.hpp"
#include "asgi/protocol/status.hpp"
#include "asgi/server/asgi_trace.hpp"
#include "websocket_session_state.hpp"

namespace asgi::server {

WebSocketSession::WebSocketSession(std::shared_ptr<Connection> connection,
                                   protocol::RequestHead head,
                                   std::vector<std::string> subprotocols)
    : impl_(
          std::make_unique<Impl>(std::move(connection), std::move(head), std::move(subprotocols))) {
  impl_->owner = this;
}

WebSocketSession::~WebSocketSession() = default;

// ---- receive
// -------------------------------------------------------------------------------------

net::awaitable<Event> WebSocketSession::receive_event() {
  Impl& s = *impl_;
  AppTurn turn(s.connection->worker().activity(), &s, "WebSocket", s.target);
  s.touched = true;
  if (!s.connect_delivered) {
    s.connect_delivered = true;
    co_return WebSocketConnect{};
  }
  while (s.queue.empty() && !s.closed && !s.closing) co_await s.messages.wait();
  if (!s.queue.empty()) {
    WebSocketReceive message = std::move(s.queue.front());
    s.queue.erase(s.queue.begin());  // at most ws_max_queue (32) entries: cheap
    s.queued_bytes -= message.bytes ? message.bytes->size() : message.text->size();
    if (!s.queue_full()) s.resume_reader();  // room again
    co_return message;
  }
  if (s.disconnect_delivered) throw ClientDisconnected();  // websocket.disconnect comes once
  s.disconnect_delivered = true;
  co_return WebSocketDisconnect(s.close_code, s.close_reason);
}

// ---- send
// ----------------------------------------------------------------------------------------

net::awaitable<void> WebSocketSession::send_message(Message message) {
  Impl& s = *impl_;
  AppTurn turn(s.connection->worker().activity(), &s, "WebSocket", s.target);
  s.touched = true;
  if (s.closed && !s.closing && s.cycle.state() != protocol::WebSocketCycle::State::handshake)
    throw ClientDisconnected();
  switch (s.cycle.on_send(message)) {
    case protocol::WebSocketCycle::Action::accept: {
      bool accepted = co_await accept_websocket(s, std::get<WebSocketAccept>(message));
      if (!accepted) throw ClientDisconnected();
      s.reader_running = true;
      start_read(shared_from_this(), s);
      if (s.config().ws_ping_interval.count() > 0) schedule_ping(shared_from_this(), s);
      break;
    }
    case protocol::WebSocketCycle::Action::send: {
      auto& payload = std::get<WebSocketSend>(message);
      if (LoopMetrics* metrics = s.connection->worker().metrics())
        LoopHistogram::bump(metrics->websocket_messages_out);
      bool text = payload.text.has_value();
      const std::string& data = text ? *payload.text : *payload.bytes;
      co_await s.lock_writes();
      s.ws->text(text);
      s.connection->output().arm_send_deadline();
      auto [ec, written] =
          co_await s.ws->async_write(net::buffer(data), net::as_tuple(net::use_awaitable));
      (void)written;
      s.connection->output().clear_send_deadline();
      s.unlock_writes();
      if (ec) {
        s.end(1006, "");
        throw ClientDisconnected();
      }
      break;
    }
    case protocol::WebSocketCycle::Action::close: {
      // The close handshake runs on its own: the app does not wait for the client's reply. It
      // holds the session: run() may end (its close grace over) while the handshake still waits.
      auto& close = std::get<WebSocketClose>(message);
      if (s.begin_close(close.code, close.reason))
        net::co_spawn(
            s.connection->transport().get_executor(),
            [self = shared_from_this()] { return self->close_handshake(); },
            log::LogEscapedException{"websocket close"});
      break;
    }
    case protocol::WebSocketCycle::Action::deny_with_403: {
      s.log_access("403");
      std::string response = protocol::ResponseEncoder::error_response(
          403, "", s.connection->worker().response_defaults());
      co_await s.connection->output().write({response, {}, {}});
      s.end(1006, "");
      break;
    }
    case protocol::WebSocketCycle::Action::deny_start: {
      auto& start = std::get<WebSocketHttpResponseStart>(message);
      protocol::ResponseOptions options = s.connection->worker().response_defaults();
      options.request_keep_alive = false;  // the connection ends with the denial
      s.denial = std::make_unique<protocol::ResponseEncoder>(options);
      s.denial->start(HttpResponseStart(start.status, start.headers));
      s.log_access(std::to_string(start.status));
      break;
    }
    case protocol::WebSocketCycle::Action::deny_body:
    case protocol::WebSocketCycle::Action::deny_end: {
      auto& body = std::get<WebSocketHttpResponseBody>(message);
      HttpResponseBody chunk(body.body, body.more_body);
      bool written = co_await s.connection->output().write(s.denial->body(chunk));
      if (!body.more_body || !written) s.end(1006, "");
      if (!written) throw ClientDisconnected();
      break;
    }
  }
}

// Starts the close handshake with `code` (once); the app's disconnect event carries it.
net::awaitable<void> WebSocketSession::close_connection(int code, std::string reason) {
  if (impl_->begin_close(code, std::move(reason))) co_await close_handshake();
}

net::awaitable<void> WebSocketSession::close_handshake() {
  Impl& s = *impl_;
  co_await s.lock_writes();
  auto [ec] = co_await s.ws->async_close(
      websocket::close_reason(static_cast<websocket::close_code>(s.close_code), s.close_reason),
      net::as_tuple(net::use_awaitable));
  s.unlock_writes();
  (void)ec;  // the read loop learns the outcome and ends the session
}

void WebSocketSession::shutdown() {
  Impl& s = *impl_;
  if (!s.ws || s.closed || s.closing) return;
  net::co_spawn(
      s.connection->transport().get_executor(),
      [self = shared_from_this()] { return self->close_connection(1012, ""); },
      log::LogEscapedException{"websocket shutdown"});
}

// ---- the session
// ---------------------------------------------------------------------------------

net::awaitable<WebSocketSession::Outcome> WebSocketSession::run() {
  // A cancellation (shutdown timeout) aborts the pending operation; the cleanup after it must
  // still be able to await.
  co_await net::this_coro::throw_if_cancelled(false);
  Impl& s = *impl_;
  auto self = shared_from_this();
  std::exception_ptr error;
  try {
    // Built straight into the app's parameter: the scope lives in the app's frame only.
    auto make_scope = [&s] {
      Scope scope = protocol::build_websocket_scope(
          *s.head, s.connection->info(), s.connection->worker().state(), s.cycle.offered());
      if (!s.connection->forwarded().empty())
        protocol::apply_forwarded(scope, s.connection->forwarded());
      return scope;
    };
    s.connection->worker().activity().note_app(&s, "WebSocket", s.target, /*starting=*/true);
    net::awaitable<void> app =
        s.connection->worker().call_app(make_scope, Receive(self), Send(self));
    co_await std::move(app);
  } catch (...) {
    error = std::current_exception();
  }
  co_await net::this_coro::reset_cancellation_state();

  bool raised = error && !is_client_disconnected(error);
  if (raised && !s.touched) co_return Outcome::declined;  // an HTTP-only app: serve as HTTP
  using State = protocol::WebSocketCycle::State;
  protocol::AppExit exit = raised  ? protocol::AppExit::raised
                           : error ? protocol::AppExit::client_gone
                                   : protocol::AppExit::returned;
  protocol::ResponseProgress progress{
      .complete = s.closed || s.closing,
      .accepted = s.ws.has_value(),
      .denied = s.cycle.state() != State::handshake && !s.ws.has_value()};
  protocol::AppEnding ending = protocol::websocket_app_ending(exit, progress);
  if (raised) {
    log::error().error("Exception in ASGI application while serving \"WebSocket {}\": {}",
                       s.log_target(), describe_exception(error));
  } else if (!ending.problem.empty()) {
    log::error().error("{}", ending.problem);
  }
  if (ending.http_status) {
    s.log_access(std::to_string(ending.http_status));
    std::string response = protocol::ResponseEncoder::error_response(
        ending.http_status, ending.http_status == 500 ? "Internal Server Error" : "",
        s.connection->worker().response_defaults());
    co_await s.connection->output().write({response, {}, {}});
  } else if (ending.close_code) {
    co_await close_connection(ending.close_code, "");  // never just drop the socket
  }
  // Let the read loop see the client's close reply, but not forever.
  co_await s.reader_done.wait_until([&s] { return !s.reader_running; }, Clock::now() + close_grace);
  s.ping_timer.cancel();
  if (s.reader_running) {
    s.connection->transport().close();
  }
  co_return Outcome::served;
}

}  // namespace asgi::server
