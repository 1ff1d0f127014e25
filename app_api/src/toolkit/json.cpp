#include "asgi/toolkit/json.hpp"

#include "asgi/toolkit/http_error.hpp"
#include "asgi/toolkit/request.hpp"
#include "asgi/toolkit/response.hpp"

namespace asgi::toolkit {

boost::asio::awaitable<nlohmann::json> read_json(Receive receive, std::size_t limit) {
  std::string body = co_await read_body(std::move(receive), limit);
  nlohmann::json value = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    // Parse again for the message: the error names the byte where the text stopped being JSON.
    std::string problem = "Invalid JSON";
    try {
      (void)nlohmann::json::parse(body);
    } catch (const nlohmann::json::parse_error& e) {
      problem += ": " + std::string(e.what());
    }
    throw HttpError(400, problem);
  }
  co_return value;
}

// Not coroutines: the text is made here, and send_bytes owns it from then on.
boost::asio::awaitable<void> send_json(Send send, const nlohmann::json& value, int status,
                                       Headers headers) {
  return send_bytes(std::move(send),
                    value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    "application/json", status, std::move(headers));
}

boost::asio::awaitable<void> send_json_error(Send send, HttpError error) {
  return send_json(std::move(send), nlohmann::json{{"detail", error.detail()}}, error.status(),
                   error.headers());
}

}  // namespace asgi::toolkit
