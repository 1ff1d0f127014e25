#pragma once
// HTTP status reason phrases (RFC 9110 section 15), shared by the server's status lines and access
// log and by apps (asgi::toolkit's error bodies).

#include <string_view>

namespace asgi {

/// The reason phrase for `status` ("Not Found"), or "" for an unregistered code.
std::string_view reason_phrase(int status);

}  // namespace asgi
