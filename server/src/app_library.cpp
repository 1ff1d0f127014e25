#include "asgi/server/app_library.hpp"

#include <dlfcn.h>
#include <elf.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "asgi/abi.hpp"
#include "asgi/errors.hpp"
#include "asgi/registry.hpp"

namespace asgi::server {

namespace {

constexpr std::string_view stamp_section = ".asgiserver_abi";

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text.empty() ? "none" : text;
}

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

template <class T>
std::optional<T> read_at(std::string_view image, std::uint64_t offset) {
  if (offset > image.size() || image.size() - offset < sizeof(T)) return std::nullopt;
  T value;
  std::memcpy(&value, image.data() + offset, sizeof(T));
  return value;
}

std::optional<std::string_view> slice(std::string_view image, std::uint64_t offset,
                                      std::uint64_t size) {
  if (offset > image.size() || size > image.size() - offset) return std::nullopt;
  return image.substr(static_cast<std::size_t>(offset), static_cast<std::size_t>(size));
}

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    int error = errno;
    throw AppLoadError("Error loading ASGI app. Could not open app library " + quoted(path) + ": " +
                       std::strerror(error));
  }
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return std::move(bytes).str();
}

// The stamp the library was built with must be ours, before any of its code runs.
void check_stamp(const std::string& path) {
  std::string image = read_file(path);
  std::optional<std::string_view> section = find_elf_section(image, stamp_section);
  std::string prefix = "Error loading ASGI app library " + quoted(path) + ": ";
  if (!section)
    throw AppLoadError(prefix +
                       "it carries no asgiserver ABI stamp (build it with find_package(asgiserver) "
                       "and link asgiserver::app_api)");
  std::string_view stamp = section->substr(0, section->find('\0'));
  if (stamp != ASGI_ABI_STAMP)
    throw AppLoadError(prefix + "built for [" + std::string(stamp) + "], this server is [" +
                       ASGI_ABI_STAMP + "]; rebuild it against this server's package");
}

// Loads the library (its static initialisers register its apps) and returns what it registered.
std::vector<std::string> open_library(const std::string& path) {
  std::size_t mark = registration_count();
  // A name without '/' would make dlopen search the library path instead of the file checked.
  std::string file = path.find('/') == std::string::npos ? "./" + path : path;
  // RTLD_NOW: a missing symbol fails here, not in the middle of a request. RTLD_LOCAL: two app
  // libraries' own symbols stay apart. Never closed: the app runs until the server exits.
  if (!::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL))
    throw AppLoadError("Error loading ASGI app library " + quoted(path) + ": " + ::dlerror());
  return registered_since(mark);
}

std::string pick_name(const AppSpec& spec, const std::vector<std::string>& registered) {
  std::string prefix = "Error loading ASGI app library " + quoted(spec.library) + ": ";
  if (registered.empty()) throw AppLoadError(prefix + "it registers no app (ASGI_REGISTER_APP)");
  if (spec.name.empty()) {
    if (registered.size() > 1)
      throw AppLoadError(prefix + "it registers several apps (" + join(registered) +
                         "); name one: " + spec.library + ":NAME");
    return registered.front();
  }
  for (const std::string& name : registered)
    if (name == spec.name) return name;
  throw AppLoadError(prefix + "it has no app " + quoted(spec.name) + " (it registers " +
                     join(registered) + ")");
}

App call_factory(const std::string& name) {
  const AppFactory* factory = find_app_factory(name);
  if (!factory)
    throw AppLoadError("Error loading ASGI app factory. " + quoted(name) +
                       " is not a factory (ASGI_REGISTER_APP_FACTORY); factories: " +
                       join(registered_app_factories()));
  try {
    App app = (*factory)();
    if (!app) throw std::runtime_error("it returned no app");
    return app;
  } catch (...) {
    throw AppLoadError("Error loading ASGI app factory " + quoted(name) + ": " +
                       describe_exception(std::current_exception()));
  }
}

}  // namespace

AppSpec parse_app_spec(std::string_view text) {
  std::size_t slash = text.rfind('/');
  bool library = slash != std::string_view::npos || text.find(".so") != std::string_view::npos;
  if (!library) return {{}, std::string(text)};
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash))
    return {std::string(text), {}};
  return {std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

std::optional<std::string_view> find_elf_section(std::string_view image, std::string_view name) {
  auto header = read_at<Elf64_Ehdr>(image, 0);
  if (!header || std::memcmp(header->e_ident, ELFMAG, SELFMAG) != 0 ||
      header->e_ident[EI_CLASS] != ELFCLASS64 || header->e_ident[EI_DATA] != ELFDATA2LSB ||
      header->e_shentsize != sizeof(Elf64_Shdr))
    return std::nullopt;
  auto section = [&](std::uint64_t index) {
    return read_at<Elf64_Shdr>(image, header->e_shoff + index * sizeof(Elf64_Shdr));
  };
  if (header->e_shoff > image.size()) return std::nullopt;
  auto names_header = section(header->e_shstrndx);
  if (!names_header) return std::nullopt;
  auto names = slice(image, names_header->sh_offset, names_header->sh_size);
  if (!names) return std::nullopt;
  for (std::uint64_t i = 0; i < header->e_shnum; ++i) {
    auto candidate = section(i);
    if (!candidate) return std::nullopt;
    if (candidate->sh_name >= names->size()) continue;
    std::string_view candidate_name = names->substr(candidate->sh_name);
    candidate_name = candidate_name.substr(0, candidate_name.find('\0'));
    if (candidate_name != name || candidate->sh_type == SHT_NOBITS) continue;
    return slice(image, candidate->sh_offset, candidate->sh_size);
  }
  return std::nullopt;
}

App load_app(std::string_view app_text, bool factory) {
  AppSpec spec = parse_app_spec(app_text);
  std::string name = spec.name;
  if (!spec.library.empty()) {
    check_stamp(spec.library);
    name = pick_name(spec, open_library(spec.library));
  }
  if (factory) return call_factory(name);
  if (const App* app = find_app(name)) return *app;
  if (find_app_factory(name))
    throw AppLoadError("Error loading ASGI app. " + quoted(name) +
                       " is an app factory (ASGI_REGISTER_APP_FACTORY): add --factory");
  throw AppLoadError("Error loading ASGI app. Could not find app " + quoted(name) +
                     ". Available apps: " + join(registered_apps()));
}

}  // namespace asgi::server
