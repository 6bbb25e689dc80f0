// JSON-RPC 2.0 peek: one validating pass over a message that records where
// its top-level members are, without building a DOM. The proxy forwards the
// original bytes of every message it does not rewrite (engineering-style
// §2.3), so ids, big numbers, escapes and key order stay byte-identical;
// this is the only parse most messages get.
//
// Validation is full RFC 8259 JSON (strings with escapes, number grammar,
// literals, no trailing garbage except JSON whitespace) plus: strings must be
// valid UTF-8 (incl. no unpaired surrogate escapes is NOT required — JSON
// allows them), nesting depth <= kMaxJsonDepth, duplicate top-level keys:
// the first occurrence wins (as npm's JSON.parse would take the last; we
// refuse nothing here). Errors:
//   kParse   -> JSON-RPC -32700 (not JSON at all)
//   kInvalid -> JSON-RPC -32600 (JSON, but not a JSON-RPC 2.0 message)
// Message shape rules (JSON-RPC 2.0 + MCP):
//   "jsonrpc" must be the string "2.0".
//   request:      "method" string + "id" (string or number; MCP forbids null)
//   notification: "method" string, no "id"
//   response:     "id" (string, number or null) + exactly one of "result"/"error", no "method"
//   An "id" of another type (null on a request, bool, object, array) -> kInvalid.
// A top-level array is a batch (2025-03-26): kind kBatch with one Span per
// element; elements are NOT validated as messages (peek each one), but the
// whole text is validated as JSON. An empty array is kInvalid.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mcpr {

inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInternalError = -32603;
inline constexpr int kConnectionError = -32001;  // mcp-remote's "failed to forward"
inline constexpr int kMaxJsonDepth = 512;

/// Byte range of a JSON value inside the message text. len == 0 means absent
/// (no JSON value is empty).
struct Span {
  std::size_t pos = 0;
  std::size_t len = 0;
  bool present() const { return len != 0; }
  std::string_view in(std::string_view text) const { return text.substr(pos, len); }
};

enum class MessageKind { kRequest, kNotification, kResponse, kBatch };
enum class PeekError { kNone, kParse, kInvalid };

struct Peek {
  MessageKind kind = MessageKind::kNotification;
  Span id;        // raw JSON of "id"
  Span params;    // raw JSON of "params"
  Span result;    // raw JSON of "result"
  Span error;     // raw JSON of "error"
  std::string method;     // decoded "method" ("" if absent)
  /// Decoded params.name for tools/call and prompts/get, params.uri for
  /// resources/read, when that member is a string (for the Mcp-Name header
  /// and --ignore-tool). Empty otherwise.
  std::string name;
  bool has_name = false;
  std::vector<Span> items;  // batch elements (kBatch only)
};

/// Validates `text` and fills *out. On error returns kParse/kInvalid and a
/// short human reason in *why (never includes message contents).
/// For kInvalid, out->id is filled when a usable id was found (so the error
/// response can echo it), otherwise it stays absent (echo null).
PeekError PeekMessage(std::string_view text, Peek* out, std::string* why);

/// Key for matching a response id to its request, with the semantics of a
/// JavaScript peer: strings by decoded value ("s" + value), numbers by their
/// IEEE double value ("n" + shortest round-trip text), so a server that
/// re-serialized 1.0 as 1 or rounded 9007199254740993 still matches. null ->
/// "null". `raw` must be a valid JSON scalar token.
std::string IdKey(std::string_view raw);

/// Appends `s` as a JSON string literal (quotes included), escaping '"', '\\'
/// and control characters (< 0x20) as JSON requires; well-formed UTF-8 is
/// copied, and each byte of an ill-formed sequence becomes U+FFFD, so the
/// result is always valid JSON.
void AppendJsonString(std::string* out, std::string_view s);

/// {"jsonrpc":"2.0","id":<raw_id>,"error":{"code":<code>,"message":"..."}}
/// `raw_id` is inserted byte-for-byte; pass "null" when there is none.
std::string MakeErrorResponse(std::string_view raw_id, int code, std::string_view message);

/// Decodes a JSON string token (with quotes) into UTF-8. Returns false if it
/// is not a valid string token. Unpaired surrogate escapes ("\ud800") decode
/// to U+FFFD (IdKey instead keeps them distinct).
bool DecodeJsonString(std::string_view token, std::string* out);

}  // namespace mcpr
