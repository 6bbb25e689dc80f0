// http(s) URL parsing, serialization and reference resolution over libcurl's
// URL API (CURLU), shaped to give the answers WHATWG `new URL()` gives (what
// npm mcp-remote sees) for the inputs an MCP proxy meets:
//  - leading/trailing C0 controls and spaces are stripped, tabs and newlines
//    removed; '\' counts as '/' before the query; any number of slashes
//    may follow "http(s):";
//  - scheme and host are lowercased (IPv4 shorthand such as 0x7f.1 and
//    IPv6 literals are canonicalized by libcurl); a default port (80/443,
//    also written ":0443") is dropped; an empty path becomes "/";
//  - "." and ".." path segments (also spelled with %2e) are resolved;
//  - path, query and fragment are percent-encoded with the WHATWG sets for
//    special schemes (non-ASCII, controls, space, '"', '<', '>', and per
//    component '`' '{' '}' / '\'' / '#'); existing %XX escapes are kept;
//  - an empty query ("x?") or fragment ("x#") is kept in the serialization.
// Known differences from WHATWG, none reachable from well-formed config:
// non-ASCII host names are kept as UTF-8 (no IDNA/punycode), IPv4-in-IPv6
// literals keep their dotted form, and userinfo is not re-encoded. IPv6
// zone ids are rejected.
#pragma once

#include <string>
#include <string_view>

namespace mcpr {

struct ParsedUrl {
  std::string scheme;    // "http" or "https"
  std::string host;      // lowercase; an IPv6 literal keeps its brackets: "[::1]"
  std::string port;      // decimal, "" if absent or the scheme's default
  std::string path;      // starts with '/', percent-encoded, dot segments resolved
  std::string query;     // without the '?'
  std::string fragment;  // without the '#'
  std::string user;      // as written (percent-encoded)
  std::string password;  // as written (percent-encoded)
  bool has_query = false;     // a '?' was present, even if the query is empty
  bool has_fragment = false;  // a '#' was present, even if the fragment is empty
  int effective_port = 0;     // port, or 80/443
};

/// Parses an absolute http:// or https:// URL. On failure returns false and
/// sets *err (if non-null) to a short reason.
bool ParseUrl(std::string_view text, ParsedUrl* out, std::string* err);

/// The WHATWG-style serialization (`url.href`) of a parsed URL.
std::string Href(const ParsedUrl& url);

/// `new URL(text).toString()` for http(s) URLs: ParseUrl + Href.
bool NormalizeUrl(std::string_view text, std::string* out, std::string* err);

/// "scheme://host[:port]" with the default port omitted (`url.origin`).
std::string Origin(const ParsedUrl& url);

/// Resolves `ref` against the absolute http(s) URL `base` like
/// `new URL(ref, base).href` (the legacy SSE `endpoint` event, redirects):
/// "/messages?sessionId=x", "messages?x", "?x", "#f", "", "//other/x",
/// "../x", and absolute http(s) URLs. Other schemes fail.
bool ResolveReference(std::string_view base, std::string_view ref, std::string* out);

/// Both parse and have the same origin (so "https://a" == "https://a:443/x").
bool SameOrigin(std::string_view a, std::string_view b);

/// "localhost", any dotted-quad 127.0.0.0/8 address, or ::1 (with or without
/// brackets, any spelling). Case-insensitive; nothing is resolved.
bool IsLoopbackHost(std::string_view host);

/// The path of an absolute http(s) URL (as in ParsedUrl::path), or "" if
/// it does not parse.
std::string UrlPath(std::string_view url);

}  // namespace mcpr
