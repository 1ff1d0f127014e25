#pragma once
// The lifespan `state` namespace. Like the Python dict it mirrors, a State is a reference: copies
// of a State share one map, so what a lifespan app sets in its scope's state is what the server
// sees. Each request gets `copy()`: a new map holding the same (shared) objects, exactly as
// ASGI's `state.copy()`.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <typeindex>
#include <vector>

#include "asgi/value.hpp"

namespace asgi {

class State {
 public:
  /// An empty namespace. Its map is allocated on the first set(), so the per-request copy of an
  /// empty lifespan state costs nothing.
  State() = default;
  /// A namespace whose map exists up front, so that copies of this State share it (the server
  /// makes the lifespan scope's state this way).
  static State shared_namespace() {
    State state;
    state.entries_ = std::make_shared<Map>();
    return state;
  }
  /// A shallow copy: a new map whose values are the same shared objects.
  State copy() const {
    State fresh;
    if (entries_ && !entries_->empty()) fresh.entries_ = std::make_shared<Map>(*entries_);
    return fresh;
  }

  /// Stores a shared object under `key` (replacing any previous one in this copy only).
  template <class T>
  void set(std::string key, std::shared_ptr<T> object) {
    if (!entries_) entries_ = std::make_shared<Map>();
    entries_->insert_or_assign(std::move(key), Entry{std::move(object), typeid(T)});
  }
  /// The object stored under `key`, or nullptr when absent or of another type.
  template <class T>
  std::shared_ptr<T> get(std::string_view key) const {
    if (!entries_) return nullptr;
    auto it = entries_->find(key);
    if (it == entries_->end() || it->second.type != typeid(T)) return nullptr;
    return std::static_pointer_cast<T>(it->second.object);
  }
  bool contains(std::string_view key) const {
    return entries_ && entries_->find(key) != entries_->end();
  }
  void erase(std::string_view key) {
    if (!entries_) return;
    if (auto it = entries_->find(key); it != entries_->end()) entries_->erase(it);
  }
  std::size_t size() const { return entries_ ? entries_->size() : 0; }
  bool empty() const { return size() == 0; }
  std::vector<std::string> keys() const;

  /// Entries holding an asgi::Value appear as themselves; other objects as "<object>".
  Value to_value() const;

 private:
  struct Entry {
    std::shared_ptr<void> object;
    std::type_index type;
  };
  using Map = std::map<std::string, Entry, std::less<>>;
  std::shared_ptr<Map> entries_;
};

}  // namespace asgi
