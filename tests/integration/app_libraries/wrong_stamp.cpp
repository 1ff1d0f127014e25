// A stamp as another asgiserver build would write it: the server must refuse to load the library
// (and so never run the initialiser below).

#include <cstdio>
#include <cstdlib>

namespace {
[[gnu::used, gnu::section(".asgiserver_abi")]] const char stamp[] =
    "asgiserver 0.0.1; boost 107400; cxx11_abi 1; gxx_abi 1002; asio separate";

struct RunsOnLoad {
  RunsOnLoad() {
    std::fputs("wrong_stamp: this library's code ran\n", stderr);
    std::abort();
  }
} runs_on_load;
}  // namespace
