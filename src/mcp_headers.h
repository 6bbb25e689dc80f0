// Values of the MCP standard request headers (Mcp-Name, Mcp-Param-*), per
// MCP 2026-07-28 "Standard Request Headers" and mcp-remote §1.9.3.
#pragma once

#include <string>
#include <string_view>

namespace mcpr {

/// Returns `utf8` unchanged when it is safe to send as is: non-empty,
/// printable ASCII only (0x20..0x7E, so no control characters, TAB
/// included), no leading or trailing space, and not itself of the sentinel
/// form "=?base64?...?=" (prefix compared case-insensitively). Anything
/// else is sent as "=?base64?<RFC 4648 base64 of the bytes>?=".
///
/// npm mcp-remote 0.15.1 differs in one corner: its regex lets a TAB
/// through between visible characters; the spec calls TAB a control
/// character, so it is encoded here.
std::string EncodeMcpHeaderValue(std::string_view utf8);

}  // namespace mcpr
