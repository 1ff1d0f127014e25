#pragma once
// Everything an application needs.

#include "asgi/app.hpp"
#include "asgi/blocking.hpp"
#include "asgi/broadcast.hpp"
#include "asgi/errors.hpp"
#include "asgi/events.hpp"
#include "asgi/headers.hpp"
#include "asgi/lease.hpp"
#include "asgi/registry.hpp"
#include "asgi/scope.hpp"
#include "asgi/state.hpp"
#include "asgi/url.hpp"
#include "asgi/value.hpp"
#include "asgi/wait_queue.hpp"
