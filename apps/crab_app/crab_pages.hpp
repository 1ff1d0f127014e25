#pragma once
// The HTML the crab site serves.

#include <string_view>

namespace apps::crab {

/// GET /: a self-contained page (inline CSS, no external assets).
std::string_view home_page();

/// GET /tank: the live crab tank (tank_page.cpp). Its script opens /ws/tank, draws the crabs and
/// food from each state message, sends a drop on click and reconnects when the socket drops.
std::string_view tank_page();

}  // namespace apps::crab
