#include "asgi/protocol/proxy_headers.hpp"

#include <charconv>
#include <vector>

#include "asgi/protocol/header_tokens.hpp"

namespace asgi::protocol {

namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// The host part of an entry, for the trust check: brackets and port removed.
std::string host_of(std::string_view entry) {
  std::optional<Address> address = parse_forwarded_client(entry);
  return address ? address->host : std::string();
}

// Host header syntax (RFC 3986 reg-name, IP-literal, port): nothing that could split a header or
// smuggle a path.
bool is_valid_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("-._~!$&'()*+,;=:[]%").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// "https" / "wss" -> true, "http" / "ws" -> false, anything else -> nullopt.
std::optional<bool> parse_proto(std::string_view proto) {
  proto = trim(proto);
  if (iequals(proto, "https") || iequals(proto, "wss")) return true;
  if (iequals(proto, "http") || iequals(proto, "ws")) return false;
  return std::nullopt;
}

// The last element of a comma-separated list.
std::string_view last_element(std::string_view value) {
  std::string_view last;
  for_each_token(value, [&](std::string_view token) { last = token; });
  return last;
}

// ---- RFC 7239 -----------------------------------------------------------------------------------

struct ForwardedElement {
  std::optional<std::string> for_;
  std::optional<std::string> proto;
  std::optional<std::string> host;
};

bool is_tchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Forwarded = 1#forwarded-element; forwarded-element = [pair] *(";" [pair]);
// pair = token "=" (token / quoted-string). Several header lines are one list. nullopt when
// malformed.
class ForwardedParser {
 public:
  explicit ForwardedParser(std::string_view text) : text_(text) {}

  std::optional<std::vector<ForwardedElement>> parse() {
    std::vector<ForwardedElement> elements(1);
    for (;;) {
      skip_blanks();
      if (at_end()) break;
      char c = text_[pos_];
      if (c == ',') {
        ++pos_;
        elements.emplace_back();
        continue;
      }
      if (c == ';') {
        ++pos_;
        continue;
      }
      std::string name = token();
      if (name.empty() || at_end() || text_[pos_] != '=') return std::nullopt;
      ++pos_;
      std::optional<std::string> value =
          at_end() || text_[pos_] != '"' ? std::optional<std::string>(token()) : quoted_string();
      if (!value) return std::nullopt;
      for (char& n : name) n = static_cast<char>(n | 0x20);  // tchar letters only
      ForwardedElement& element = elements.back();
      std::optional<std::string>* slot = name == "for"     ? &element.for_
                                         : name == "proto" ? &element.proto
                                         : name == "host"  ? &element.host
                                                           : nullptr;
      if (slot) {
        if (*slot) return std::nullopt;  // RFC 7239 §4: each parameter at most once per element
        *slot = std::move(*value);
      }
      skip_blanks();
      if (!at_end() && text_[pos_] != ';' && text_[pos_] != ',') return std::nullopt;
    }
    // Empty elements (", ,") are allowed by the list syntax and carry nothing.
    std::erase_if(elements,
                  [](const ForwardedElement& e) { return !e.for_ && !e.proto && !e.host; });
    if (elements.empty()) return std::nullopt;
    return elements;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  void skip_blanks() {
    while (!at_end() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  std::string token() {
    std::size_t start = pos_;
    while (!at_end() && is_tchar(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }
  std::optional<std::string> quoted_string() {
    std::string out;
    ++pos_;  // the opening quote
    while (!at_end()) {
      char c = text_[pos_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (at_end()) return std::nullopt;
        c = text_[pos_++];
      }
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) return std::nullopt;
      out += c;
    }
    return std::nullopt;  // unterminated
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

ForwardedRequest from_forwarded(std::string_view value, const ProxyTrust& trust) {
  ForwardedRequest out;
  auto elements = ForwardedParser(value).parse();
  if (!elements) return out;
  // Nearest proxy first; stop at the first hop that is not a trusted proxy.
  const ForwardedElement* chosen = &elements->front();
  if (!trust.trusts_everyone()) {
    for (auto it = elements->rbegin(); it != elements->rend(); ++it) {
      chosen = &*it;
      if (!it->for_ || !trust.trusts(host_of(*it->for_))) break;
    }
  }
  if (chosen->for_) out.client = parse_forwarded_client(*chosen->for_);
  if (chosen->proto) out.secure = parse_proto(*chosen->proto);
  if (chosen->host && is_valid_host(*chosen->host)) out.host = *chosen->host;
  return out;
}

// ---- X-Forwarded-* ------------------------------------------------------------------------------

ForwardedRequest from_x_forwarded(const std::string& for_list, std::string_view proto,
                                  std::string_view host, const ProxyTrust& trust) {
  ForwardedRequest out;
  if (!for_list.empty()) {
    std::vector<std::string_view> entries;
    for_each_token(for_list, [&](std::string_view entry) { entries.push_back(entry); });
    if (!entries.empty()) {
      std::string_view chosen = entries.front();
      if (!trust.trusts_everyone()) {
        for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
          chosen = *it;
          if (!trust.trusts(host_of(*it))) break;
        }
      }
      out.client = parse_forwarded_client(chosen);
    }
  }
  if (!proto.empty()) out.secure = parse_proto(last_element(proto));
  if (std::string_view last = last_element(host); is_valid_host(last)) out.host = std::string(last);
  return out;
}

}  // namespace

std::optional<Address> parse_forwarded_client(std::string_view entry) {
  entry = trim(entry);
  if (entry.empty()) return std::nullopt;
  if (entry.front() == '[') {
    std::size_t close = entry.find(']');
    if (close == std::string_view::npos) return Address{std::string(entry), 0};
    std::string_view host = entry.substr(1, close - 1);
    std::string_view rest = entry.substr(close + 1);
    if (rest.empty()) return Address{std::string(host), 0};
    std::optional<std::uint16_t> port =
        rest.front() == ':' ? parse_port(rest.substr(1)) : std::nullopt;
    if (!port) return Address{std::string(entry), 0};
    return Address{std::string(host), *port};
  }
  if (IpAddress::parse(entry)) return Address{std::string(entry), 0};  // bare IPv4 or IPv6
  std::size_t colon = entry.rfind(':');
  if (colon != std::string_view::npos && entry.find(':') == colon) {
    if (std::optional<std::uint16_t> port = parse_port(entry.substr(colon + 1)))
      return Address{std::string(entry.substr(0, colon)), *port};
  }
  return Address{std::string(entry), 0};
}

ForwardedRequest read_proxy_headers(const Headers& headers, const ProxyTrust& trust) {
  // One pass over the names: most requests carry none of these, and this runs for every request
  // from a trusted peer.
  std::string forwarded;
  std::string for_list;
  std::string_view proto;
  std::string_view host;
  bool has_forwarded = false;
  auto join = [](std::string& list, std::string_view value) {
    if (!list.empty()) list += ", ";
    list += value;
  };
  for (std::size_t i = 0; i < headers.size(); ++i) {
    Headers::Field field = headers[i];
    std::string_view name = field.name;
    if (name.size() == 9 && name == "forwarded") {
      has_forwarded = true;
      join(forwarded, field.value);
    } else if (name.size() > 12 && name.starts_with("x-forwarded-")) {
      std::string_view which = name.substr(12);
      if (which == "for") join(for_list, field.value);
      if (which == "proto") proto = field.value;  // the last occurrence wins
      if (which == "host") host = field.value;
    }
  }
  if (has_forwarded) return from_forwarded(forwarded, trust);
  if (for_list.empty() && proto.empty() && host.empty()) return {};
  return from_x_forwarded(for_list, proto, host, trust);
}

void apply_forwarded(Scope& scope, const ForwardedRequest& forwarded) {
  if (forwarded.client && !forwarded.client->host.empty()) scope.client = forwarded.client;
  if (forwarded.secure) {
    bool websocket = scope.type == "websocket";
    scope.scheme = *forwarded.secure ? (websocket ? "wss" : "https") : (websocket ? "ws" : "http");
  }
  if (forwarded.host) {
    Headers rewritten;
    rewritten.reserve(scope.headers.size() + 1, forwarded.host->size() + 64);
    bool replaced = false;
    for (std::size_t i = 0; i < scope.headers.size(); ++i) {
      Headers::Field field = scope.headers[i];
      if (field.name != "host") {
        rewritten.add(field.name, field.value);
      } else if (!replaced) {
        rewritten.add("host", *forwarded.host);
        replaced = true;
      }
    }
    if (!replaced) rewritten.add("host", *forwarded.host);
    scope.headers = std::move(rewritten);
  }
}

}  // namespace asgi::protocol
