#include "asgi/scope.hpp"

#include "asgi/errors.hpp"
#include "detail/value_access.hpp"

namespace asgi {

std::vector<std::string> State::keys() const {
  std::vector<std::string> names;
  if (!entries_) return names;
  for (const auto& entry : *entries_) names.push_back(entry.first);
  return names;
}

Value State::to_value() const {
  Dict dict;
  if (!entries_) return dict;
  for (const auto& [key, entry] : *entries_) {
    if (entry.type == typeid(Value))
      dict.emplace(key, *std::static_pointer_cast<Value>(entry.object));
    else
      dict.emplace(key, "<object>");
  }
  return dict;
}

namespace {

Value address_to_value(const Address& a) {
  return List{a.host, a.port ? Value(*a.port) : Value(nullptr)};
}

std::optional<Address> address_from_value(const Value* v, std::string_view key) {
  if (!v || v->is_null()) return std::nullopt;
  const List& items = v->as<List>(key);
  if (items.size() != 2) throw ProtocolError(std::string(key) + " must have two items");
  Address a{items[0].as<std::string>(key), std::nullopt};
  if (!items[1].is_null()) {
    std::int64_t port = items[1].as<std::int64_t>(key);
    if (port < 0 || port > 65535) throw ProtocolError(std::string(key) + " port out of range");
    a.port = static_cast<std::uint16_t>(port);
  }
  return a;
}

}  // namespace

Value Scope::to_value() const {
  Dict d;
  d.emplace("type", type);
  d.emplace("asgi", Dict{{"version", asgi.version}, {"spec_version", asgi.spec_version}});
  if (type == "lifespan") {
    d.emplace("state", state.to_value());
    return d;
  }
  d.emplace("http_version", http_version);
  if (type == "http") d.emplace("method", method);
  d.emplace("scheme", scheme);
  d.emplace("path", path);
  d.emplace("raw_path", Bytes{raw_path});
  d.emplace("query_string", Bytes{query_string});
  d.emplace("root_path", root_path);
  d.emplace("headers", detail::headers_to_value(headers));
  d.emplace("client", client ? address_to_value(*client) : Value(nullptr));
  d.emplace("server", server ? address_to_value(*server) : Value(nullptr));
  if (type == "websocket") {
    List protocols(subprotocols.begin(), subprotocols.end());
    d.emplace("subprotocols", std::move(protocols));
  }
  d.emplace("state", state.to_value());
  d.emplace("extensions", extensions.dict());
  return d;
}

const Value* Extensions::find(std::string_view name) const {
  if (!dict_) return nullptr;
  auto it = dict_->find(name);
  return it == dict_->end() ? nullptr : &it->second;
}

const Dict& Extensions::dict() const {
  static const Dict none;
  return dict_ ? *dict_ : none;
}

Scope Scope::from_value(const Value& value) {
  using detail::optional_key;
  using detail::required_key;
  value.as<Dict>("scope");
  Scope s;
  s.type = required_key(value, "type").as<std::string>("type");
  if (const Value* a = optional_key(value, "asgi")) {
    s.asgi.version =
        a->find("version") ? a->find("version")->as<std::string>("asgi.version") : "2.0";
    const Value* sv = a->find("spec_version");
    s.asgi.spec_version =
        sv ? sv->as<std::string>("asgi.spec_version") : (s.type == "lifespan" ? "1.0" : "2.0");
  }
  if (s.type == "lifespan") return s;
  const Value* hv = optional_key(value, "http_version");
  s.http_version = hv ? hv->as<std::string>("http_version") : "1.1";
  if (s.type == "http") s.method = required_key(value, "method").as<std::string>("method");
  const Value* scheme = optional_key(value, "scheme");
  s.scheme = scheme ? scheme->as<std::string>("scheme") : (s.type == "http" ? "http" : "ws");
  s.path = required_key(value, "path").as<std::string>("path");
  if (const Value* raw = optional_key(value, "raw_path"))
    s.raw_path = raw->as<Bytes>("raw_path").data;
  if (const Value* q = optional_key(value, "query_string"))
    s.query_string = q->as<Bytes>("query_string").data;
  if (const Value* r = optional_key(value, "root_path"))
    s.root_path = r->as<std::string>("root_path");
  s.headers = detail::headers_from_value(required_key(value, "headers"), "headers");
  s.client = address_from_value(optional_key(value, "client"), "client");
  s.server = address_from_value(optional_key(value, "server"), "server");
  if (const Value* p = optional_key(value, "subprotocols"))
    for (const Value& item : p->as<List>("subprotocols"))
      s.subprotocols.push_back(item.as<std::string>("subprotocols"));
  if (const Value* e = optional_key(value, "extensions"))
    s.extensions = Extensions(e->as<Dict>("extensions"));
  if (const Value* st = optional_key(value, "state"))
    for (const auto& [key, item] : st->as<Dict>("state"))
      s.state.set(key, std::make_shared<Value>(item));
  return s;
}

}  // namespace asgi
