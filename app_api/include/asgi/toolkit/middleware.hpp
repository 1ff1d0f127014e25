#pragma once
// Middleware: an app that wraps an app (as in Starlette), so they stack:
//
//   asgi::App app = asgi::toolkit::gzip(asgi::toolkit::request_id(router.app()));
//
// Each takes the inner App and returns one; scopes other than HTTP pass through untouched.

#include <cstddef>
#include <string>

#include "asgi/app.hpp"

namespace asgi::toolkit {

/// Gives every HTTP request an id: the client's `header` when it is a plausible id (1 to 128
/// characters of [A-Za-z0-9._-]), else a new random one (32 hex digits). The inner app sees it as
/// that request header (replacing an implausible one), and the response carries it back.
App request_id(App app, std::string header = "x-request-id");

/// Compresses responses with gzip (zlib) when the request's accept-encoding allows it (q above
/// 0), the response has no content-encoding yet and its type is text-like (text/*, JSON,
/// JavaScript, XML, SVG), and its body is at least `minimum_size` bytes (a response sent in one
/// piece smaller than that is left alone: compressing it would not pay). A streamed response
/// is compressed piece by piece and flushed after each, so a client sees every piece as it is
/// sent. Adds content-encoding: gzip and vary: accept-encoding; drops content-length.
App gzip(App app, std::size_t minimum_size = 500);

}  // namespace asgi::toolkit
