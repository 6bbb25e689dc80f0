// OAuth discovery, sans I/O: which metadata URLs to fetch and in what order,
// and how to parse and check what comes back. Implements mcp-client-spec
// A.5 item 1 (RFC 9728 protected-resource metadata), item 2 (RFC 8414 /
// OIDC authorization-server metadata, issuer check), item 8 (https
// endpoints) and item 11 (2025-03-26 default endpoints). The caller does
// the fetching: try the URLs in order, use the first that answers 2xx with
// metadata that parses.
//
// Choices (see each function):
//  - AS metadata URLs follow the SPEC order; npm's extra root
//    oauth-authorization-server probe for issuers with a path is NOT made
//    (conformance auth/metadata-var2 fails a client that makes it).
//  - The issuer must be the identical string by default (RFC 8414 §3.3, MCP
//    2026); AsMetadataOptions::allow_issuer_trailing_slash restores the
//    SDK's tolerance of a one-trailing-slash difference.
//  - PRM `resource` may be the server URL or a path prefix of it on the same
//    origin (SDK checkResourceAllowed), plus a trailing-slash difference.
// No exceptions escape; JSON is parsed with Boost.JSON's error_code API.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mcpr {

/// Where to look for RFC 9728 metadata, in order, without duplicates:
///  1. `header_resource_metadata` (the 401's resource_metadata) when it is
///     a valid http(s) URL (normalized, fragment dropped; otherwise ignored);
///  2. `{origin}/.well-known/oauth-protected-resource{path}` when the server
///     URL's path, minus one trailing '/', is neither empty nor "/"; the server URL's
///     query is kept on this form (RFC 9728 §3.1, as the SDK does);
///  3. `{origin}/.well-known/oauth-protected-resource`.
/// Empty if the server URL is not an http(s) URL and there is no usable
/// header URL.
std::vector<std::string> ProtectedResourceMetadataUrls(std::string_view server_url,
                                                       std::string_view header_resource_metadata);

struct ProtectedResourceMetadata {
  std::string resource;
  std::vector<std::string> authorization_servers;  // >= 1, each an http(s) URL
  std::vector<std::string> scopes_supported;
  bool has_scopes_supported = false;  // present (possibly empty)
};

/// Parses a PRM document. Errors: not a JSON object; `resource` missing or
/// not a non-empty string; `authorization_servers` missing, empty, not an
/// array of strings, or holding something that is not an http(s) URL;
/// `scopes_supported` present but not an array of strings.
bool ParsePrm(std::string_view json, ProtectedResourceMetadata* out, std::string* err);

/// RFC 9728 §3.3/§7.3 check that the PRM `resource` designates the server at
/// `server_url`. Accepted when both are http(s) URLs, `prm_resource` has no
/// fragment, the origins (scheme, host, effective port) are equal, and the
/// server's path equals the resource path or lies under it by whole segments
/// (comparing paths with a '/' appended when missing: "/mcp" covers "/mcp",
/// "/mcp/" and "/mcp/x" but not "/mcpx"; "/" covers everything). Paths are
/// compared after URL normalization (dot segments, case of scheme/host),
/// case-sensitively otherwise. Queries are ignored (as the SDK does).
/// https://evil.example.com/mcp never matches http://localhost:N/mcp.
bool ResourceMatches(std::string_view prm_resource, std::string_view server_url);

/// RFC 8414 / OIDC discovery URLs for an issuer, in the spec's order.
/// With a path P (one trailing '/' removed, then not "" or "/"; query and
/// fragment ignored):
///   {origin}/.well-known/oauth-authorization-server{P}
///   {origin}/.well-known/openid-configuration{P}
///   {origin}{P}/.well-known/openid-configuration
/// Without a path:
///   {origin}/.well-known/oauth-authorization-server
///   {origin}/.well-known/openid-configuration
/// Empty if the issuer is not an http(s) URL.
std::vector<std::string> AuthServerMetadataUrls(std::string_view issuer_url);

struct AuthServerMetadata {
  std::string issuer;
  std::string authorization_endpoint;  // "" if absent (e.g. a client-credentials-only AS)
  std::string token_endpoint;
  std::string registration_endpoint;
  std::string device_authorization_endpoint;
  std::string revocation_endpoint;
  std::vector<std::string> scopes_supported;
  std::vector<std::string> response_types_supported;
  std::vector<std::string> grant_types_supported;
  std::vector<std::string> code_challenge_methods_supported;
  std::vector<std::string> token_endpoint_auth_methods_supported;
  bool has_scopes_supported = false;
  /// Present (possibly empty). Absent => the client MUST refuse (A.5 item 3).
  bool has_code_challenge_methods = false;
  bool client_id_metadata_document_supported = false;
  bool authorization_response_iss_parameter_supported = false;
  std::string raw_json;  // the document as received (for persisting)
};

struct AsMetadataOptions {
  /// Also accept an issuer that differs from the expected one only by one
  /// trailing '/' (either way), like the SDK's issuersMatch. Off: identical.
  bool allow_issuer_trailing_slash = false;
  /// Accept http endpoints on non-loopback hosts (--allow-http).
  bool allow_insecure_http = false;
};

/// Parses AS metadata fetched for `expected_issuer` (pass the string exactly
/// as listed in PRM authorization_servers; for 2025-03-26 legacy discovery,
/// the server's origin). Errors: not a JSON object; `issuer` missing or not
/// identical to expected_issuer (see options); `token_endpoint` missing;
/// any *_endpoint present but not a string, not an http(s) URL, carrying a
/// fragment, or http to a non-loopback host (unless allow_insecure_http);
/// a known array member that is not an array of strings. Booleans count
/// only when JSON `true`. Endpoints are stored normalized.
bool ParseAuthServerMetadata(std::string_view json, std::string_view expected_issuer,
                             AuthServerMetadata* out, std::string* err,
                             const AsMetadataOptions& options = {});

/// 2025-03-26 fallback for a server without AS metadata (A.5 item 11):
/// issuer = origin, endpoints {origin}/authorize, /token, /register;
/// response_types ["code"], grant_types ["authorization_code",
/// "refresh_token"] and code_challenge_methods ["S256"] are synthesized
/// (that revision makes PKCE S256 mandatory for everyone), so the caller's
/// PKCE check passes. All fields empty if server_url is not http(s).
AuthServerMetadata LegacyDefaultMetadata(std::string_view server_url);

}  // namespace mcpr
