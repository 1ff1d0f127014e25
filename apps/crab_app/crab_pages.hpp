#pragma once
// The HTML the crab site serves.

#include <string_view>

namespace apps::crab {

/// GET /: a self-contained page (inline CSS, no external assets).
std::string_view home_page();

}  // namespace apps::crab
