#include "crab_app/crab_store.hpp"

#include <algorithm>

namespace apps::crab {

CrabStore::CrabStore() {
  // Seed data: real species, real facts.
  const Crab seeds[] = {
      {0, "Ferris", "Cancer pagurus", "North Atlantic rocky shores",
       "It is easy to recognise by the black tips of its claws."},
      {0, "Hermie", "Coenobita clypeatus", "Caribbean beaches and forests",
       "Caribbean hermit crabs swap shells, queuing up in size order when a new one appears."},
      {0, "Big Red", "Gecarcoidea natalis", "Christmas Island rainforest",
       "Tens of millions of them march to the sea together each year to breed."},
      {0, "Stilts", "Macrocheira kaempferi", "Pacific waters around Japan",
       "The Japanese spider crab's legs can span 3.7 metres."},
      {0, "Coco", "Birgus latro", "Indo-Pacific islands",
       "The coconut crab is the largest land-living arthropod and can crack coconuts."},
      {0, "Blue", "Callinectes sapidus", "Western Atlantic estuaries",
       "Its scientific name means 'beautiful savory swimmer'."},
  };
  for (const Crab& crab : seeds) add(crab);
}

std::vector<Crab> CrabStore::list() const {
  std::lock_guard lock(mutex_);
  return crabs_;
}

std::optional<Crab> CrabStore::find(std::int64_t id) const {
  std::lock_guard lock(mutex_);
  // crabs_ is sorted by id, so a binary search finds it.
  auto it = std::lower_bound(crabs_.begin(), crabs_.end(), id,
                             [](const Crab& crab, std::int64_t key) { return crab.id < key; });
  if (it == crabs_.end() || it->id != id) return std::nullopt;
  return *it;
}

Crab CrabStore::add(Crab crab) {
  std::lock_guard lock(mutex_);
  crab.id = next_id_++;
  crabs_.push_back(std::move(crab));
  return crabs_.back();
}

CrabStore& crab_store() {
  // A function-local static is created on first use, exactly once, even across threads.
  static CrabStore store;
  return store;
}

}  // namespace apps::crab
