// OAuth scope selection, sans I/O. Implements mcp-client-spec A.5 item 5
// ("Scope Selection Strategy", offline_access under "Refresh Tokens") and
// item 6 (403 insufficient_scope step-up: the union of scopes).
//
// SelectScope order (first non-empty wins; "" means: omit `scope`):
//  1. the scope pinned with --static-oauth-client-metadata (npm extra; a
//     user's explicit choice);
//  2. `scope` of the 401's Bearer challenge (authoritative, A.5 item 5);
//  3. ALL of PRM scopes_supported; `scopes_supported: []` means omit;
//  4. omit.
// Deliberately NOT done (npm does, the spec says omit): the DCR response's
// scope, AS scopes_supported, and the "openid email profile" fallback.
// Scope strings are normalized: split on ASCII whitespace, empty and
// repeated tokens dropped, joined with single spaces, order preserved.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mcpr {

struct AuthServerMetadata;

struct ScopeInputs {
  std::string pinned_scope;     // from --static-oauth-client-metadata; blank = none
  std::string challenge_scope;  // WWW-Authenticate `scope` of the 401; blank = none
  std::vector<std::string> prm_scopes_supported;
  bool prm_has_scopes_supported = false;  // PRM present with the member
};

std::string SelectScope(const ScopeInputs& in);

/// Appends " offline_access" to a non-empty `scope` when the AS lists
/// offline_access in scopes_supported, `grant_types` (the client's
/// registered/requested grants) includes refresh_token, and the scope does
/// not already contain it (SDK determineScope; spec "Refresh Tokens": MAY
/// only if the AS advertises it). An empty scope stays empty: asking for
/// offline_access alone would replace the AS's default scope. The result is
/// normalized.
std::string AddOfflineAccess(std::string_view scope, const AuthServerMetadata& as_metadata,
                             const std::vector<std::string>& grant_types);

/// Space-separated union of two scope strings: the tokens of `a`, then those
/// of `b` not already present (step-up after 403 insufficient_scope).
std::string UnionScopes(std::string_view a, std::string_view b);

/// The distinct tokens of a scope string, in order.
std::vector<std::string> SplitScope(std::string_view scope);

/// True when every token of `required` is among the tokens of `granted`.
bool ScopeIncludesAll(std::string_view granted, std::string_view required);

}  // namespace mcpr
