#pragma once
// The ABI stamp: what an app library and the server that loads it must agree on to share one
// process. The package version (the app API's types and the server's symbols), the C++ ABI
// (libstdc++'s string and list layout, the compiler's Itanium ABI level), and Asio's
// configuration: Asio is compiled once, into the server, and its per-thread recycling caches are
// sized by these definitions, so an app compiled with other values would read the server's caches
// with the wrong layout.
//
// find_package(asgiserver) compiles this stamp into every library that links asgiserver::app_api
// (a section of its own, `.asgiserver_abi`), and `asgiserver --app lib.so:NAME` compares it with
// its own before the library is loaded: a mismatch is one line and exit status 3, never a crash.

#include <boost/version.hpp>
#include <cstddef>  // defines _GLIBCXX_USE_CXX11_ABI

#include "asgi/version.hpp"

#define ASGI_ABI_STRINGIFY_(x) #x
#define ASGI_ABI_STRINGIFY(x) ASGI_ABI_STRINGIFY_(x)

#if defined(BOOST_ASIO_SEPARATE_COMPILATION) && defined(BOOST_ASIO_NO_DEPRECATED) &&            \
    defined(BOOST_ASIO_DISABLE_STD_ALIGNED_ALLOC) && defined(BOOST_ASIO_DISABLE_BOOST_ALIGN) && \
    defined(BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE)
#define ASGI_ABI_ASIO                                                            \
  "separate no_deprecated no_aligned_alloc recycling_cache=" ASGI_ABI_STRINGIFY( \
      BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE)
#else
#define ASGI_ABI_ASIO "not configured for asgiserver (link asgiserver::app_api)"
#endif

/// One line, compared byte for byte.
#define ASGI_ABI_STAMP \
  "asgiserver " ASGI_VERSION "; boost " ASGI_ABI_STRINGIFY(BOOST_VERSION) "; cxx11_abi " \
      ASGI_ABI_STRINGIFY(_GLIBCXX_USE_CXX11_ABI) "; gxx_abi " ASGI_ABI_STRINGIFY(             \
          __GXX_ABI_VERSION) "; asio " ASGI_ABI_ASIO
