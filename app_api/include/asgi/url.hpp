#pragma once
// Percent-decoding (RFC 3986 section 2.1), the one implementation the server's scope builder and
// apps share: `scope.path` is built with it, and apps decode query strings and form fields with
// it (`plus_is_space` for application/x-www-form-urlencoded, where '+' means a space).

#include <string>
#include <string_view>

namespace asgi {

/// Decodes %XX escapes into bytes. A malformed escape ("%ZZ", a '%' near the end) stays as it is,
/// as Python's urllib.parse.unquote leaves it. The result is bytes, not checked as UTF-8.
std::string percent_decode(std::string_view text, bool plus_is_space = false);

}  // namespace asgi
