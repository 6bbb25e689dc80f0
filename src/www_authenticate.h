// WWW-Authenticate challenge parsing (RFC 9110 §11.6.1 / §11.2, ex-RFC 7235)
// and the Bearer view of it that MCP authorization needs (mcp-client-spec
// A.5 items 1 and 6: `resource_metadata`, `scope`, `error` from a 401/403).
//
// Grammar accepted:
//   WWW-Authenticate = #challenge
//   challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//   auth-param = token BWS "=" BWS ( token / quoted-string )
// Contract:
//  - Several challenges may share one header; commas separate both the
//    challenges and their parameters, so "Bearer a=1, Basic realm=x" is two
//    challenges. Empty list elements (",,") and OWS are skipped.
//  - scheme and parameter names are ASCII-lowercased; values are unquoted
//    with quoted-pair (\x) escapes resolved; for a repeated parameter name
//    within one challenge the first occurrence wins.
//  - Leniency beyond the grammar (what real servers send): an unquoted value
//    may be any run of visible ASCII/obs-text other than ',' and '"' (so an
//    unquoted `resource_metadata=https://x/y` works, as with the SDK's
//    `[^\s,]+`).
//  - Garbage never fails the parse: an unparseable element is skipped up to
//    the next comma outside a quoted string; a parameter whose quoted string
//    is unterminated or holds a control character is dropped.
//  - A header longer than kMaxWwwAuthenticateBytes yields no challenges.
// Pure functions, no I/O, no exceptions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcpr {

inline constexpr std::size_t kMaxWwwAuthenticateBytes = 16 * 1024;

struct AuthChallenge {
  std::string scheme;   // lowercase, e.g. "bearer"
  std::string token68;  // "" unless the challenge carries a token68
  /// (lowercase name, unquoted value) in header order, names unique.
  std::vector<std::pair<std::string, std::string>> params;

  /// The value of parameter `name` (lowercase), or nullptr.
  const std::string* Find(std::string_view name) const;
};

/// Parses one WWW-Authenticate field value. Never fails; returns the
/// challenges that parse (none for an over-long header).
std::vector<AuthChallenge> ParseWwwAuthenticate(std::string_view header);

/// The parameters of the first Bearer challenge found across all the
/// WWW-Authenticate header values of one response (in order). `present` is
/// false when there is no Bearer challenge; missing parameters are "".
struct BearerChallenge {
  std::string resource_metadata;
  std::string scope;
  std::string error;
  std::string error_description;
  bool present = false;
};

BearerChallenge FindBearer(const std::vector<std::string>& header_values);

}  // namespace mcpr
