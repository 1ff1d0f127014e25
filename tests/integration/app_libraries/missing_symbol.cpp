// Calls a function no library defines: the server's loader must refuse the library in one line.

#include "asgi/asgi.hpp"

extern "C" int asgiserver_fixture_missing_symbol();

namespace {

boost::asio::awaitable<void> broken(asgi::Scope, asgi::Receive, asgi::Send send) {
  co_await send(asgi::HttpResponseStart(200 + asgiserver_fixture_missing_symbol(), {}));
}

}  // namespace

ASGI_REGISTER_APP(broken, broken);
