#include "asgi/protocol/app_ending.hpp"

namespace asgi::protocol {

AppEnding http_app_ending(AppExit exit, const ResponseProgress& progress) {
  AppEnding ending;
  if (exit == AppExit::client_gone) {
    ending.close_connection = true;
    return ending;
  }
  if (progress.request_error && !progress.head_rendered) {
    ending.http_status = progress.request_error;  // the app was told the client left
    ending.close_connection = true;
    return ending;
  }
  if (exit == AppExit::returned && progress.complete) return ending;  // the normal case
  if (exit == AppExit::returned) {
    ending.problem = progress.started ? "ASGI callable returned without completing response."
                                      : "ASGI callable returned without starting response.";
  }
  ending.close_connection = true;
  if (!progress.head_rendered) ending.http_status = 500;
  return ending;
}

AppEnding websocket_app_ending(AppExit exit, const ResponseProgress& progress) {
  AppEnding ending;
  ending.close_connection = true;
  if (exit == AppExit::client_gone || progress.complete) return ending;
  if (!progress.accepted && !progress.denied) {
    ending.http_status = exit == AppExit::raised ? 500 : 403;
    if (exit == AppExit::returned)
      ending.problem = "ASGI callable returned without completing handshake.";
    return ending;
  }
  if (progress.accepted) ending.close_code = exit == AppExit::raised ? 1011 : 1000;
  return ending;
}

}  // namespace asgi::protocol
