// GET /crabs, GET /crabs/{id}, POST /crabs.

#include <charconv>
#include <cstdint>

#include "asgi/toolkit.hpp"
#include "asgi/toolkit/json.hpp"
#include "crab_app/crab_store.hpp"
#include "crab_app/handlers.hpp"

namespace apps::crab {

namespace {

constexpr std::size_t kMaxBody = 64 * 1024;  // a crab is a few hundred bytes; 64 KiB is plenty

Json to_json(const Crab& crab) {
  return {{"id", crab.id},
          {"name", crab.name},
          {"species", crab.species},
          {"habitat", crab.habitat},
          {"fun_fact", crab.fun_fact}};
}

// Reads one string field of a POSTed crab into `out`. Returns an error message, or nullopt.
// A required field must be a non-empty string; an optional one may also be absent or null.
std::optional<std::string> read_field(const Json& body, const char* key, bool required,
                                      std::string& out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    if (required) return std::string("field '") + key + "' is required";
    return std::nullopt;
  }
  if (!it->is_string()) return std::string("field '") + key + "' must be a string";
  out = it->get<std::string>();
  if (required && out.empty()) return std::string("field '") + key + "' must not be empty";
  return std::nullopt;
}

// Validates a POSTed JSON document and builds the crab from it. Returns an error message, or
// nullopt on success. A plain function: the handler below stays about HTTP, this about data.
std::optional<std::string> crab_from_json(const Json& body, Crab& crab) {
  if (!body.is_object()) return "body must be a JSON object";
  if (auto error = read_field(body, "name", true, crab.name)) return error;
  if (auto error = read_field(body, "species", true, crab.species)) return error;
  if (auto error = read_field(body, "habitat", false, crab.habitat)) return error;
  if (auto error = read_field(body, "fun_fact", false, crab.fun_fact)) return error;
  return std::nullopt;
}

}  // namespace

boost::asio::awaitable<void> list_crabs(asgi::toolkit::Request request) {
  Json crabs = Json::array();
  for (const Crab& crab : crab_store().list()) crabs.push_back(to_json(crab));
  co_await asgi::toolkit::send_json(request.send, crabs);
}

boost::asio::awaitable<void> get_crab(asgi::toolkit::Request request) {
  // from_chars: no locale, no exceptions, and we check it consumed the whole text ("7x" is no id).
  std::string id_text = request.params.get("id").value_or("");
  std::int64_t id = 0;
  auto [end, error] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  std::optional<Crab> crab;
  if (error == std::errc() && end == id_text.data() + id_text.size())
    crab = crab_store().find(id);  // locks, copies, unlocks: nothing held across the co_await
  if (!crab) throw asgi::toolkit::HttpError(404, "Crab not found");
  co_await asgi::toolkit::send_json(request.send, to_json(*crab));
}

boost::asio::awaitable<void> create_crab(asgi::toolkit::Request request) {
  namespace kit = asgi::toolkit;
  // Check the cheap things before reading the body. "application/json; charset=utf-8" is fine.
  if (kit::media_type(kit::header(request.scope, "content-type").value_or("")) !=
      "application/json")
    throw kit::HttpError(415, "Content-Type must be application/json");
  std::optional<std::string> body = co_await kit::read_body_up_to(request.receive, kMaxBody);
  if (!body) throw kit::HttpError(413, "Request body too large (limit is 64 KiB)");
  // allow_exceptions=false: a parse error gives a "discarded" value instead of throwing.
  Json json = Json::parse(*body, nullptr, false);
  if (json.is_discarded()) throw kit::HttpError(422, "body is not valid JSON");
  Crab crab;
  if (auto error = crab_from_json(json, crab)) throw kit::HttpError(422, *error);
  Crab created = crab_store().add(std::move(crab));
  co_await kit::send_json(request.send, to_json(created), 201,
                          {{"location", "/crabs/" + std::to_string(created.id)}});
}

}  // namespace apps::crab
