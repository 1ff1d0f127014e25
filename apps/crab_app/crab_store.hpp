#pragma once
// The crab "database": an in-memory list behind a mutex.
//
// Why a mutex? The server may run several event-loop threads, so two requests can touch the store
// at the same moment. Every method locks, does its work, and returns *copies*: no reference into
// the store ever escapes the lock. Handlers never hold the lock across a co_await (they cannot:
// the lock lives only inside these plain, non-coroutine functions).

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace apps::crab {

struct Crab {
  std::int64_t id = 0;
  std::string name;
  std::string species;
  std::string habitat;
  std::string fun_fact;
};

class CrabStore {
 public:
  /// A store holding the seed crabs.
  CrabStore();

  std::vector<Crab> list() const;
  std::optional<Crab> find(std::int64_t id) const;
  /// Stores `crab` under a fresh id (its `id` field is ignored) and returns the stored copy.
  Crab add(Crab crab);

 private:
  mutable std::mutex mutex_;
  std::vector<Crab> crabs_;  // ordered by id, since ids only grow
  std::int64_t next_id_ = 1;
};

/// The process-wide store every request of crab_app shares.
CrabStore& crab_store();

}  // namespace apps::crab
