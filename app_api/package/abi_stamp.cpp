// Compiled into every library that links asgiserver::app_api (the package adds it to the
// library's sources): the ABI stamp in a section of its own, which `asgiserver --app lib.so:NAME`
// reads from the file before it loads the library, so no code of a mismatched library ever runs.

#include "asgi/abi.hpp"

namespace {
[[gnu::used, gnu::section(".asgiserver_abi")]] const char asgiserver_abi_stamp[] = ASGI_ABI_STAMP;
}  // namespace
