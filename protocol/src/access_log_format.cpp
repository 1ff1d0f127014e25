#include "asgi/protocol/access_log_format.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

namespace asgi::protocol {

namespace {

constexpr std::string_view simple_atoms = "hlutrmUqHsbBfaTDMLp";

// Control characters, quotes and backslashes as \xNN / \" / \\: a client cannot forge a line.
void append_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 0xf];
    } else {
      out += c;
    }
  }
}

void append_value(std::string& out, std::optional<std::string_view> value) {
  if (!value || value->empty())
    out += '-';
  else
    append_escaped(out, *value);
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "host:port" -> "host" ("[::1]:5" and "::1:5" alike -> the address).
std::string_view host_of(std::string_view client) {
  std::size_t colon = client.rfind(':');
  if (colon == std::string_view::npos) return client;
  std::string_view host = client.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return host;
}

}  // namespace

std::optional<AccessLogFormat> AccessLogFormat::parse(std::string_view format, std::string& error) {
  AccessLogFormat result;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) result.pieces_.push_back({0, std::move(literal)});
    literal.clear();
  };
  for (std::size_t i = 0; i < format.size();) {
    if (format[i] != '%') {
      literal += format[i++];
      continue;
    }
    if (format.substr(i, 2) == "%%") {
      literal += '%';
      i += 2;
      continue;
    }
    std::size_t end = format.find(")s", i);
    if (format.substr(i, 2) != "%(" || end == std::string_view::npos) {
      error =
          "'%' at " + std::to_string(i + 1) + " does not start an atom such as %(h)s (%% is a %)";
      return std::nullopt;
    }
    std::string_view atom = format.substr(i + 2, end - i - 2);
    std::string spelled(format.substr(i, end + 2 - i));
    i = end + 2;
    flush();
    if (atom.size() == 1 && simple_atoms.find(atom[0]) != std::string_view::npos) {
      result.pieces_.push_back({atom[0], {}});
      if (atom[0] == 'a' || atom[0] == 'f') {
        std::string name = atom[0] == 'a' ? "user-agent" : "referer";
        if (std::find(result.request_headers_.begin(), result.request_headers_.end(), name) ==
            result.request_headers_.end())
          result.request_headers_.push_back(name);
      }
      continue;
    }
    if (atom.size() > 3 && atom.front() == '{' && atom[atom.size() - 2] == '}' &&
        (atom.back() == 'i' || atom.back() == 'o')) {
      std::string name = lowercase(atom.substr(1, atom.size() - 3));
      auto& names = atom.back() == 'i' ? result.request_headers_ : result.response_headers_;
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
      result.pieces_.push_back({atom.back(), std::move(name)});
      continue;
    }
    error = spelled + " is not an access-log atom";
    return std::nullopt;
  }
  flush();
  return result;
}

std::string AccessLogFormat::render(const AccessRecord& r) const {
  std::string out;
  std::string_view target = r.target;
  std::size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  auto header = [](const auto& lookup, std::string_view name) -> std::optional<std::string> {
    return lookup ? lookup(name) : std::nullopt;
  };
  for (const Piece& piece : pieces_) {
    switch (piece.atom) {
      case 0:
        out += piece.text;
        break;
      case 'h':
        append_value(out, host_of(r.client));
        break;
      case 'l':
      case 'u':
        out += '-';
        break;
      case 't': {
        std::time_t seconds = std::chrono::system_clock::to_time_t(r.time);
        std::tm utc{};
        ::gmtime_r(&seconds, &utc);
        char text[40];
        std::strftime(text, sizeof text, "[%d/%b/%Y:%H:%M:%S +0000]", &utc);
        out += text;
        break;
      }
      case 'r':
        append_escaped(out, r.method);
        out += ' ';
        append_escaped(out, target);
        out += " HTTP/";
        append_escaped(out, r.version);
        break;
      case 'm':
        append_value(out, r.method);
        break;
      case 'U':
        append_value(out, path);
        break;
      case 'q':
        append_escaped(out, query);
        break;  // empty when none, as Gunicorn
      case 'H':
        out += "HTTP/";
        append_escaped(out, r.version);
        break;
      case 's':
        out += std::to_string(r.status);
        break;
      case 'b':
        out += r.body_bytes ? std::to_string(r.body_bytes) : "-";
        break;
      case 'B':
        out += std::to_string(r.body_bytes);
        break;
      case 'f':
        append_value(out, header(r.request_header, "referer"));
        break;
      case 'a':
        append_value(out, header(r.request_header, "user-agent"));
        break;
      case 'T':
        out += std::to_string(r.duration.count() / 1000000);
        break;
      case 'D':
        out += std::to_string(r.duration.count());
        break;
      case 'M':
        out += std::to_string(r.duration.count() / 1000);
        break;
      case 'L': {
        char text[32];
        std::snprintf(text, sizeof text, "%.6f", static_cast<double>(r.duration.count()) / 1e6);
        out += text;
        break;
      }
      case 'p':
        out += std::to_string(r.process_id);
        break;
      case 'i':
        append_value(out, header(r.request_header, piece.text));
        break;
      case 'o':
        append_value(out, header(r.response_header, piece.text));
        break;
      default:
        break;
    }
  }
  return out;
}

}  // namespace asgi::protocol
