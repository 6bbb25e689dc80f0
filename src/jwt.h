// Compact JWS (RFC 7515) signing for client assertions (RFC 7523
// private_key_jwt, mcp-client-spec A.5 item 4: CIMD "private_key_jwt May be
// used") and unverified reading of a JWT's `exp` (for --use-id-token
// renewal, mcp-remote-behaviour §1.8.10). No I/O; OpenSSL 3 EVP; no
// exceptions escape.
//
// SignJwt contract:
//  - alg is "ES256" (key must be EC P-256; the DER ECDSA signature is
//    converted to the JWS raw R||S form, 64 bytes, RFC 7518 §3.4) or
//    "RS256" (key must be RSA >= 2048 bits, PKCS#1 v1.5, RFC 7518 §3.3).
//  - private_key_pem: a PEM private key, PKCS#8 or traditional. Encrypted
//    keys are refused (no passphrase prompt is ever shown).
//  - header = {"alg":<alg>,"typ":"JWT"} followed by the members of
//    header_json_extra ("" or a JSON object, e.g. {"kid":"k1"}); an extra
//    "typ" replaces the default in place; an extra "alg" must equal `alg`.
//  - claims_json must be a JSON object; its bytes are signed as given.
//  - Returns header.payload.signature (base64url, no padding), or nullopt
//    with *err set.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mcpr {

std::optional<std::string> SignJwt(const std::string& private_key_pem, std::string_view alg,
                                   std::string_view header_json_extra,
                                   std::string_view claims_json, std::string* err);

/// The `exp` claim (seconds since the epoch) of a compact JWS
/// (three dot-separated base64url parts), WITHOUT verifying anything.
/// A fractional exp is floored. nullopt if the token is malformed, the
/// payload is not a JSON object, or exp is absent, not a number, or out of
/// int64 range.
std::optional<std::int64_t> JwtExpiry(std::string_view jwt);

/// Any NumericDate claim (`exp`, `iat`, `nbf`, ...) read the same way as
/// JwtExpiry reads `exp`: unverified, floored, nullopt when unusable.
std::optional<std::int64_t> JwtNumericDate(std::string_view jwt, std::string_view claim);

}  // namespace mcpr
