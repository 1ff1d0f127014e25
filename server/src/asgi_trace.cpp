#include "asgi/server/asgi_trace.hpp"

#include <fmt/format.h>

#include "asgi/server/logging.hpp"

namespace asgi::server {

namespace {

std::size_t size_of(const std::optional<std::string>& bytes,
                    const std::optional<std::string>& text) {
  return bytes ? bytes->size() : text ? text->size() : 0;
}

}  // namespace

bool tracing() {
  return log::error().should_log(spdlog::level::trace);
}

std::uint64_t next_trace_id() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

std::string describe_for_trace(const Event& event) {
  std::string text(type_of(event));
  if (const auto* request = std::get_if<HttpRequest>(&event))
    text += fmt::format(" body=<{} bytes> more_body={}", request->body.size(), request->more_body);
  else if (const auto* received = std::get_if<WebSocketReceive>(&event))
    text += fmt::format(" {}=<{} bytes>", received->text ? "text" : "bytes",
                        size_of(received->bytes, received->text));
  else if (const auto* gone = std::get_if<WebSocketDisconnect>(&event))
    text += fmt::format(" code={}", gone->code);
  return text;
}

std::string describe_for_trace(const Message& message) {
  std::string text(type_of(message));
  if (const auto* start = std::get_if<HttpResponseStart>(&message))
    text += fmt::format(" status={} headers={}", start->status, start->headers.size());
  else if (const auto* body = std::get_if<HttpResponseBody>(&message))
    text += fmt::format(" body=<{} bytes> more_body={}", body->body.size(), body->more_body);
  else if (const auto* sent = std::get_if<WebSocketSend>(&message))
    text += fmt::format(" {}=<{} bytes>", sent->text ? "text" : "bytes",
                        size_of(sent->bytes, sent->text));
  else if (const auto* close = std::get_if<WebSocketClose>(&message))
    text += fmt::format(" code={}", close->code);
  return text;
}

boost::asio::awaitable<Event> TracedChannel::receive() {
  if (!tracing()) [[likely]]
    return receive_event();
  return traced_receive();
}

boost::asio::awaitable<void> TracedChannel::send(Message message) {
  if (!tracing()) [[likely]]
    return send_message(std::move(message));
  return traced_send(std::move(message));
}

std::uint64_t TracedChannel::trace_id() {
  if (trace_id_ == 0) trace_id_ = next_trace_id();
  return trace_id_;
}

boost::asio::awaitable<Event> TracedChannel::traced_receive() {
  Event event = co_await receive_event();
  log::error().trace("ASGI [{}] Receive {}", trace_id(), describe_for_trace(event));
  co_return event;
}

boost::asio::awaitable<void> TracedChannel::traced_send(Message message) {
  log::error().trace("ASGI [{}] Send {}", trace_id(), describe_for_trace(message));
  co_await send_message(std::move(message));
}

}  // namespace asgi::server
