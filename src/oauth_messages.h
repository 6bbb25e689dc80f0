// OAuth 2.1 wire messages, sans I/O: form bodies, the authorization URL,
// token and error responses, the loopback callback query, `state`, client
// authentication, and the check applied before a URL goes to a browser.
// Implements mcp-client-spec A.5 items 3/7/8/9 (the authorize and token
// requests carry PKCE, resource, state; RFC 9207 iss is surfaced) and item
// 12 / engineering-style §2.8 (CVE-2025-6514: only https, or http to a
// loopback host, ever reaches the browser opener).
//
// Form encoding is application/x-www-form-urlencoded as browsers and
// URLSearchParams produce it: RFC 3986 unreserved bytes kept, space as '+',
// everything else %XX (uppercase hex). Decoding turns '+' into space and
// %XX into the byte; a '%' not followed by two hex digits stays literal.
// No exceptions escape; JSON is parsed with Boost.JSON's error_code API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcpr {

using FormParams = std::vector<std::pair<std::string, std::string>>;

std::string FormUrlEncode(std::string_view text);
std::string FormUrlDecode(std::string_view text);

/// "k1=v1&k2=v2" in the given order (a token-request body).
std::string FormEncode(const FormParams& params);

/// Splits "a=1&b=&c" (a leading '?' is ignored) into decoded pairs in order,
/// duplicates kept; "c" gives ("c", ""); empty pieces are skipped.
FormParams ParseFormUrlEncoded(std::string_view query);

/// The authorization request URL: `endpoint` with `params` applied in order
/// with URLSearchParams.set semantics (the first pair of that name in the
/// endpoint's existing query takes the value, later ones are removed;
/// otherwise the pair is appended). As with `url.searchParams.set` in the
/// SDK, the whole query is then re-serialized form-encoded. The fragment is
/// dropped. "" if `endpoint` is not an http(s) URL.
std::string BuildAuthorizeUrl(std::string_view endpoint, const FormParams& params);

struct TokenResponse {
  std::string access_token;
  std::string token_type;  // as sent ("" if absent)
  std::string refresh_token;
  std::string id_token;
  std::string scope;
  std::optional<std::int64_t> expires_in;  // seconds, clamped to [0, kMaxExpiresIn]
  std::string raw_json;
};

inline constexpr std::int64_t kMaxExpiresIn = 100LL * 366 * 24 * 3600;

/// Parses a successful token-endpoint response (RFC 6749 §5.1). Errors: not
/// a JSON object; an OAuth error object ("error" member, see
/// ParseOAuthError) instead of tokens; access_token missing/empty/not a
/// string; token_type present and not "bearer" (case-insensitive) — we can
/// only send Bearer tokens; refresh_token/id_token/scope/token_type present
/// with a non-string type. A missing token_type is accepted (RFC 6749 makes
/// it required, the SDK rejects it; it is harmless to be lenient since the
/// token is used as Bearer either way). expires_in may be a number or a
/// numeric string (the SDK coerces); anything else, negative or
/// non-finite, is treated as absent; fractions are truncated.
bool ParseTokenResponse(std::string_view json, TokenResponse* out, std::string* err);

struct OAuthError {
  std::string error;              // "server_error" when the body is not an OAuth error
  std::string error_description;
  std::string error_uri;
  std::string message;            // one line for logs and users
};

/// Parses an error response body (RFC 6749 §5.2). Returns true when it is a
/// JSON object with a string "error". Otherwise returns false and fills
/// error = "server_error" and message = "HTTP <status>: Invalid OAuth error
/// response. Raw body: <first 256 bytes, control characters as '?'>" like
/// the SDK's ServerError (the "HTTP <status>: " prefix is left out when
/// status is 0). For a valid error, message = "<error>: <description>" (or
/// "<error>").
bool ParseOAuthError(int status, std::string_view body, OAuthError* out);

/// The one gate for URLs handed to a browser opener (CVE-2025-6514).
/// Accepts only absolute https URLs, or http URLs to a loopback host when
/// `allow_http_loopback`, that:
///  - are at most 16 KiB and made only of RFC 3986 characters (unreserved,
///    gen-delims, sub-delims other than the single quote, and '%' followed
///    by two hex digits): no controls, spaces, non-ASCII, quotes ('"' and
///    '\''), backticks, '<', '>', '\', '^', '{', '}', '|';
///  - have no userinfo, and a host of letters, digits, '-', '.', '_' or a
///    bracketed IPv6 literal.
/// javascript:, data:, file:, vbscript:, ... all fail the scheme check. On
/// success *normalized (if non-null) receives the CURLU re-serialization,
/// which is the string to pass on. On failure *err says why.
bool ValidateBrowserUrl(std::string_view url, bool allow_http_loopback, std::string* err,
                        std::string* normalized = nullptr);

struct CallbackParams {
  std::string code;
  std::string state;
  std::string iss;
  std::string error;
  std::string error_description;
  std::string error_uri;
  bool has_iss = false;  // RFC 9207: absent and empty differ
};

/// Parses the redirect's query (leading '?' optional), form-decoded; for a
/// repeated name the first occurrence wins.
CallbackParams ParseCallbackQuery(std::string_view query);

/// ^[A-Za-z0-9_-]{1,128}$ — the shape of a `state` we issue (a UUIDv4 or
/// base64url) and the only shape accepted back before the constant-time
/// comparison.
bool IsValidState(std::string_view state);

/// "Basic " + base64(enc(client_id) ":" enc(client_secret)) for
/// client_secret_basic, with enc = form-url-encoding per RFC 6749 §2.3.1
/// when `form_encode` (the default; the SDK does not encode, which only
/// differs for ids/secrets with bytes outside [A-Za-z0-9-._~]).
std::string BasicAuthorization(std::string_view client_id, std::string_view client_secret,
                               bool form_encode = true);

}  // namespace mcpr
