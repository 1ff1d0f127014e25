#pragma once
// Digits of pi, the CPU-heavy work behind GET /compute.

#include <string>

namespace apps::crab {

/// Pi to `digits` significant digits, counting the leading 3, truncated (not rounded):
/// 1 -> "3", 2 -> "3.1", 10 -> "3.141592653". `digits` must be at least 1.
///
/// Exact: it uses Machin's formula on big fixed-point numbers, so every digit returned is right.
/// Cost grows with the square of `digits` (about a second for 20000), which is why the app runs
/// it on the blocking thread pool rather than on the event loop.
std::string pi_digits(int digits);

}  // namespace apps::crab
