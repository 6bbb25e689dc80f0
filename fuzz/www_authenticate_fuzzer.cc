// libFuzzer target for ParseWwwAuthenticate and FindBearer.
//  - Shape: schemes are non-empty lowercase tokens, parameter names are
//    non-empty lowercase tokens unique within a challenge, a challenge has a
//    token68 or parameters but not both, no value holds a CTL other than
//    HTAB.
//  - Round trip: serializing the parsed challenges canonically (values
//    quoted with '"' and '\' escaped) and parsing again gives the same
//    challenges.
//  - FindBearer over the input split at byte 0's position into two header
//    values agrees with the first bearer challenge of each part.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "www_authenticate.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

bool IsLowerToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 'A' && u <= 'Z') return false;
    if (u <= 0x20 || u >= 0x7F || c == '"' || c == ',' || c == '=' || c == '(' || c == ')' ||
        c == '/' || c == ':' || c == ';' || c == '<' || c == '>' || c == '?' || c == '@' ||
        c == '[' || c == ']' || c == '\\' || c == '{' || c == '}') {
      return false;
    }
  }
  return true;
}

std::string Serialize(const std::vector<mcpr::AuthChallenge>& challenges) {
  std::string out;
  for (const auto& c : challenges) {
    if (!out.empty()) out += ", ";
    out += c.scheme;
    if (!c.token68.empty()) out += " " + c.token68;
    for (std::size_t i = 0; i < c.params.size(); ++i) {
      out += i == 0 ? " " : ", ";
      out += c.params[i].first + "=\"";
      for (char ch : c.params[i].second) {
        if (ch == '"' || ch == '\\') out.push_back('\\');
        out.push_back(ch);
      }
      out += "\"";
    }
  }
  return out;
}

bool Same(const std::vector<mcpr::AuthChallenge>& a, const std::vector<mcpr::AuthChallenge>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].scheme != b[i].scheme || a[i].token68 != b[i].token68 || a[i].params != b[i].params) {
      return false;
    }
  }
  return true;
}

mcpr::BearerChallenge FirstBearer(std::string_view header) {
  mcpr::BearerChallenge out;
  for (const auto& c : mcpr::ParseWwwAuthenticate(header)) {
    if (c.scheme != "bearer") continue;
    out.present = true;
    if (const std::string* v = c.Find("scope")) out.scope = *v;
    if (const std::string* v = c.Find("resource_metadata")) out.resource_metadata = *v;
    if (const std::string* v = c.Find("error")) out.error = *v;
    if (const std::string* v = c.Find("error_description")) out.error_description = *v;
    break;
  }
  return out;
}

bool SameBearer(const mcpr::BearerChallenge& a, const mcpr::BearerChallenge& b) {
  return a.present == b.present && a.scope == b.scope &&
         a.resource_metadata == b.resource_metadata && a.error == b.error &&
         a.error_description == b.error_description;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  const auto challenges = mcpr::ParseWwwAuthenticate(input);
  if (input.size() > mcpr::kMaxWwwAuthenticateBytes) Check(challenges.empty(), "cap");
  for (const auto& c : challenges) {
    Check(IsLowerToken(c.scheme), "scheme is a lowercase token");
    Check(c.token68.empty() || c.params.empty(), "token68 xor params");
    for (std::size_t i = 0; i < c.params.size(); ++i) {
      Check(IsLowerToken(c.params[i].first), "param name is a lowercase token");
      for (std::size_t j = 0; j < i; ++j) Check(c.params[j].first != c.params[i].first, "unique");
      for (char ch : c.params[i].second) {
        const auto u = static_cast<unsigned char>(ch);
        Check(!((u < 0x20 && u != '\t') || u == 0x7F), "no CTL in values");
      }
    }
  }

  const std::string canonical = Serialize(challenges);
  if (canonical.size() <= mcpr::kMaxWwwAuthenticateBytes) {
    Check(Same(mcpr::ParseWwwAuthenticate(canonical), challenges), "round trip");
  }

  const std::size_t cut = input.empty() ? 0 : data[0] % (input.size() + 1);
  const std::string first(input.substr(0, cut));
  const std::string second(input.substr(cut));
  const mcpr::BearerChallenge got = mcpr::FindBearer({first, second});
  mcpr::BearerChallenge want = FirstBearer(first);
  if (!want.present) want = FirstBearer(second);
  Check(SameBearer(got, want), "FindBearer");
  return 0;
}
