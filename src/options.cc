// Command-line parsing, a line-for-line port of npm mcp-remote 0.15.1's
// parseCommandLineArgs (mcp-remote §1.1-§1.4; dist/chunk-*.js in
// test/e2e/node_modules/mcp-remote). npm looks every flag up with
// args.indexOf() on one array that it splices as it goes, so the ORDER in
// which flags are evaluated is observable: it decides which fatal error
// wins, the order of the warnings, and which tokens a splice has removed
// before a later lookup. The flag table below is therefore kept in npm's
// evaluation order; --help prints it grouped.
#include "options.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <system_error>

#ifndef MCPR_VERSION
#define MCPR_VERSION "0.0.0"
#endif

namespace mcpr {
namespace {

constexpr std::string_view kClientProgram = "mcp-remote-client";
// Clamps that keep absurd values from overflowing std::chrono arithmetic
// downstream (npm has no limit; 2^31-1 ms is Node's own timer maximum).
constexpr double kMaxMillis = 1e12;            // ~31 years
constexpr double kMaxAuthTimeoutS = 2147483;   // (2^31-1) ms in whole seconds

// ---------------------------------------------------------------------------
// JavaScript string semantics (the parser's quirks live in these details).

// Byte length of the JS WhiteSpace/LineTerminator code point (UTF-8) at
// s[i], i.e. what String.prototype.trim() and the regex class \s match; 0 if
// s[i] starts none.
size_t JsSpaceAt(std::string_view s, size_t i) {
  auto at = [&](size_t k) -> unsigned char {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
  };
  const unsigned char c = at(0);
  if (c == ' ' || (c >= 0x09 && c <= 0x0d)) return 1;  // \t \n \v \f \r
  if (c == 0xc2 && at(1) == 0xa0) return 2;               // U+00A0
  if (c == 0xe1 && at(1) == 0x9a && at(2) == 0x80) return 3;  // U+1680
  if (c == 0xe2 && at(1) == 0x80 &&
      ((at(2) >= 0x80 && at(2) <= 0x8a) || at(2) == 0xa8 || at(2) == 0xa9 || at(2) == 0xaf)) {
    return 3;  // U+2000-200A, U+2028, U+2029, U+202F
  }
  if (c == 0xe2 && at(1) == 0x81 && at(2) == 0x9f) return 3;  // U+205F
  if (c == 0xe3 && at(1) == 0x80 && at(2) == 0x80) return 3;  // U+3000
  if (c == 0xef && at(1) == 0xbb && at(2) == 0xbf) return 3;  // U+FEFF
  return 0;
}

// Byte length of a JS LineTerminator at s[i] (what '.' and '$' stop at).
size_t JsLineTerminatorAt(std::string_view s, size_t i) {
  if (s[i] == '\n' || s[i] == '\r') return 1;
  if (s.substr(i, 3) == "\xe2\x80\xa8" || s.substr(i, 3) == "\xe2\x80\xa9") return 3;
  return 0;
}

std::string_view JsTrimStart(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const size_t k = JsSpaceAt(s, i);
    if (k == 0) break;
    i += k;
  }
  return s.substr(i);
}

// String.prototype.trim().
std::string_view JsTrim(std::string_view s) {
  s = JsTrimStart(s);
  for (;;) {
    const size_t n = s.size();
    if (n >= 1 && JsSpaceAt(s, n - 1) == 1) {
      s.remove_suffix(1);
    } else if (n >= 2 && JsSpaceAt(s, n - 2) == 2) {
      s.remove_suffix(2);
    } else if (n >= 3 && JsSpaceAt(s, n - 3) == 3) {
      s.remove_suffix(3);
    } else {
      return s;
    }
  }
}

int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

// parseInt(s, radix); radix 0 = parseInt(s) without a radix (a "0x" prefix
// then means hexadecimal). nullopt is NaN.
std::optional<double> JsParseInt(std::string_view s, int radix) {
  s = JsTrimStart(s);
  double sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    if (s[0] == '-') sign = -1;
    s.remove_prefix(1);
  }
  if ((radix == 0 || radix == 16) && s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    radix = 16;
    s.remove_prefix(2);
  }
  if (radix == 0) radix = 10;
  double value = 0;
  size_t digits = 0;
  for (char c : s) {
    const int d = DigitValue(c);
    if (d >= radix) break;
    value = value * radix + d;
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  return sign * value;
}

// Number(s) for a string. nullopt is NaN.
std::optional<double> JsNumber(std::string_view s) {
  s = JsTrim(s);
  if (s.empty()) return 0.0;
  if (s.size() > 2 && s[0] == '0') {
    const char p = s[1];
    const int radix = (p == 'x' || p == 'X') ? 16 : (p == 'o' || p == 'O') ? 8 : (p == 'b' || p == 'B') ? 2 : 0;
    if (radix != 0) {
      double value = 0;
      for (char c : s.substr(2)) {
        const int d = DigitValue(c);
        if (d >= radix) return std::nullopt;
        value = value * radix + d;
      }
      return value;
    }
  }
  double sign = 1;
  std::string_view body = s;
  if (body[0] == '+' || body[0] == '-') {
    if (body[0] == '-') sign = -1;
    body.remove_prefix(1);
  }
  if (body == "Infinity") return sign * std::numeric_limits<double>::infinity();
  // StrUnsignedDecimalLiteral: digits [. digits] | . digits, then [eE][+-]digits.
  size_t i = 0, mantissa_digits = 0;
  auto is_digit = [&](size_t k) { return k < body.size() && body[k] >= '0' && body[k] <= '9'; };
  while (is_digit(i)) ++i, ++mantissa_digits;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (is_digit(i)) ++i, ++mantissa_digits;
  }
  if (mantissa_digits == 0) return std::nullopt;
  bool negative_exponent = false;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) negative_exponent = body[i++] == '-';
    if (!is_digit(i)) return std::nullopt;
    while (is_digit(i)) ++i;
  }
  if (i != body.size()) return std::nullopt;
  double value = 0;
  const auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), value);
  if (ec == std::errc::result_out_of_range) {
    value = negative_exponent ? 0.0 : std::numeric_limits<double>::infinity();
  } else if (ec != std::errc() || ptr != body.data() + body.size()) {
    return std::nullopt;
  }
  return sign * value;
}

// Math.round: halves round towards +Infinity.
double JsRound(double x) {
  const double f = std::floor(x);
  return x - f >= 0.5 ? f + 1 : f;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

// line.match(/^([A-Za-z0-9_-]+):\s*(.*)$/). '.' does not match a line
// terminator and '$' is end of input, so a value may not contain one; \s*
// may swallow some before it.
std::optional<std::pair<std::string, std::string>> ParseHeaderLine(std::string_view line) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  for (char c : line.substr(0, colon)) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return std::nullopt;
  }
  size_t i = colon + 1;
  while (i < line.size()) {
    const size_t k = JsSpaceAt(line, i);
    if (k == 0) break;
    i += k;
  }
  for (size_t j = i; j < line.size(); ++j) {
    if (JsLineTerminatorAt(line, j) != 0) return std::nullopt;
  }
  return std::make_pair(std::string(line.substr(0, colon)), std::string(line.substr(i)));
}

// ---------------------------------------------------------------------------
// Minimal URL parsing: scheme://[userinfo@]host[:port]/path?query#fragment,
// close enough to WHATWG `new URL()` for the checks npm makes (protocol,
// hostname, username/password, pathname, hash) and for `href`.

struct Url {
  std::string scheme;  // lower case, without ':'
  bool special = false;
  std::string username, password;
  std::string host;  // lower case; "[::1]" keeps its brackets (WHATWG hostname)
  std::string port;  // normalised digits; empty if none or default
  std::string path;  // special: "/" if empty
  std::optional<std::string> query, fragment;
  std::string opaque;  // non-special schemes: everything after ':'
};

bool IsSpecialScheme(std::string_view s) {
  return s == "http" || s == "https" || s == "ws" || s == "wss" || s == "ftp";
}

std::string_view DefaultPort(std::string_view scheme) {
  if (scheme == "http" || scheme == "ws") return "80";
  if (scheme == "https" || scheme == "wss") return "443";
  if (scheme == "ftp") return "21";
  return "";
}

void PercentEncodeInto(std::string_view s, std::string_view extra, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || extra.find(ch) != std::string_view::npos) {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    } else {
      out->push_back(ch);
    }
  }
}

std::optional<Url> ParseUrl(std::string_view input) {
  // WHATWG strips leading/trailing C0 controls and spaces and drops tab/LF/CR.
  while (!input.empty() && static_cast<unsigned char>(input.front()) <= 0x20) input.remove_prefix(1);
  while (!input.empty() && static_cast<unsigned char>(input.back()) <= 0x20) input.remove_suffix(1);
  std::string s;
  for (char c : input) {
    if (c != '\t' && c != '\n' && c != '\r') s.push_back(c);
  }
  Url url;
  const size_t colon = s.find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  for (size_t i = 0; i < colon; ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool ok = alpha || (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
    if (!ok) return std::nullopt;
  }
  url.scheme = AsciiLower(std::string_view(s).substr(0, colon));
  url.special = IsSpecialScheme(url.scheme);
  std::string_view rest = std::string_view(s).substr(colon + 1);
  if (!url.special) {
    url.opaque = std::string(rest);
    return url;
  }
  while (!rest.empty() && (rest.front() == '/' || rest.front() == '\\')) rest.remove_prefix(1);
  const size_t auth_end = std::min(rest.size(), rest.find_first_of("/\\?#"));
  std::string_view authority = rest.substr(0, auth_end);
  rest.remove_prefix(auth_end);
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    const size_t sep = userinfo.find(':');
    url.username = std::string(userinfo.substr(0, sep));
    if (sep != std::string_view::npos) url.password = std::string(userinfo.substr(sep + 1));
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(0, close + 1);
    const std::string_view inner = host.substr(1, host.size() - 2);
    if (inner.find(':') == std::string_view::npos) return std::nullopt;
    for (char c : inner) {
      if (DigitValue(c) >= 16 && c != ':' && c != '.') return std::nullopt;
    }
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return std::nullopt;
    if (!after.empty()) port = after.substr(1);
  } else if (const size_t pc = authority.find(':'); pc != std::string_view::npos) {
    host = authority.substr(0, pc);
    port = authority.substr(pc + 1);
  }
  if (host.empty()) return std::nullopt;
  for (char c : host) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || std::string_view("#%/<>?@\\^|").find(c) != std::string_view::npos) return std::nullopt;
    if (host.front() != '[' && (c == '[' || c == ']')) return std::nullopt;
  }
  url.host = AsciiLower(host);
  if (!port.empty()) {
    unsigned long value = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<unsigned long>(c - '0');
      if (value > 65535) return std::nullopt;
    }
    url.port = std::to_string(value);
    if (url.port == DefaultPort(url.scheme)) url.port.clear();
  }
  const size_t hash = rest.find('#');
  if (hash != std::string_view::npos) {
    url.fragment = std::string(rest.substr(hash + 1));
    rest = rest.substr(0, hash);
  }
  const size_t question = rest.find('?');
  if (question != std::string_view::npos) {
    url.query = std::string(rest.substr(question + 1));
    rest = rest.substr(0, question);
  }
  url.path = rest.empty() ? "/" : std::string(rest);
  std::replace(url.path.begin(), url.path.end(), '\\', '/');
  return url;
}

// `new URL(x).href` for what ParseUrl understands.
std::string Href(const Url& url) {
  if (!url.special) return url.scheme + ":" + url.opaque;
  std::string out = url.scheme + "://";
  if (!url.username.empty() || !url.password.empty()) {
    out += url.username;
    if (!url.password.empty()) out += ":" + url.password;
    out += "@";
  }
  out += url.host;
  if (!url.port.empty()) out += ":" + url.port;
  PercentEncodeInto(url.path, "\"<>`{}", &out);
  if (url.query) {
    out += "?";
    PercentEncodeInto(*url.query, "\"#<>'", &out);
  }
  if (url.fragment) {
    out += "#";
    PercentEncodeInto(*url.fragment, "\"<>`", &out);
  }
  return out;
}

bool IsLoopbackHost(std::string_view host) { return host == "localhost" || host == "127.0.0.1" || host == "[::1]"; }

// ---------------------------------------------------------------------------
// JSON syntax check (JSON.parse grammar), for the two static-oauth flags.

class JsonChecker {
 public:
  explicit JsonChecker(std::string_view text) : text_(text) {}

  // Returns the first byte of the top-level value ('{', '[', '"', 'n', ...)
  // or 0 if the text is not exactly one JSON value.
  char TopLevelKind() {
    SkipSpace();
    const char kind = Peek();
    if (!Value(0)) return 0;
    SkipSpace();
    return pos_ == text_.size() ? kind : 0;
  }

 private:
  static constexpr int kMaxDepth = 512;

  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool Consume() {
    ++pos_;
    return true;
  }
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) ++pos_;
  }
  bool Literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  bool Digits() {
    const size_t start = pos_;
    while (Peek() >= '0' && Peek() <= '9') ++pos_;
    return pos_ > start;
  }
  bool Number() {
    if (Peek() == '-') ++pos_;
    if (Peek() == '0') {
      ++pos_;
    } else if (!Digits()) {
      return false;
    }
    if (Peek() == '.') {
      ++pos_;
      if (!Digits()) return false;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (!Digits()) return false;
    }
    return true;
  }
  bool String() {
    ++pos_;  // opening quote
    while (pos_ < text_.size()) {
      const auto c = static_cast<unsigned char>(text_[pos_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') continue;
      const char e = Peek();
      ++pos_;
      if (e == 'u') {
        for (int k = 0; k < 4; ++k, ++pos_) {
          if (DigitValue(Peek()) >= 16) return false;
        }
      } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
        return false;
      }
    }
    return false;
  }
  bool Value(int depth) {
    if (depth > kMaxDepth) return false;
    switch (Peek()) {
      case '{': {
        ++pos_;
        SkipSpace();
        if (Peek() == '}') return Consume();
        for (;;) {
          SkipSpace();
          if (Peek() != '"' || !String()) return false;
          SkipSpace();
          if (Peek() != ':') return false;
          ++pos_;
          SkipSpace();
          if (!Value(depth + 1)) return false;
          SkipSpace();
          if (Peek() == '}') return Consume();
          if (Peek() != ',') return false;
          ++pos_;
        }
      }
      case '[': {
        ++pos_;
        SkipSpace();
        if (Peek() == ']') return Consume();
        for (;;) {
          SkipSpace();
          if (!Value(depth + 1)) return false;
          SkipSpace();
          if (Peek() == ']') return Consume();
          if (Peek() != ',') return false;
          ++pos_;
        }
      }
      case '"':
        return String();
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default:
        return Number();
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------------------
// The parser state and the per-flag handlers.

struct FlagRow;

struct ParseState {
  std::vector<std::string> args;  // npm's `args`, spliced as npm splices it
  const ParseEnv& env;
  Options& out;
  ParseResult& result;
  std::string usage;

  // args.indexOf(flag)
  std::optional<size_t> IndexOf(std::string_view flag) const {
    const auto it = std::find(args.begin(), args.end(), flag);
    if (it == args.end()) return std::nullopt;
    return static_cast<size_t>(it - args.begin());
  }
  bool Includes(std::string_view flag) const { return IndexOf(flag).has_value(); }
  // npm's usual "index !== -1 && index < args.length - 1": the token after
  // the FIRST occurrence, whatever it is (even another flag).
  std::optional<std::string> ValueOf(std::string_view flag) const {
    const auto index = IndexOf(flag);
    if (!index || *index + 1 >= args.size()) return std::nullopt;
    return args[*index + 1];
  }
  void Warn(std::string message) { result.warnings.push_back(std::move(message)); }
  bool Fail(std::string message) {
    result.action = ParseResult::Action::kError;
    result.message = std::move(message);
    return false;
  }
  std::optional<std::string> ReadFile(const std::string& path) const {
    if (!env.read_file) return std::nullopt;
    return env.read_file(path);
  }
  // substituteEnvVars(value, context): a warning per missing variable,
  // naming it (never a value).
  std::string Expand(const std::string& text, std::string_view context) {
    std::vector<std::string> missing;
    std::string expanded = ExpandEnvVars(text, env, &missing);
    for (const std::string& name : missing) {
      Warn("Warning: Environment variable '" + name + "' not found for " + std::string(context) + "; leaving ${" + name +
           "} as it is.");
    }
    return expanded;
  }
};

// Returns false after ParseState::Fail (a fatal error).
using Handler = bool (*)(ParseState&, const FlagRow&);

struct FlagRow {
  FlagInfo info;
  Handler handle = nullptr;            // nullptr: handled by a fixed stage of ParseArgs
  bool Options::* field = nullptr;     // for HandleSwitch
};

// args.includes(flag)
bool HandleSwitch(ParseState& s, const FlagRow& row) {
  if (s.Includes(row.info.name)) s.out.*row.field = true;
  return true;
}

// parseSecondsOption(): Number(), must be finite and > 0 (>= 0 with
// allow_zero), rounded to ms; anything else is a warning and ignored.
std::optional<Millis> SecondsOption(ParseState& s, std::string_view flag, bool allow_zero) {
  const auto raw = s.ValueOf(flag);
  if (!raw) return std::nullopt;
  const auto seconds = JsNumber(*raw);
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0 || (*seconds == 0 && !allow_zero)) {
    s.Warn("Warning: Ignoring invalid " + std::string(flag) + " value: " + *raw + ". Must be a " +
           (allow_zero ? "non-negative" : "positive") + " number of seconds.");
    return std::nullopt;
  }
  const double ms = std::min(JsRound(*seconds * 1000), kMaxMillis);
  return Millis(static_cast<Millis::rep>(ms));
}

bool HandleConnectTimeout(ParseState& s, const FlagRow& row) {
  s.out.connect_timeout = SecondsOption(s, row.info.name, false);
  return true;
}

bool HandleBodyTimeout(ParseState& s, const FlagRow& row) {
  s.out.body_timeout = SecondsOption(s, row.info.name, true);
  return true;
}

bool HandleHeadersTimeout(ParseState& s, const FlagRow& row) {
  s.out.headers_timeout = SecondsOption(s, row.info.name, true);
  return true;
}

// keepAlive.enabled = includes("--keep-alive") || pingIntervalMs !== undefined
bool HandlePingInterval(ParseState& s, const FlagRow& row) {
  if (const auto ms = SecondsOption(s, row.info.name, false)) {
    s.out.ping_interval = *ms;
    s.out.keep_alive = true;
  }
  return true;
}

bool HandleTransport(ParseState& s, const FlagRow& row) {
  const auto value = s.ValueOf(row.info.name);
  if (!value) return true;
  if (*value == "sse-only") {
    s.out.transport = TransportStrategy::kSseOnly;
  } else if (*value == "http-only") {
    s.out.transport = TransportStrategy::kHttpOnly;
  } else if (*value == "sse-first") {
    s.out.transport = TransportStrategy::kSseFirst;
  } else if (*value == "http-first") {
    s.out.transport = TransportStrategy::kHttpFirst;
  } else {
    s.Warn("Warning: Ignoring invalid transport strategy: " + *value +
           ". Valid values are: sse-only, http-only, sse-first, http-first");
  }
  return true;
}

bool HandleProtocol(ParseState& s, const FlagRow& row) {
  const auto value = s.ValueOf(row.info.name);
  if (!value) return true;
  if (*value == "legacy") {
    s.out.protocol = ProtocolMode::kLegacy;
  } else if (*value == "auto") {
    s.out.protocol = ProtocolMode::kAuto;
    // Accepted like npm's, but said plainly rather than silently ignored.
    s.Warn("Warning: --protocol auto (the 2026-07-28 stateless protocol) is not implemented yet; "
           "using the initialize-based protocol, as with --protocol legacy");
  } else {
    s.Warn("Warning: Ignoring invalid protocol mode: " + *value + ". Valid values are: legacy, auto");
  }
  return true;
}

bool HandleHost(ParseState& s, const FlagRow& row) {
  if (const auto value = s.ValueOf(row.info.name)) s.out.host = *value;
  return true;
}

bool HandleCallbackPath(ParseState& s, const FlagRow& row) {
  const auto value = s.ValueOf(row.info.name);
  if (!value) return true;
  if (!StartsWith(*value, "/")) {
    s.Warn("Warning: Ignoring invalid callback path: " + *value + ". It must start with '/'.");
  } else if (*value == "/wait-for-auth" || *value == "/.mcp-remote/id") {
    s.Warn("Warning: Ignoring reserved callback path: " + *value + ". It is used to coordinate concurrent instances.");
  } else {
    s.out.callback_path = *value;
  }
  return true;
}

// No "index < length - 1" guard here: a trailing flag is fatal too.
bool HandleAuthSuccessUrl(ParseState& s, const FlagRow& row) {
  const auto index = s.IndexOf(row.info.name);
  if (!index) return true;
  auto invalid = [&] {
    return s.Fail(
        "Error: --auth-success-url requires one HTTPS URL (or HTTP on loopback/with --allow-http), without "
        "credentials, query or fragment");
  };
  const size_t last = static_cast<size_t>(std::find(s.args.rbegin(), s.args.rend(), row.info.name).base() - s.args.begin()) - 1;
  if (*index + 1 >= s.args.size() || s.args[*index + 1].empty() || StartsWith(s.args[*index + 1], "--") || last != *index) {
    return invalid();
  }
  const std::string& value = s.args[*index + 1];
  const auto url = ParseUrl(value);
  if (!url) return invalid();
  const bool http_ok = url->scheme == "http" && (IsLoopbackHost(url->host) || s.out.allow_http);
  if ((url->scheme != "https" && !http_ok) || !url->username.empty() || !url->password.empty() ||
      value.find_first_of("?#") != std::string::npos) {
    return invalid();
  }
  s.out.auth_success_url = Href(*url);
  return true;
}

// The text of a JSON-or-@file flag value; nullopt after a fatal error.
std::optional<std::string> JsonOrFileText(ParseState& s, const std::string& value, std::string_view what) {
  if (!StartsWith(value, "@")) return value;
  const std::string path = value.substr(1);
  auto text = s.ReadFile(path);
  if (!text) s.Fail("Error: Could not read the " + std::string(what) + " file " + path);
  return text;
}

// JSON.parse + "must be an object". A top-level null counts as absent
// (npm's `if (!staticOAuthClientInfo)` then treats it so).
bool CheckJsonObject(ParseState& s, const std::string& text, std::string_view what, std::string_view parse_suffix,
                     std::string* field) {
  const char kind = JsonChecker(text).TopLevelKind();
  if (kind == 0) return s.Fail("Error: Could not parse the " + std::string(what) + " as JSON" + std::string(parse_suffix));
  if (kind == 'n') return true;
  if (kind != '{') return s.Fail("Error: The " + std::string(what) + " must be a JSON object");
  *field = text;
  return true;
}

// No ${VAR} expansion (mcp-remote §1.3).
bool HandleStaticClientMetadata(ParseState& s, const FlagRow& row) {
  const auto value = s.ValueOf(row.info.name);
  if (!value) return true;
  constexpr std::string_view kWhat = "static OAuth client metadata";
  const auto text = JsonOrFileText(s, *value, kWhat);
  if (!text) return false;
  return CheckJsonObject(s, *text, kWhat, "", &s.out.static_oauth_client_metadata);
}

// parseJsonWithEnvVars(): ${VAR} expanded in both forms (0.13+).
bool HandleStaticClientInfo(ParseState& s, const FlagRow& row) {
  const auto value = s.ValueOf(row.info.name);
  if (!value) return true;
  constexpr std::string_view kWhat = "static OAuth client information";
  const auto text = JsonOrFileText(s, *value, kWhat);
  if (!text) return false;
  const bool has_placeholder = text->find("${") != std::string::npos;
  const std::string expanded = has_placeholder ? s.Expand(*text, kWhat) : *text;
  return CheckJsonObject(s, expanded, kWhat, has_placeholder ? " after expanding its ${...} placeholders" : "",
                         &s.out.static_oauth_client_info);
}

// isClientMetadataUrl(): https with a pathname other than "/"; else a warning.
bool HandleClientMetadataUrl(ParseState& s, const FlagRow& row) {
  const auto raw = s.ValueOf(row.info.name);
  if (!raw) return true;
  const std::string value(JsTrim(*raw));
  const auto url = ParseUrl(value);
  if (url && url->scheme == "https" && url->path != "/") {
    s.out.client_metadata_url = value;
  } else {
    s.Warn("Warning: Ignoring invalid client metadata URL: " + value + ". It must be an HTTPS URL with a path.");
  }
  return true;
}

// Requires --client-credentials (evaluated before it, as in npm).
bool HandleTokenEndpoint(ParseState& s, const FlagRow& row) {
  const auto index = s.IndexOf(row.info.name);
  if (!index) return true;
  if (*index + 1 >= s.args.size() || StartsWith(s.args[*index + 1], "--")) {
    return s.Fail("Error: --token-endpoint requires an HTTPS URL");
  }
  if (!s.out.client_credentials) return s.Fail("Error: --token-endpoint can only be used with --client-credentials");
  const auto url = ParseUrl(JsTrim(s.args[*index + 1]));
  if (!url) return s.Fail("Error: Invalid --token-endpoint value. Expected an HTTPS URL.");
  const bool loopback = url->scheme == "http" && IsLoopbackHost(url->host);
  if (url->scheme != "https" && !loopback) {
    return s.Fail("Error: --token-endpoint must use HTTPS, except for an HTTP loopback endpoint");
  }
  // `endpoint.hash` is "" for an empty fragment, so a bare trailing '#' passes.
  if (!url->username.empty() || !url->password.empty() || (url->fragment && !url->fragment->empty())) {
    return s.Fail("Error: --token-endpoint must not contain credentials or a URL fragment");
  }
  s.out.token_endpoint = Href(*url);
  return true;
}

// Cross-app access (SEP-990; ours). --idp-token-endpoint must be https (or
// http to loopback); the ID token may be ${VAR} or @file so it stays out of
// the process list.
bool HandleIdpTokenEndpoint(ParseState& s, const FlagRow& row) {
  const auto raw = s.ValueOf(row.info.name);
  if (!raw) return true;
  const auto url = ParseUrl(JsTrim(*raw));
  if (!url || (url->scheme != "https" && !(url->scheme == "http" && IsLoopbackHost(url->host))))
    return s.Fail("Error: --idp-token-endpoint must be an HTTPS URL (or HTTP on loopback)");
  s.out.idp_token_endpoint = Href(*url);
  return true;
}

bool HandleIdpClientId(ParseState& s, const FlagRow& row) {
  if (const auto raw = s.ValueOf(row.info.name)) s.out.idp_client_id = std::string(JsTrim(*raw));
  return true;
}

bool HandleIdpIdToken(ParseState& s, const FlagRow& row) {
  const auto raw = s.ValueOf(row.info.name);
  if (!raw) return true;
  std::string text = *raw;
  if (!text.empty() && text[0] == '@') {
    const auto file = s.ReadFile(text.substr(1));
    if (!file) return s.Fail("Error: cannot read the --idp-id-token file " + text.substr(1));
    text = *file;
  }
  s.out.idp_id_token = std::string(JsTrim(s.Expand(text, "--idp-id-token")));
  return true;
}

// Reads --disable-resource-parameter's result, so its row comes first.
bool HandleResource(ParseState& s, const FlagRow& row) {
  std::optional<std::string> resource;
  if (const auto raw = s.ValueOf(row.info.name)) {
    const std::string value(JsTrim(*raw));
    if (value.empty()) {
      s.out.disable_resource_parameter = true;  // --resource "" == --disable-resource-parameter
    } else {
      resource = value;
    }
  }
  if (s.out.disable_resource_parameter) {
    if (resource) {
      s.Warn("Warning: --disable-resource-parameter overrides --resource " + *resource +
             "; the resource parameter will be omitted.");
    }
    return true;
  }
  if (resource) {
    if (!ParseUrl(*resource)) {
      return s.Fail("Error: Invalid --resource value: \"" + *resource +
                    "\". RFC 8707 requires an absolute URI, e.g. https://example.com/mcp");
    }
    s.out.resource = resource;
  }
  return true;
}

// parseAuthorizeParams(): every occurrence (no splice); a later value for
// the same key overwrites in place (object semantics).
bool HandleAuthorizeParam(ParseState& s, const FlagRow& row) {
  static constexpr std::array<std::string_view, 6> kReserved = {
      "client_id", "redirect_uri", "response_type", "state", "code_challenge", "code_challenge_method"};
  for (size_t i = 0; i + 1 < s.args.size(); ++i) {
    if (s.args[i] != row.info.name) continue;
    const std::string& raw = s.args[i + 1];
    const size_t separator = raw.find('=');
    const std::string key(separator == std::string::npos ? std::string_view() : JsTrim(std::string_view(raw).substr(0, separator)));
    // npm only checks `indexOf("=") < 1`, so " =x" would give the key "";
    // §1.3 says the TRIMMED key must be non-empty, which we enforce.
    if (separator == std::string::npos || key.empty()) {
      return s.Fail("Error: Invalid --authorize-param value: \"" + raw +
                    "\". Expected key=value, e.g. --authorize-param audience=https://api.example.com");
    }
    if (std::find(kReserved.begin(), kReserved.end(), key) != kReserved.end()) {
      return s.Fail("Error: --authorize-param cannot set \"" + key +
                    "\": it is part of the authorization flow itself and is derived per request.");
    }
    if (key == "resource") {
      s.Warn(
          "Warning: --authorize-param resource=... only applies to the authorization request. Use --resource so the "
          "token request agrees.");
    }
    const std::string value = raw.substr(separator + 1);
    auto& params = s.out.authorize_params;
    const auto it = std::find_if(params.begin(), params.end(), [&](const auto& p) { return p.first == key; });
    if (it != params.end()) {
      it->second = value;
    } else {
      params.emplace_back(key, value);
    }
  }
  return true;
}

// The --ignore-tool pairs are spliced out (after the positionals were read,
// before --auth-timeout is looked up).
bool HandleIgnoreTool(ParseState& s, const FlagRow& row) {
  size_t j = 0;
  while (j < s.args.size()) {
    if (s.args[j] == row.info.name && j + 1 < s.args.size()) {
      s.out.ignore_tools.push_back(s.args[j + 1]);
      s.args.erase(s.args.begin() + static_cast<std::ptrdiff_t>(j), s.args.begin() + static_cast<std::ptrdiff_t>(j + 2));
      continue;
    }
    ++j;
  }
  return true;
}

// Ours. Every occurrence, read after the --ignore-tool splice and NOT
// spliced itself, so every npm flag parses exactly as npm parses it.
bool HandleAllowTool(ParseState& s, const FlagRow& row) {
  for (size_t i = 0; i + 1 < s.args.size(); ++i) {
    if (s.args[i] == row.info.name) s.out.allow_tools.push_back(s.args[i + 1]);
  }
  return true;
}

bool HandleAuthTimeout(ParseState& s, const FlagRow& row) {
  const auto raw = s.ValueOf(row.info.name);
  if (!raw) return true;
  const auto seconds = JsParseInt(*raw, 10);
  if (seconds && *seconds > 0) {
    s.out.auth_timeout_s = static_cast<int>(std::min(*seconds, kMaxAuthTimeoutS));
  } else {
    s.Warn("Warning: Ignoring invalid auth timeout value: " + *raw + ". Must be a positive number.");
  }
  return true;
}

// Ours (mcp-remote-client): --call <tool> [json-args].
bool HandleCall(ParseState& s, const FlagRow& row) {
  const auto index = s.IndexOf(row.info.name);
  if (!index) return true;
  if (*index + 1 >= s.args.size() || s.args[*index + 1].empty() || StartsWith(s.args[*index + 1], "--")) {
    return s.Fail("Error: --call requires a tool name: --call <tool> ['{\"json\":\"arguments\"}']");
  }
  s.out.call_tool = s.args[*index + 1];
  const bool has_json = *index + 2 < s.args.size() && StartsWith(s.args[*index + 2], "{");
  s.out.call_arguments = has_json ? s.args[*index + 2] : "{}";
  return true;
}

constexpr std::string_view kTransport = "Transport";
constexpr std::string_view kHeaders = "Headers";
constexpr std::string_view kOAuth = "OAuth";
constexpr std::string_view kNetwork = "Network";
constexpr std::string_view kTools = "Tools";
constexpr std::string_view kLogging = "Logging";
constexpr std::string_view kOther = "Other";
constexpr std::array<std::string_view, 7> kGroupOrder = {kTransport, kHeaders, kOAuth, kNetwork, kTools, kLogging, kOther};

// One row per flag, in npm's evaluation order (see the file comment).
// Fields: {name, alias, value_name, repeatable, client_only, group, help}, handler, switch field.
constexpr FlagRow kFlags[] = {
    {{"--help", "-h", "", false, false, kOther, "Print this help and exit"}},
    {{"--version", "", "", false, false, kOther, "Print the version and exit"}},
    {{"--header", "", "<Name: value>", true, false, kHeaders,
      "Send a header to the server; ${VAR} comes from the environment"}},
    {{"--header-file", "", "<path>", true, false, kHeaders,
      "Read 'Name: value' lines from a file (keeps secrets out of ps)"}},
    {{"--allow-http", "", "", false, false, kTransport, "Allow http:// URLs for hosts other than localhost/127.0.0.1"},
     HandleSwitch, &Options::allow_http},
    {{"--debug", "", "", false, false, kLogging, "Verbose logging to stderr and to <config-dir>/<hash>_debug.log"},
     HandleSwitch, &Options::debug},
    {{"--silent", "", "", false, false, kLogging, "Suppress normal stderr logging (--debug output still appears)"},
     HandleSwitch, &Options::silent},
    {{"--connect-timeout", "", "<seconds>", false, false, kNetwork, "TCP/TLS connect timeout (> 0; default 10)"},
     HandleConnectTimeout},
    {{"--body-timeout", "", "<seconds>", false, false, kNetwork,
      "Longest gap between body chunks (0 disables; default 300 for JSON bodies, none for event streams)"},
     HandleBodyTimeout},
    {{"--headers-timeout", "", "<seconds>", false, false, kNetwork,
      "Longest wait for response headers (0 disables; default 300)"},
     HandleHeadersTimeout},
    {{"--ipv4", "", "", false, false, kNetwork, "Connect over IPv4 only"}, HandleSwitch, &Options::ipv4},
    {{"--enable-proxy", "", "", false, false, kNetwork, "Use HTTP_PROXY/HTTPS_PROXY/NO_PROXY from the environment"},
     HandleSwitch, &Options::enable_proxy},
    {{"--ping-interval", "", "<seconds>", false, false, kNetwork, "Keep-alive ping period (> 0; implies --keep-alive)"},
     HandlePingInterval},
    {{"--keep-alive", "", "", false, false, kNetwork, "Ping the server every 30 seconds"}, HandleSwitch,
     &Options::keep_alive},
    {{"--transport", "", "<strategy>", false, false, kTransport,
      "http-first (default), sse-first, http-only or sse-only"},
     HandleTransport},
    {{"--protocol", "", "<mode>", false, false, kTransport,
      "legacy (default) or auto (try the stateless 2026-07-28 protocol)"},
     HandleProtocol},
    {{"--host", "", "<hostname>", false, false, kOAuth,
      "Host in the OAuth redirect URI (default localhost; 127.0.0.1 on Windows)"},
     HandleHost},
    {{"--callback-path", "", "</path>", false, false, kOAuth, "Path of the OAuth redirect URI (default /oauth/callback)"},
     HandleCallbackPath},
    {{"--auth-success-url", "", "<url>", false, false, kOAuth,
      "Redirect the browser here after a successful sign-in (https, or http on loopback)"},
     HandleAuthSuccessUrl},
    {{"--static-oauth-client-metadata", "", "<json|@file>", false, false, kOAuth,
      "Client metadata merged over the defaults for dynamic registration"},
     HandleStaticClientMetadata},
    {{"--static-oauth-client-info", "", "<json|@file>", false, false, kOAuth,
      "Pre-registered client_id/client_secret instead of registration; ${VAR} expanded"},
     HandleStaticClientInfo},
    {{"--client-metadata-url", "", "<https-url>", false, false, kOAuth,
      "Client ID Metadata Document URL, used as client_id when the server supports it"},
     HandleClientMetadataUrl},
    {{"--disable-cookies", "", "", false, false, kNetwork, "Do not keep cookies between requests"}, HandleSwitch,
     &Options::disable_cookies},
    {{"--device-code", "", "", false, false, kOAuth, "Sign in with the device code grant (no browser on this machine)"},
     HandleSwitch, &Options::device_code},
    {{"--client-credentials", "", "", false, false, kOAuth,
      "Use the client_credentials grant with --static-oauth-client-info (no user)"},
     HandleSwitch, &Options::client_credentials},
    {{"--token-endpoint", "", "<https-url>", false, false, kOAuth,
      "Token endpoint for --client-credentials, skipping discovery"},
     HandleTokenEndpoint},
    {{"--idp-token-endpoint", "", "<https-url>", false, false, kOAuth,
      "Cross-app access (SEP-990): the enterprise IdP's token endpoint for the token exchange"},
     HandleIdpTokenEndpoint},
    {{"--idp-client-id", "", "<id>", false, false, kOAuth, "Cross-app access: this client's id at the enterprise IdP"},
     HandleIdpClientId},
    {{"--idp-id-token", "", "<token|@file>", false, false, kOAuth,
      "Cross-app access: the user's ID token from the enterprise IdP (${VAR} expanded)"},
     HandleIdpIdToken},
    {{"--use-id-token", "", "", false, false, kOAuth, "Send the OIDC id_token as the bearer instead of the access token"},
     HandleSwitch, &Options::use_id_token},
    {{"--disable-resource-parameter", "", "", false, false, kOAuth,
      "Never send the RFC 8707 resource parameter (overrides --resource)"},
     HandleSwitch, &Options::disable_resource_parameter},
    {{"--resource", "", "<uri>", false, false, kOAuth, "RFC 8707 resource indicator (\"\" disables it)"}, HandleResource},
    {{"--authorize-param", "", "<key=value>", true, false, kOAuth,
      "Extra query parameter on the authorization request"},
     HandleAuthorizeParam},
    {{"--ignore-tool", "", "<glob>", true, false, kTools,
      "Hide matching tools (case-insensitive; '*' is the only wildcard)"},
     HandleIgnoreTool},
    {{"--allow-tool", "", "<glob>", true, false, kTools,
      "Show only matching tools (--ignore-tool still applies)"},
     HandleAllowTool},
    {{"--auth-timeout", "", "<seconds>", false, false, kOAuth,
      "How long other instances wait for this sign-in (default 30)"},
     HandleAuthTimeout},
    {{"--no-sandbox", "", "", false, false, kOther,
      "Do not confine the process (Linux Landlock: writes only under the token store, no exec)"},
     HandleSwitch, &Options::no_sandbox},
    {{"--call", "", "<tool> [json-args]", false, true, kTools,
      "After listing, call this tool with the JSON object arguments (default {})"},
     HandleCall},
};

constexpr auto kFlagInfos = [] {
  std::array<FlagInfo, std::size(kFlags)> infos{};
  for (size_t i = 0; i < infos.size(); ++i) infos[i] = kFlags[i].info;
  return infos;
}();

std::string UsageLine(const std::string& program) {
  return "Usage: " + program + " <https://server-url> [callback-port] [--debug]";
}

bool KnowsFlag(const FlagInfo& flag, const std::string& program) { return !flag.client_only || program == kClientProgram; }

ParseResult ParseArgsImpl(const std::vector<std::string>& argv, const std::string& program, const ParseEnv& env,
                          Options* out) {
  ParseResult result;
  *out = Options{};
  out->program = program;
  out->host = env.windows ? "127.0.0.1" : "localhost";

  // §1.1.1-2: anywhere, even as another flag's value; help first.
  const auto anywhere = [&](std::string_view flag) { return std::find(argv.begin(), argv.end(), flag) != argv.end(); };
  if (anywhere("--help") || anywhere("-h")) {
    result.action = ParseResult::Action::kHelp;
    result.message = HelpText(program);
    return result;
  }
  if (anywhere("--version")) {
    result.action = ParseResult::Action::kVersion;
    result.message = MCPR_VERSION;
    return result;
  }

  ParseState s{argv, env, *out, result, UsageLine(program)};

  // §1.1.3: one left-to-right pass splices every "--header <v>" and
  // "--header-file <path>" pair (a trailing one without a value stays).
  // Merge order, our reading of §1.3 "Object.assign, so a later source
  // wins": npm applies both forms in this single pass, --header as
  // `headers[name] = value` and --header-file as Object.assign(headers,
  // file), so command-line order decides: the rightmost definition of a
  // name wins, whichever form it came from, and the name keeps the position
  // of its first definition. An unreadable file is fatal right here.
  const auto set_header = [&](const std::string& name, const std::string& value) {
    const auto it = std::find_if(out->headers.begin(), out->headers.end(), [&](const HeaderSpec& h) { return h.name == name; });
    if (it != out->headers.end()) {
      it->raw_value = value;
    } else {
      out->headers.push_back(HeaderSpec{name, value, value});
    }
  };
  size_t i = 0;
  while (i < s.args.size()) {
    const bool is_header = s.args[i] == "--header", is_file = s.args[i] == "--header-file";
    if ((is_header || is_file) && i + 1 < s.args.size()) {
      const std::string value = s.args[i + 1];
      if (is_header) {
        if (const auto parsed = ParseHeaderLine(value)) {
          set_header(parsed->first, parsed->second);
        } else {
          s.Warn("Warning: ignoring a --header argument that is not in Name:Value form");
        }
      } else {
        const auto contents = s.ReadFile(value);
        if (!contents) {
          s.Fail("Error: Could not read the header file " + value);
          return result;
        }
        // contents.split(/\r?\n/), each line trimmed (trim() also drops the \r).
        size_t line_no = 0, start = 0;
        while (start <= contents->size()) {
          size_t end = contents->find('\n', start);
          if (end == std::string::npos) end = contents->size();
          ++line_no;
          const std::string_view line = JsTrim(std::string_view(*contents).substr(start, end - start));
          if (!line.empty() && line.front() != '#') {
            if (const auto parsed = ParseHeaderLine(line)) {
              set_header(parsed->first, parsed->second);
            } else {
              s.Warn("Warning: ignoring line " + std::to_string(line_no) + " of " + value +
                     ", which is not in Name:Value form");
            }
          }
          start = end + 1;
        }
      }
      s.args.erase(s.args.begin() + static_cast<std::ptrdiff_t>(i), s.args.begin() + static_cast<std::ptrdiff_t>(i + 2));
      continue;
    }
    ++i;
  }

  // §1.1.4: positionals AFTER the header splice, before any other flag.
  const std::string server_url = s.args.empty() ? std::string() : s.args[0];
  // specifiedPort = args[1] ? parseInt(args[1]) : undefined (NaN = none).
  double port = std::numeric_limits<double>::quiet_NaN();
  if (s.args.size() > 1 && !s.args[1].empty()) port = JsParseInt(s.args[1], 0).value_or(port);
  out->server_url = server_url;

  for (const FlagRow& row : kFlags) {
    if (row.handle != nullptr && KnowsFlag(row.info, program) && !row.handle(s, row)) return result;
  }

  // §1.1.7-8
  if (server_url.empty()) {
    s.Fail(s.usage);
    return result;
  }
  // Stricter than WHATWG here: the transports get the URL as typed, so
  // "https:host" (which new URL() would accept) is refused.
  const auto url = ParseUrl(server_url);
  const size_t colon = server_url.find(':');
  const bool has_authority = colon != std::string::npos && server_url.compare(colon + 1, 2, "//") == 0;
  if (!url || (url->special && !has_authority)) {
    std::string message = "Error: Invalid server URL \"" + server_url + "\": expected an absolute URL such as https://example.com/mcp";
    if (StartsWith(server_url, "-")) {
      message += ". The server URL must be the first argument: " + s.usage.substr(std::string_view("Usage: ").size());
    }
    s.Fail(std::move(message));
    return result;
  }
  const bool is_localhost = url->scheme == "http" && (url->host == "localhost" || url->host == "127.0.0.1");
  if (!(url->scheme == "https" || is_localhost || out->allow_http)) {
    s.Fail("Error: Non-HTTPS URLs are only allowed for localhost or when --allow-http flag is provided");
    return result;
  }
  if (url->scheme != "https" && url->scheme != "http") {
    s.Fail("Error: Unsupported server URL scheme \"" + url->scheme + ":\"; use https:// (or http://)");
    return result;
  }

  // `if (specifiedPort)`: NaN and 0 are ignored. npm would pass anything
  // else to listen() and crash there; we refuse it up front.
  if (!std::isnan(port) && port != 0) {
    if (port < 1 || port > 65535) {
      s.Fail("Error: Invalid callback port: " + s.args[1] + ". It must be between 1 and 65535.");
      return result;
    }
    out->callback_port = static_cast<int>(port);
  }
  out->callback_port_strict =
      out->callback_port != 0 || !out->static_oauth_client_info.empty() || !out->client_metadata_url.empty();

  // §1.1.12: expanded last, after the hash inputs (raw_value) are fixed.
  for (HeaderSpec& header : out->headers) header.value = s.Expand(header.raw_value, "header '" + header.name + "'");
  return result;
}

}  // namespace

std::span<const FlagInfo> FlagTable() { return kFlagInfos; }

ParseResult ParseArgs(const std::vector<std::string>& args, const std::string& program, const ParseEnv& env,
                      Options* out) {
  try {
    return ParseArgsImpl(args, program, env, out);
  } catch (const std::exception& e) {
    ParseResult result;
    result.action = ParseResult::Action::kError;
    result.message = std::string("Error: ") + e.what();
    return result;
  }
}

std::string HelpText(const std::string& program) {
  const bool client = program == kClientProgram;
  std::string text = UsageLine(program) + "\n\n";
  text += client ? "Connects to a remote MCP server, lists its tools and resources, and exits.\n"
                 : "Connects a stdio MCP client to a remote MCP server (Streamable HTTP or SSE), with OAuth.\n";
  text +=
      "The server URL must come first (only --header/--header-file may precede it); a callback\n"
      "port right after it fixes the OAuth redirect port. Unknown flags are ignored.\n";

  auto left_column = [](const FlagInfo& f) {
    std::string left = "  " + std::string(f.name);
    if (!f.alias.empty()) left += ", " + std::string(f.alias);
    if (!f.value_name.empty()) left += " " + std::string(f.value_name);
    return left;
  };
  constexpr size_t kWidth = 36;
  auto row = [&](std::string left, std::string_view help) {
    if (left.size() + 2 > kWidth) {
      left += "\n";
      left.append(kWidth, ' ');
    } else {
      left.append(kWidth - left.size(), ' ');
    }
    return left + std::string(help) + "\n";
  };
  for (std::string_view group : kGroupOrder) {
    std::string section;
    for (const FlagInfo& f : kFlagInfos) {
      if (f.group != group || !KnowsFlag(f, program)) continue;
      section += row(left_column(f), std::string(f.help) + (f.repeatable ? " (repeatable)" : ""));
    }
    if (!section.empty()) text += "\n" + std::string(group) + ":\n" + section;
  }
  text += "\nEnvironment:\n";
  text += row("  MCP_REMOTE_CONFIG_DIR", "Base directory for tokens and logs (default ~/.mcp-auth)");
  text += row("  HTTP_PROXY, HTTPS_PROXY, NO_PROXY", "Proxy settings (also lower case), used only with --enable-proxy");
  text += row("  NODE_EXTRA_CA_CERTS", "PEM file of extra CA certificates to trust");
  text += row("  BROWSER", "Command that opens the authorization page");
  return text;
}

std::string ExpandEnvVars(const std::string& text, const ParseEnv& env, std::vector<std::string>* missing) {
  // text.replace(/\$\{([^}]+)}/g, ...): a name is 1+ characters up to '}'.
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      const size_t close = text.find('}', i + 2);
      if (close != std::string::npos && close > i + 2) {
        const std::string name = text.substr(i + 2, close - i - 2);
        const auto value = env.getenv ? env.getenv(name) : std::nullopt;
        if (value) {
          out += *value;
        } else {
          out.append(text, i, close - i + 1);
          if (missing != nullptr) missing->push_back(name);
        }
        i = close + 1;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

bool ToolGlobMatch(std::string_view pattern, std::string_view name) {
  // npm: new RegExp("^" + parts.map(escape).join(".*") + "$", "i") over
  // pattern.split("*"). '.' does not match line terminators, so neither
  // does '*'; case folding is ASCII only (non-unicode 'i' never maps a
  // non-ASCII character to an ASCII one).
  std::vector<bool> blocked(name.size(), false);
  for (size_t j = 0; j < name.size(); ++j) {
    const size_t k = JsLineTerminatorAt(name, j);
    for (size_t m = 0; m < k; ++m) blocked[j + m] = true;
  }
  // matched[j]: the pattern prefix seen so far matches name[0, j).
  std::string matched(name.size() + 1, '\0'), next(name.size() + 1, '\0');
  matched[0] = 1;
  for (char p : pattern) {
    if (p == '*') {
      next[0] = matched[0];
      for (size_t j = 1; j <= name.size(); ++j) next[j] = matched[j] || (next[j - 1] && !blocked[j - 1]);
    } else {
      next[0] = 0;
      for (size_t j = 1; j <= name.size(); ++j) next[j] = matched[j - 1] && AsciiLower(p) == AsciiLower(name[j - 1]);
    }
    matched.swap(next);
  }
  return matched[name.size()] != 0;
}

bool ToolAllowed(const Options& opts, std::string_view tool_name) {
  for (const std::string& pattern : opts.ignore_tools) {
    if (ToolGlobMatch(pattern, tool_name)) return false;
  }
  if (opts.allow_tools.empty()) return true;
  return std::any_of(opts.allow_tools.begin(), opts.allow_tools.end(),
                     [&](const std::string& pattern) { return ToolGlobMatch(pattern, tool_name); });
}

ParseEnv SystemParseEnv() {
  ParseEnv env;
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  env.read_file = [](const std::string& path) -> std::optional<std::string> {
    // Arguments are UTF-8; build the path from char8_t so Windows agrees.
    const std::filesystem::path fs_path(std::u8string(path.begin(), path.end()));
    std::error_code ec;
    if (path.empty() || std::filesystem::is_directory(fs_path, ec)) return std::nullopt;
    std::ifstream in(fs_path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream contents;
    contents << in.rdbuf();
    if (in.bad()) return std::nullopt;
    return contents.str();
  };
#ifdef _WIN32
  env.windows = true;
#endif
  return env;
}

}  // namespace mcpr
