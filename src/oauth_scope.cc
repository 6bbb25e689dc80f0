#include "oauth_scope.h"

#include <algorithm>
#include <unordered_set>

#include "oauth_metadata.h"

namespace mcpr {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Ordered set of scope tokens (scope strings come from servers and may be
// long, so membership is hashed).
class Tokens {
 public:
  void Add(std::string_view scope) {
    std::size_t i = 0;
    while (i < scope.size()) {
      while (i < scope.size() && IsSpace(scope[i])) ++i;
      const std::size_t start = i;
      while (i < scope.size() && !IsSpace(scope[i])) ++i;
      if (i == start) break;
      std::string token(scope.substr(start, i - start));
      if (seen_.insert(token).second) list_.push_back(std::move(token));
    }
  }
  bool Has(const std::string& token) const { return seen_.count(token) != 0; }
  std::vector<std::string>& list() { return list_; }

 private:
  std::vector<std::string> list_;
  std::unordered_set<std::string> seen_;
};

std::string Join(const std::vector<std::string>& tokens) {
  std::string out;
  for (const std::string& t : tokens) {
    if (!out.empty()) out.push_back(' ');
    out += t;
  }
  return out;
}

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

std::vector<std::string> SplitScope(std::string_view scope) {
  Tokens tokens;
  tokens.Add(scope);
  return std::move(tokens.list());
}

std::string SelectScope(const ScopeInputs& in) {
  std::string pinned = Join(SplitScope(in.pinned_scope));
  if (!pinned.empty()) return pinned;
  std::string challenge = Join(SplitScope(in.challenge_scope));
  if (!challenge.empty()) return challenge;
  if (in.prm_has_scopes_supported) {
    Tokens tokens;
    for (const std::string& s : in.prm_scopes_supported) tokens.Add(s);
    return Join(tokens.list());  // "" for scopes_supported: [] -> omit
  }
  return {};
}

std::string AddOfflineAccess(std::string_view scope, const AuthServerMetadata& as_metadata,
                             const std::vector<std::string>& grant_types) {
  Tokens tokens;
  tokens.Add(scope);
  if (!tokens.list().empty() && Contains(as_metadata.scopes_supported, "offline_access") &&
      Contains(grant_types, "refresh_token")) {
    tokens.Add("offline_access");
  }
  return Join(tokens.list());
}

std::string UnionScopes(std::string_view a, std::string_view b) {
  Tokens tokens;
  tokens.Add(a);
  tokens.Add(b);
  return Join(tokens.list());
}

bool ScopeIncludesAll(std::string_view granted, std::string_view required) {
  Tokens have;
  have.Add(granted);
  for (const std::string& t : SplitScope(required)) {
    if (!have.Has(t)) return false;
  }
  return true;
}

}  // namespace mcpr
