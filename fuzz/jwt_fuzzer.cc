// libFuzzer target for JwtExpiry (the only parser in jwt.h).
//  - The raw input as a token never crashes.
//  - Differential: for the input used as the JWT payload bytes,
//    JwtExpiry("h." + base64url(input) + ".s") equals `exp` read directly
//    with Boost.JSON (int64 as is, double floored when in int64 range).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "crypto.h"
#include "jwt.h"

namespace {

std::optional<std::int64_t> Reference(std::string_view payload) {
  boost::json::parse_options opt;
  opt.max_depth = 64;
  boost::system::error_code ec;
  const boost::json::value v =
      boost::json::parse(boost::json::string_view(payload.data(), payload.size()), ec, {}, opt);
  if (ec || !v.is_object()) return std::nullopt;
  const boost::json::value* exp = v.get_object().if_contains("exp");
  if (exp == nullptr) return std::nullopt;
  if (exp->is_int64()) return exp->get_int64();
  if (exp->is_double()) {
    const double d = std::floor(exp->get_double());
    if (d >= -9.2e18 && d <= 9.2e18) return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)mcpr::JwtExpiry(input);

  const std::optional<std::int64_t> got = mcpr::JwtExpiry("h." + mcpr::Base64Url(input) + ".s");
  const std::optional<std::int64_t> want = Reference(input);
  // Doubles in (9.2e18, 2^63) are accepted by JwtExpiry and not by the
  // simpler reference; only compare where both are defined or want is.
  if (want.has_value() && got != want) {
    std::fprintf(stderr, "JwtExpiry mismatch\n");
    std::abort();
  }
  if (!want.has_value() && got.has_value() && *got > -9200000000000000000LL &&
      *got < 9200000000000000000LL) {
    std::fprintf(stderr, "JwtExpiry accepted what the reference rejects\n");
    std::abort();
  }
  return 0;
}
