#include "asgi/events.hpp"

#include <functional>
#include <unordered_map>

#include "asgi/app.hpp"
#include "asgi/errors.hpp"
#include "detail/value_access.hpp"

namespace asgi {

using detail::headers_from_value;
using detail::headers_to_value;
using detail::optional_key;
using detail::required_key;

std::string_view type_of(const Event& event) {
  return std::visit([](const auto& e) { return std::decay_t<decltype(e)>::type; }, event);
}
std::string_view type_of(const Message& message) {
  return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::type; }, message);
}

namespace {

// ---- to dict -------------------------------------------------------------------------------
Dict fields_of(const HttpRequest& e) {
  return {{"body", Bytes{e.body}}, {"more_body", e.more_body}};
}
Dict fields_of(const HttpResponseStart& m) {
  return {{"status", m.status}, {"headers", headers_to_value(m.headers)}, {"trailers", m.trailers}};
}
Dict fields_of(const HttpResponseBody& m) {
  return {{"body", Bytes{m.body}}, {"more_body", m.more_body}};
}
Dict fields_of(const HttpResponseTrailers& m) {
  return {{"headers", headers_to_value(m.headers)}, {"more_trailers", m.more_trailers}};
}
Dict fields_of(const HttpResponsePathsend& m) {
  return {{"path", m.path}};
}
Dict fields_of(const WebSocketAccept& m) {
  return {{"subprotocol", m.subprotocol ? Value(*m.subprotocol) : Value()},
          {"headers", headers_to_value(m.headers)}};
}
template <class T>
requires(std::is_same_v<T, WebSocketReceive> || std::is_same_v<T, WebSocketSend>) Dict
    fields_of(const T& m) {
  return {{"bytes", m.bytes ? Value(Bytes{*m.bytes}) : Value()},
          {"text", m.text ? Value(*m.text) : Value()}};
}
template <class T>
requires(std::is_same_v<T, WebSocketDisconnect> || std::is_same_v<T, WebSocketClose>) Dict
    fields_of(const T& m) {
  return {{"code", m.code}, {"reason", m.reason}};
}
Dict fields_of(const WebSocketHttpResponseStart& m) {
  return {{"status", m.status}, {"headers", headers_to_value(m.headers)}};
}
Dict fields_of(const WebSocketHttpResponseBody& m) {
  return {{"body", Bytes{m.body}}, {"more_body", m.more_body}};
}
template <class T>
requires(std::is_same_v<T, LifespanStartupFailed> || std::is_same_v<T, LifespanShutdownFailed>) Dict
    fields_of(const T& m) {
  return {{"message", m.message}};
}
template <class T>
Dict fields_of(const T&) {
  return {};  // events with no keys but `type`
}

template <class Variant>
Value variant_to_value(const Variant& v) {
  return std::visit(
      [](const auto& item) {
        Dict d = fields_of(item);
        d.emplace("type", std::string(std::decay_t<decltype(item)>::type));
        return Value(std::move(d));
      },
      v);
}

// ---- from dict -----------------------------------------------------------------------------
bool bool_key(const Value& v, std::string_view key) {
  const Value* item = optional_key(v, key);
  return item && item->as<bool>(key);
}
std::string bytes_key(const Value& v, std::string_view key) {
  const Value* item = optional_key(v, key);
  return item ? item->as<Bytes>(key).data : std::string();
}
std::string str_key(const Value& v, std::string_view key) {
  const Value* item = optional_key(v, key);
  return item ? item->as<std::string>(key) : std::string();
}
int int_key(const Value& v, std::string_view key, std::optional<int> fallback) {
  const Value* item = optional_key(v, key);
  if (!item) {
    if (fallback) return *fallback;
    throw ProtocolError("missing required key '" + std::string(key) + "'");
  }
  std::int64_t n = item->as<std::int64_t>(key);
  if (n < INT32_MIN || n > INT32_MAX) throw ProtocolError(std::string(key) + " out of range");
  return static_cast<int>(n);
}
Headers headers_key(const Value& v, std::string_view key) {
  const Value* item = optional_key(v, key);
  return item ? headers_from_value(*item, key) : Headers{};
}
std::optional<std::string> opt_bytes(const Value& v, std::string_view key) {
  const Value* item = optional_key(v, key);
  return item ? std::optional<std::string>(item->as<Bytes>(key).data) : std::nullopt;
}
std::optional<std::string> opt_str(const Value& v, std::string_view key) {
  const Value* item = optional_key(v, key);
  return item ? std::optional<std::string>(item->as<std::string>(key)) : std::nullopt;
}

template <class Variant>
using Parser = std::function<Variant(const Value&)>;

const std::unordered_map<std::string_view, Parser<Event>>& event_parsers() {
  static const std::unordered_map<std::string_view, Parser<Event>> parsers{
      {HttpRequest::type,
       [](const Value& v) {
         return HttpRequest{bytes_key(v, "body"), bool_key(v, "more_body")};
       }},
      {HttpDisconnect::type, [](const Value&) { return HttpDisconnect{}; }},
      {WebSocketConnect::type, [](const Value&) { return WebSocketConnect{}; }},
      {WebSocketReceive::type,
       [](const Value& v) {
         return WebSocketReceive{opt_bytes(v, "bytes"), opt_str(v, "text")};
       }},
      {WebSocketDisconnect::type,
       [](const Value& v) {
         return WebSocketDisconnect{int_key(v, "code", 1005), str_key(v, "reason")};
       }},
      {LifespanStartup::type, [](const Value&) { return LifespanStartup{}; }},
      {LifespanShutdown::type, [](const Value&) { return LifespanShutdown{}; }},
  };
  return parsers;
}

const std::unordered_map<std::string_view, Parser<Message>>& message_parsers() {
  static const std::unordered_map<std::string_view, Parser<Message>> parsers{
      {HttpResponseStart::type,
       [](const Value& v) {
         return HttpResponseStart{int_key(v, "status", std::nullopt), headers_key(v, "headers"),
                                  bool_key(v, "trailers")};
       }},
      {HttpResponseBody::type,
       [](const Value& v) {
         return HttpResponseBody{bytes_key(v, "body"), bool_key(v, "more_body")};
       }},
      {HttpResponseTrailers::type,
       [](const Value& v) {
         return HttpResponseTrailers{headers_from_value(required_key(v, "headers"), "headers"),
                                     bool_key(v, "more_trailers")};
       }},
      {HttpResponsePathsend::type,
       [](const Value& v) {
         return HttpResponsePathsend{required_key(v, "path").as<std::string>("path")};
       }},
      {WebSocketAccept::type,
       [](const Value& v) {
         return WebSocketAccept{opt_str(v, "subprotocol"), headers_key(v, "headers")};
       }},
      {WebSocketSend::type,
       [](const Value& v) {
         return WebSocketSend{opt_bytes(v, "bytes"), opt_str(v, "text")};
       }},
      {WebSocketClose::type,
       [](const Value& v) {
         return WebSocketClose{int_key(v, "code", 1000), str_key(v, "reason")};
       }},
      {WebSocketHttpResponseStart::type,
       [](const Value& v) {
         return WebSocketHttpResponseStart{int_key(v, "status", std::nullopt),
                                           headers_key(v, "headers")};
       }},
      {WebSocketHttpResponseBody::type,
       [](const Value& v) {
         return WebSocketHttpResponseBody{bytes_key(v, "body"), bool_key(v, "more_body")};
       }},
      {LifespanStartupComplete::type, [](const Value&) { return LifespanStartupComplete{}; }},
      {LifespanStartupFailed::type,
       [](const Value& v) { return LifespanStartupFailed{str_key(v, "message")}; }},
      {LifespanShutdownComplete::type, [](const Value&) { return LifespanShutdownComplete{}; }},
      {LifespanShutdownFailed::type,
       [](const Value& v) { return LifespanShutdownFailed{str_key(v, "message")}; }},
  };
  return parsers;
}

template <class Variant>
Variant parse(const Value& value,
              const std::unordered_map<std::string_view, Parser<Variant>>& parsers,
              std::string_view what) {
  value.as<Dict>(what);
  const std::string& type = required_key(value, "type").as<std::string>("type");
  auto it = parsers.find(type);
  if (it == parsers.end())
    throw ProtocolError("unknown ASGI " + std::string(what) + " type '" + type + "'");
  return it->second(value);
}

}  // namespace

Value to_value(const Event& event) {
  return variant_to_value(event);
}
Value to_value(const Message& message) {
  return variant_to_value(message);
}
Event event_from_value(const Value& value) {
  return parse(value, event_parsers(), "event");
}
Message message_from_value(const Value& value) {
  return parse(value, message_parsers(), "message");
}

boost::asio::awaitable<void> Send::operator()(const Value& message) const {
  return channel_->send(message_from_value(message));
}

}  // namespace asgi
