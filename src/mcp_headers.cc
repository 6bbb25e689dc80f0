#include "mcp_headers.h"

#include "crypto.h"

namespace mcpr {

namespace {

constexpr std::string_view kPrefix = "=?base64?";
constexpr std::string_view kSuffix = "?=";

bool Visible(unsigned char c) { return c >= 0x21 && c <= 0x7E; }

bool HeaderSafe(std::string_view v) {
  if (v.empty() || !Visible(v.front()) || !Visible(v.back())) return false;
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E) return false;
  }
  return true;
}

bool LooksEncoded(std::string_view v) {
  if (v.size() < kPrefix.size() || !v.ends_with(kSuffix)) return false;
  for (std::size_t i = 0; i < kPrefix.size(); ++i) {
    char c = v[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kPrefix[i]) return false;
  }
  return true;
}

}  // namespace

std::string EncodeMcpHeaderValue(std::string_view utf8) {
  if (HeaderSafe(utf8) && !LooksEncoded(utf8)) return std::string(utf8);
  std::string out(kPrefix);
  out += Base64(utf8);
  out += kSuffix;
  return out;
}

}  // namespace mcpr
