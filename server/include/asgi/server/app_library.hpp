#pragma once
// Finding the app `--app` names: an app registered in the server's own build ("hello"), or an app
// library built against the installed package and loaded at startup ("./libnotes.so:notes", or
// "./libnotes.so" for a library with a single app). With --factory the name is a factory, called
// once here.
//
// A library is checked before any of its code runs: its ABI stamp (a section in the file, see
// asgi/abi.hpp) must equal the server's. Only then is it loaded (dlopen), and its
// ASGI_REGISTER_APP lines register its apps into the server's registry. Every failure is an
// AppLoadError with one line to print (the caller exits with status 3).

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "asgi/app.hpp"

namespace asgi::server {

class AppLoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What `--app` names: `library` is empty for a registered app; `name` is empty for "the
/// library's only app".
struct AppSpec {
  std::string library;
  std::string name;
};
/// A library when the text has a '/' or a ".so" ("libx.so", "./libx.so:app", "/opt/x.so.1:app");
/// the name follows the last ':' after the path.
AppSpec parse_app_spec(std::string_view text);

/// The contents of section `name` of the 64-bit little-endian ELF file `image`, or nullopt (not
/// such a file, no such section, or a malformed one: never reads outside `image`).
std::optional<std::string_view> find_elf_section(std::string_view image, std::string_view name);

/// The app to serve (calling the factory when `factory`); throws AppLoadError.
App load_app(std::string_view app_text, bool factory);

}  // namespace asgi::server
