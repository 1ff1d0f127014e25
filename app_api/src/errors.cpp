#include "asgi/errors.hpp"

namespace asgi {

std::string describe_exception(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

bool is_client_disconnected(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const ClientDisconnected&) {
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace asgi
