#include "crab_app/pi_digits.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace apps::crab {

namespace {

// A non-negative fixed-point number in base 10^9: limbs_[0] is the integer part, limbs_[1], ...
// are the fraction, nine decimal digits per limb. Only what Machin's formula needs is here:
// division by a small integer, addition and subtraction.
class Fixed {
 public:
  static constexpr std::uint64_t kBase = 1'000'000'000;

  explicit Fixed(std::size_t fraction_limbs) : limbs_(fraction_limbs + 1, 0) {}

  void set(std::uint32_t integer) {
    std::fill(limbs_.begin(), limbs_.end(), 0u);
    limbs_[0] = integer;
    lead_ = integer == 0 ? limbs_.size() : 0;
  }

  /// *this /= divisor, truncating. Schoolbook long division, one limb at a time.
  void divide(std::uint32_t divisor) {
    std::uint64_t remainder = 0;
    for (std::size_t i = lead_; i < limbs_.size(); ++i) {
      std::uint64_t current = remainder * kBase + limbs_[i];  // < divisor * 10^9: fits in 64 bits
      limbs_[i] = static_cast<std::uint32_t>(current / divisor);
      remainder = current % divisor;
    }
    while (lead_ < limbs_.size() && limbs_[lead_] == 0) ++lead_;  // skip zeros next time
  }

  void add(const Fixed& other) {
    std::uint32_t carry = 0;
    for (std::size_t i = limbs_.size(); i-- > 0;) {
      if (i < other.lead_ && carry == 0) break;
      std::uint32_t sum = limbs_[i] + other.limbs_[i] + carry;  // < 2 * 10^9 + 1 < 2^32
      carry = sum >= kBase ? 1 : 0;
      limbs_[i] = carry ? static_cast<std::uint32_t>(sum - kBase) : sum;
    }
    lead_ = std::min(lead_, other.lead_);
    while (lead_ > 0 && limbs_[lead_ - 1] != 0) --lead_;  // a carry may have reached higher
  }

  /// *this -= other; requires *this >= other.
  void subtract(const Fixed& other) {
    std::uint32_t borrow = 0;
    for (std::size_t i = limbs_.size(); i-- > 0;) {
      if (i < other.lead_ && borrow == 0) break;
      std::uint32_t take = other.limbs_[i] + borrow;
      borrow = limbs_[i] < take ? 1 : 0;
      limbs_[i] = borrow ? static_cast<std::uint32_t>(limbs_[i] + kBase - take) : limbs_[i] - take;
    }
    while (lead_ < limbs_.size() && limbs_[lead_] == 0) ++lead_;
  }

  bool is_zero() const { return lead_ == limbs_.size(); }
  const std::vector<std::uint32_t>& limbs() const { return limbs_; }

 private:
  std::vector<std::uint32_t> limbs_;
  std::size_t lead_ = 0;  // limbs_[0 .. lead_) are known to be zero
};

// multiplier * arctan(1/x) = multiplier * (1/x - 1/(3x^3) + 1/(5x^5) - ...), the Taylor series.
Fixed arctan_inverse(std::uint32_t x, std::uint32_t multiplier, std::size_t fraction_limbs) {
  Fixed sum(fraction_limbs), power(fraction_limbs), term(fraction_limbs);
  power.set(multiplier);
  power.divide(x);  // multiplier / x^(2k+1), for k = 0, 1, ...
  const std::uint32_t x_squared = x * x;
  for (std::uint32_t k = 0; !power.is_zero(); ++k) {
    term = power;
    term.divide(2 * k + 1);
    if (k % 2 == 0)
      sum.add(term);
    else
      sum.subtract(term);  // the partial sums stay positive: the terms shrink
    power.divide(x_squared);
  }
  return sum;
}

}  // namespace

std::string pi_digits(int digits) {
  if (digits < 1) throw std::invalid_argument("pi_digits: digits must be at least 1");
  const auto decimals = static_cast<std::size_t>(digits - 1);
  // Every division truncates, so the last few computed digits are wrong; 20 guard digits absorb
  // the error (a few per term, at most ~10^6 units in the last place for 20000 digits).
  const std::size_t fraction_limbs = (decimals + 20) / 9 + 1;

  // Machin (1706): pi = 16 arctan(1/5) - 4 arctan(1/239).
  Fixed pi = arctan_inverse(5, 16, fraction_limbs);
  pi.subtract(arctan_inverse(239, 4, fraction_limbs));

  std::string text = std::to_string(pi.limbs()[0]);  // "3"
  if (decimals == 0) return text;
  text += '.';
  for (std::size_t i = 1; i < pi.limbs().size() && text.size() < decimals + 2; ++i) {
    char nine[16];
    std::snprintf(nine, sizeof nine, "%09u", static_cast<unsigned>(pi.limbs()[i]));
    text += nine;
  }
  text.resize(decimals + 2);  // truncate: "3." plus `decimals` digits
  return text;
}

}  // namespace apps::crab
