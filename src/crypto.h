// Crypto seam: digests, randomness and base64, behind one small interface.
//
// The digests and the random source are platform code: crypto-openssl.cc
// (OpenSSL 3 libcrypto: EVP_Digest, RAND_bytes) on Linux; a CommonCrypto or
// BCrypt backend can replace that file on macOS/Windows. The encoders are
// plain C++ and identical everywhere.
//
// Uses (engineering-style §2.6):
//  - PKCE S256 (RFC 7636): verifier = RandomBase64Url(32) (43 chars),
//    challenge = Base64Url(Sha256(verifier)).
//  - OAuth `state`, refresh-lease nonces: RandomUuidV4().
//  - Store file names: Md5Hex(parts) (mcp-remote §1.5).
// None of these functions throws. On an RNG failure (which OpenSSL reports
// only when the OS entropy source is unusable) RandomBytes returns false and
// the string-returning helpers return "" — callers must treat "" as fatal,
// never as a usable secret.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mcpr {

/// MD5 of the bytes, as 32 lowercase hex digits (Node's digest("hex")).
/// "" if the backend refuses MD5 (an OpenSSL FIPS-only configuration).
std::string Md5Hex(std::string_view data);

/// SHA-256 of the bytes: 32 raw bytes.
std::string Sha256(std::string_view data);

/// Fills out[0..n) from the CSPRNG. False on failure (out is then unusable).
bool RandomBytes(void* out, std::size_t n);

/// RFC 4648 §5 base64url, no padding.
std::string Base64Url(std::string_view bytes);

/// RFC 4648 §4 base64, standard alphabet, '=' padded.
std::string Base64(std::string_view bytes);

/// Decodes base64url. Padding is optional but must be correct if present;
/// anything outside the alphabet (including whitespace and '+' '/'), a
/// length of 4k+1, or non-zero unused trailing bits is rejected.
std::optional<std::string> Base64UrlDecode(std::string_view text);

/// RFC 9562 version 4 UUID, lowercase "xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx"
/// (V in 8..b), like Node's crypto.randomUUID(). "" on RNG failure.
std::string RandomUuidV4();

/// Base64url (no padding) of nbytes random bytes. "" on RNG failure.
std::string RandomBase64Url(std::size_t nbytes);

/// Compares contents in time independent of where they differ (the lengths
/// are not secret).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace mcpr
