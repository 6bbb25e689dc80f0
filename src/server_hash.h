// The server hash that names every store file (<hash>_tokens.json, ...) and
// picks the default callback port, computed exactly as npm mcp-remote
// 0.15.1's getServerUrlHash does (mcp-remote-behaviour.md §1.5), so that a
// user switching between the npm and the native proxy keeps their tokens:
//
//   md5_hex(parts.join("|")) with parts, in order:
//     1. server_url as typed (no normalization);
//     2. the --resource value, unless empty or --disable-resource-parameter;
//     3. JSON.stringify(authorizeParams, sortedKeys) if any params;
//     4. JSON.stringify(headers, sortedKeys) of the UNEXPANDED values
//        (HeaderSpec::raw_value) if any headers;
//     5. client_metadata_url if set;
//     6. token_endpoint as `new URL(x).toString()` if set.
//
// JS details reproduced: objects keep the last value for a repeated key; a
// key "__proto__" never becomes an own property (so it is not hashed);
// keys sort in UTF-16 code-unit order (Array.prototype.sort); compact
// JSON.stringify string escaping; and every input is first decoded the way
// Node decodes argv and files (invalid UTF-8 -> U+FFFD, WHATWG rules).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "options.h"

namespace mcpr {

std::string ServerUrlHash(const Options& opts);

/// 3335 + (parseInt(hash.substr(0, 4), 16) % 45816), as npm's
/// calculateDefaultPort. A hash without leading hex digits (never produced
/// by ServerUrlHash) yields 3335.
int DefaultCallbackPort(std::string_view hash);

using GetenvFn = std::function<std::optional<std::string>(const std::string&)>;

/// $MCP_REMOTE_CONFIG_DIR if non-empty, else <home>/.mcp-auth where home is
/// $HOME (%USERPROFILE% on Windows), falling back to the passwd entry.
std::string ConfigBaseDir(const GetenvFn& getenv);

/// base/mcp-remote-v1 (CONFIG_STORE_VERSION 1 names the layout).
std::string StoreDir(std::string_view base);

/// store_dir/<hash>_debug.log
std::string DebugLogPath(std::string_view store_dir, std::string_view hash);

// ---- JS emulation helpers (exposed for tests and other JSON writers) ----

/// Node's UTF-8 decoding: every maximal invalid subsequence becomes U+FFFD
/// (EF BF BD); valid UTF-8 is returned unchanged.
std::string ToWellFormedUtf8(std::string_view bytes);

/// JSON.stringify(s) for a well-formed UTF-8 string: quotes, \" \\ \b \f
/// \n \r \t, other controls as \u00xx; everything else (DEL, non-ASCII,
/// U+2028) verbatim.
std::string JsJsonQuote(std::string_view utf8);

/// a < b in JS default sort order (UTF-16 code units) for well-formed UTF-8.
bool JsStringLess(std::string_view a, std::string_view b);

}  // namespace mcpr
