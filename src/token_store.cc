// token_store.h. The JSON written here is built as an ordered list of
// members that mirrors the JS object npm would stringify (zod's schema order
// first, then each spread), and printed the way JSON.stringify(v, null, 2)
// prints it. Reads apply npm's zod schemas, including their coercions.
#include "token_store.h"

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "crypto.h"
#include "server_hash.h"

namespace mcpr {

namespace json = boost::json;

namespace {

constexpr std::string_view kTokensFile = "tokens.json";
constexpr std::string_view kClientInfoFile = "client_info.json";
constexpr std::string_view kLeaseFile = "refresh_in_progress.json";
constexpr std::string_view kCodeVerifierPrefix = "code_verifier_";
constexpr std::string_view kDiscoveryStatePrefix = "discovery_state_";

// ---------------------------------------------------------------------------
// JSON.stringify(value, null, 2)

// Number.prototype.toString() for a finite double: the shortest digits that
// round-trip (std::to_chars picks the closest of those, as ECMA-262 does),
// laid out by the ECMAScript Number::toString rules.
std::string JsNumber(double d) {
  if (!std::isfinite(d)) return "null";  // JSON.stringify(NaN / Infinity)
  if (d == 0) return "0";                // also -0
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  std::string out;
  if (sci.front() == '-') {
    out = "-";
    sci.remove_prefix(1);
  }
  const std::size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exp10 = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exp10);
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // d = 0.digits * 10^n
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<std::size_t>(n));
    out += '.';
    out += digits.substr(static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += fmt::format("e{}{}", n - 1 >= 0 ? "+" : "-", std::abs(n - 1));
  }
  return out;
}

// JS parses every JSON number as a double; integers beyond 2^53 print as
// the double they became.
constexpr int64_t kMaxSafe = int64_t{1} << 53;

std::string NumberText(const json::value& v) {
  if (v.is_int64()) {
    const int64_t i = v.get_int64();
    return (i >= -kMaxSafe && i <= kMaxSafe) ? std::to_string(i) : JsNumber(static_cast<double>(i));
  }
  if (v.is_uint64()) {
    const uint64_t u = v.get_uint64();
    return u <= static_cast<uint64_t>(kMaxSafe) ? std::to_string(u) : JsNumber(static_cast<double>(u));
  }
  return JsNumber(v.get_double());
}

std::string Quote(std::string_view s) { return JsJsonQuote(ToWellFormedUtf8(s)); }

// indent >= 0: JSON.stringify(v, null, 2) at that depth; indent < 0:
// JSON.stringify(v), compact.
void AppendValue(std::string& out, const json::value& v, int indent);

void AppendBreak(std::string& out, int indent) {
  if (indent < 0) return;
  out += '\n';
  out.append(static_cast<std::size_t>(indent), ' ');
}

int Deeper(int indent) { return indent < 0 ? indent : indent + 2; }

// One "key": value member of an object printed at `indent`.
void AppendMember(std::string& out, bool first, std::string_view key, const json::value& v, int indent) {
  out += first ? "{" : ",";
  AppendBreak(out, Deeper(indent));
  out += Quote(key);
  out += indent < 0 ? ":" : ": ";
  AppendValue(out, v, Deeper(indent));
}

void CloseObject(std::string& out, bool empty, int indent) {
  if (empty) {
    out += "{}";
    return;
  }
  AppendBreak(out, indent);
  out += '}';
}

void AppendValue(std::string& out, const json::value& v, int indent) {
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      return;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      out += NumberText(v);
      return;
    case json::kind::string:
      out += Quote(v.get_string());
      return;
    case json::kind::array: {
      const json::array& a = v.get_array();
      if (a.empty()) {
        out += "[]";
        return;
      }
      bool first = true;
      for (const json::value& e : a) {
        out += first ? "[" : ",";
        first = false;
        AppendBreak(out, Deeper(indent));
        AppendValue(out, e, Deeper(indent));
      }
      AppendBreak(out, indent);
      out += ']';
      return;
    }
    case json::kind::object: {
      const json::object& o = v.get_object();
      bool first = true;
      for (const json::key_value_pair& kv : o) {
        AppendMember(out, first, kv.key(), kv.value(), indent);
        first = false;
      }
      CloseObject(out, first, indent);
      return;
    }
  }
}

std::string CompactText(const json::value& v) {
  std::string out;
  AppendValue(out, v, -1);
  return out;
}

// A JS object under construction: members in insertion order. Set replaces
// a member in place (as a spread or assignment does); Unset stands for a
// member whose value is `undefined`, which JSON.stringify leaves out.
using JsObject = std::vector<std::pair<std::string, json::value>>;

const json::value* Find(const JsObject& o, std::string_view key) {
  for (const auto& [k, v] : o) {
    if (k == key) return &v;
  }
  return nullptr;
}

void Set(JsObject& o, std::string_view key, json::value v) {
  for (auto& [k, old] : o) {
    if (k == key) {
      old = std::move(v);
      return;
    }
  }
  o.emplace_back(std::string(key), std::move(v));
}

void Unset(JsObject& o, std::string_view key) {
  std::erase_if(o, [&](const auto& m) { return m.first == key; });
}

void SetOptional(JsObject& o, std::string_view key, const std::optional<std::string>& v) {
  if (v) {
    Set(o, key, json::string(*v));
  } else {
    Unset(o, key);
  }
}

std::string Stringify(const JsObject& o) {
  std::string out;
  bool first = true;
  for (const auto& [k, v] : o) {
    AppendMember(out, first, k, v, 0);
    first = false;
  }
  CloseObject(out, first, 0);
  return out;
}

// ---------------------------------------------------------------------------
// JSON.parse + zod

// Builds a json::value like json::parser does, except that doubles are
// re-read from their text with std::from_chars: Boost.JSON 1.81's own
// conversion can be one ulp off, and JSON.parse rounds correctly.
class PreciseHandler {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  PreciseHandler() { stack_.reset(); }
  json::value Release() { return stack_.release(); }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    stack_.push_array(n);
    return true;
  }
  bool on_object_begin(json::error_code&) { return true; }
  bool on_object_end(std::size_t n, json::error_code&) {
    stack_.push_object(n);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    stack_.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    stack_.push_string(s);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    stack_.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    stack_.push_key(s);
    return true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(int64_t i, json::string_view, json::error_code&) {
    number_.clear();
    stack_.push_int64(i);
    return true;
  }
  bool on_uint64(uint64_t u, json::string_view, json::error_code&) {
    number_.clear();
    stack_.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view s, json::error_code&) {
    number_.append(s.data(), s.size());
    double exact = 0;
    const auto res = std::from_chars(number_.data(), number_.data() + number_.size(), exact);
    if (res.ec == std::errc() && res.ptr == number_.data() + number_.size()) d = exact;
    number_.clear();
    stack_.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    stack_.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    stack_.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  json::value_stack stack_;
  std::string number_;
};

std::optional<json::value> ParseJson(std::string_view text, std::string* why) {
  // Node decodes the file as UTF-8 with U+FFFD for bad bytes before parsing.
  const std::string wf = ToWellFormedUtf8(text);
  json::parse_options opt;
  opt.max_depth = 256;
  json::basic_parser<PreciseHandler> parser(opt);
  json::error_code ec;
  const std::size_t n = parser.write_some(false, wf.data(), wf.size(), ec);
  if (!ec && n != wf.size()) ec = json::error::extra_data;
  if (ec) {
    *why = fmt::format("not valid JSON ({})", ec.message());
    return std::nullopt;
  }
  return parser.handler().Release();
}

bool IsNumber(const json::value& v) { return v.is_int64() || v.is_uint64() || v.is_double(); }

double ToDouble(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return v.get_double();
}

bool IsJsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

// Number(string) for the forms a token file can plausibly hold: decimal
// literals, 0x/0o/0b integers, "" (0), Infinity. NaN comes back as nullopt.
// (Exotic whitespace such as U+00A0 around the digits is not trimmed.)
std::optional<double> JsStringToNumber(std::string_view s) {
  while (!s.empty() && IsJsWhitespace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsJsWhitespace(s.back())) s.remove_suffix(1);
  if (s.empty()) return 0.0;
  if (s.size() > 2 && s[0] == '0') {
    const char p = static_cast<char>(s[1] | 0x20);
    const int base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (base != 0) {
      double value = 0;
      for (char c : s.substr(2)) {
        int digit = -1;
        if (c >= '0' && c <= '9') digit = c - '0';
        if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        if (digit < 0 || digit >= base) return std::nullopt;
        value = value * base + digit;
      }
      return value;
    }
  }
  std::string_view body = s;
  bool negative = false;
  if (body.front() == '+' || body.front() == '-') {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  if (body == "Infinity") return negative ? -HUGE_VAL : HUGE_VAL;
  // StrDecimalLiteral: digits [. digits] | . digits, then an optional exponent.
  std::size_t i = 0, int_digits = 0, frac_digits = 0;
  while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i, ++int_digits;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return std::nullopt;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    std::size_t exp_digits = 0;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != body.size()) return std::nullopt;
  double value = 0;
  const auto res = std::from_chars(body.data(), body.data() + body.size(), value);
  if (res.ec == std::errc::result_out_of_range) {
    // Overflow is Infinity; underflow is 0 (or a denormal) in JS.
    const bool tiny = body.find_first_of("eE") != std::string_view::npos &&
                      body.find('-', body.find_first_of("eE")) != std::string_view::npos;
    value = tiny ? 0.0 : HUGE_VAL;
  } else if (res.ec != std::errc()) {
    return std::nullopt;
  }
  return negative ? -value : value;
}

// zod's z.coerce.number(): Number(input), then a finite number is required.
std::optional<double> CoerceNumber(const json::value& v) {
  std::optional<double> d;
  switch (v.kind()) {
    case json::kind::null:
      d = 0.0;
      break;
    case json::kind::bool_:
      d = v.get_bool() ? 1.0 : 0.0;
      break;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      d = ToDouble(v);
      break;
    case json::kind::string:
      d = JsStringToNumber(v.get_string());
      break;
    default:  // Number([]) is 0 and Number([7]) is 7; no token file holds those
      break;
  }
  if (!d || !std::isfinite(*d)) return std::nullopt;
  return d;
}

int64_t FloorToInt64(double d) {
  constexpr double kLimit = 9.2e18;
  return static_cast<int64_t>(std::floor(std::clamp(d, -kLimit, kLimit)));
}

json::value NumberValue(double d) {
  // An integral double is stored as an integer so the parsed and the
  // written value print identically (both print as JS would).
  if (std::floor(d) == d && std::fabs(d) <= static_cast<double>(kMaxSafe)) return json::value(static_cast<int64_t>(d));
  return json::value(d);
}

// One field of a zod object schema.
enum class Kind { kString, kUrl, kOptionalUrl, kStringArray, kUrlArray, kNumber, kCoercedNumber, kAny };
struct Field {
  std::string_view name;
  Kind kind;
  bool required;
};

// OAuthTokensSchema.extend({expires_at, requested_scope, issuer}).
constexpr Field kTokenFields[] = {
    {"access_token", Kind::kString, true},     {"id_token", Kind::kString, false},
    {"token_type", Kind::kString, true},       {"expires_in", Kind::kCoercedNumber, false},
    {"scope", Kind::kString, false},           {"refresh_token", Kind::kString, false},
    {"expires_at", Kind::kCoercedNumber, false}, {"requested_scope", Kind::kString, false},
    {"issuer", Kind::kString, false},
};

// OAuthClientMetadataSchema.merge(OAuthClientInformationSchema).extend({issuer}).
constexpr Field kClientFields[] = {
    {"redirect_uris", Kind::kUrlArray, true},
    {"token_endpoint_auth_method", Kind::kString, false},
    {"grant_types", Kind::kStringArray, false},
    {"response_types", Kind::kStringArray, false},
    {"application_type", Kind::kString, false},
    {"client_name", Kind::kString, false},
    {"client_uri", Kind::kUrl, false},
    {"logo_uri", Kind::kOptionalUrl, false},
    {"scope", Kind::kString, false},
    {"contacts", Kind::kStringArray, false},
    {"tos_uri", Kind::kOptionalUrl, false},
    {"policy_uri", Kind::kString, false},
    {"jwks_uri", Kind::kUrl, false},
    {"jwks", Kind::kAny, false},
    {"software_id", Kind::kString, false},
    {"software_version", Kind::kString, false},
    {"software_statement", Kind::kString, false},
    {"client_id", Kind::kString, true},
    {"client_secret", Kind::kString, false},
    {"client_id_issued_at", Kind::kNumber, false},
    {"client_secret_expires_at", Kind::kNumber, false},
    {"issuer", Kind::kString, false},
};

// The SDK's SafeUrlSchema, approximately: an absolute URL whose scheme is
// not javascript:, data: or vbscript:.
bool IsSafeUrl(std::string_view s) {
  const std::size_t colon = s.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == s.size()) return false;
  std::string scheme;
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
    if (!ok) return false;
    scheme += static_cast<char>(c | 0x20);
  }
  return scheme != "javascript" && scheme != "data" && scheme != "vbscript";
}

// Applies a zod object schema (strip mode) to `in`: the output holds the
// known members in schema order, coerced/transformed as zod would.
bool ApplySchema(const json::object& in, const Field* fields, std::size_t count, JsObject* out, std::string* why) {
  for (std::size_t i = 0; i < count; ++i) {
    const Field& f = fields[i];
    const json::value* v = in.if_contains(f.name);
    if (v == nullptr) {
      if (f.required) {
        *why = fmt::format("\"{}\" is missing", f.name);
        return false;
      }
      continue;
    }
    bool ok = true;
    switch (f.kind) {
      case Kind::kString:
        ok = v->is_string();
        break;
      case Kind::kUrl:
        ok = v->is_string() && IsSafeUrl(v->get_string());
        break;
      case Kind::kOptionalUrl:
        if (v->is_string() && v->get_string().empty()) continue;  // "" -> undefined
        ok = v->is_string() && IsSafeUrl(v->get_string());
        break;
      case Kind::kStringArray:
      case Kind::kUrlArray:
        ok = v->is_array() && std::all_of(v->get_array().begin(), v->get_array().end(), [&](const json::value& e) {
               return e.is_string() && (f.kind == Kind::kStringArray || IsSafeUrl(e.get_string()));
             });
        break;
      case Kind::kNumber:
        ok = IsNumber(*v) && std::isfinite(ToDouble(*v));
        break;
      case Kind::kCoercedNumber:
        if (const std::optional<double> d = CoerceNumber(*v)) {
          Set(*out, f.name, NumberValue(*d));
          continue;
        }
        ok = false;
        break;
      case Kind::kAny:
        break;
    }
    if (!ok) {
      *why = fmt::format("\"{}\" has the wrong type", f.name);
      return false;
    }
    Set(*out, f.name, *v);
  }
  return true;
}

std::optional<std::string> OptString(const JsObject& o, std::string_view key) {
  const json::value* v = Find(o, key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::optional<int64_t> OptInt(const JsObject& o, std::string_view key) {
  const json::value* v = Find(o, key);
  if (v == nullptr || !IsNumber(*v)) return std::nullopt;
  return FloorToInt64(ToDouble(*v));
}

// tokens.json -> the object zod hands npm, plus our struct view of it.
bool ParseTokens(std::string_view text, StoredTokens* tokens, JsObject* ordered, std::string* why) {
  const std::optional<json::value> v = ParseJson(text, why);
  if (!v) return false;
  if (!v->is_object()) {
    *why = "not a JSON object";
    return false;
  }
  JsObject o;
  if (!ApplySchema(v->get_object(), kTokenFields, std::size(kTokenFields), &o, why)) return false;
  tokens->access_token = *OptString(o, "access_token");
  tokens->token_type = *OptString(o, "token_type");
  tokens->id_token = OptString(o, "id_token");
  tokens->scope = OptString(o, "scope");
  tokens->refresh_token = OptString(o, "refresh_token");
  tokens->requested_scope = OptString(o, "requested_scope");
  tokens->issuer = OptString(o, "issuer");
  tokens->expires_in = OptInt(o, "expires_in");
  tokens->expires_at_ms = OptInt(o, "expires_at");
  tokens->raw_json = std::string(text);
  if (ordered != nullptr) *ordered = std::move(o);
  return true;
}

// {...OAuthTokensSchema.parse(body)}: the token response as the SDK hands it
// to saveTokens, in zod's member order.
void SpreadResponse(JsObject& o, const TokenResponse& r) {
  constexpr std::size_t kResponseFieldCount = 6;  // OAuthTokensSchema, before .extend()
  if (!r.raw_json.empty()) {
    std::string why;
    const std::optional<json::value> v = ParseJson(r.raw_json, &why);
    JsObject parsed;
    if (v && v->is_object() && ApplySchema(v->get_object(), kTokenFields, kResponseFieldCount, &parsed, &why)) {
      for (auto& [key, value] : parsed) Set(o, key, std::move(value));
      return;
    }
  }
  Set(o, "access_token", json::string(r.access_token));
  if (!r.id_token.empty()) Set(o, "id_token", json::string(r.id_token));
  Set(o, "token_type", json::string(r.token_type));
  if (r.expires_in) Set(o, "expires_in", json::value(*r.expires_in));
  if (!r.scope.empty()) Set(o, "scope", json::string(r.scope));
  if (!r.refresh_token.empty()) Set(o, "refresh_token", json::string(r.refresh_token));
}

// npm's saveTokens: {...tokens, expires_at: tokens.expires_at ?? (tokens.expires_in
// ? now + expires_in * 1000 : undefined), requested_scope}.
void FinishTokens(JsObject& o, int64_t now_ms, const std::optional<std::string>& requested_scope) {
  if (Find(o, "expires_at") == nullptr) {
    const json::value* in = Find(o, "expires_in");
    const double expires_in = in != nullptr && IsNumber(*in) ? ToDouble(*in) : 0.0;
    if (expires_in != 0) Set(o, "expires_at", NumberValue(static_cast<double>(now_ms) + expires_in * 1000.0));
  }
  SetOptional(o, "requested_scope", requested_scope);
}

bool IssuersMatch(std::string_view a, std::string_view b) {
  if (a == b) return true;
  if (!a.empty() && a.back() == '/' && a.substr(0, a.size() - 1) == b) return true;
  return !b.empty() && b.back() == '/' && b.substr(0, b.size() - 1) == a;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

}  // namespace

// ---------------------------------------------------------------------------

std::optional<std::string> JsonStringifyIndent2(std::string_view json_text) {
  std::string why;
  const std::optional<json::value> v = ParseJson(json_text, &why);
  if (!v) return std::nullopt;
  std::string out;
  AppendValue(out, *v, 0);
  return out;
}

TokenStore::TokenStore(FileSystem& fs, Logger& log, std::string store_dir, std::string hash)
    : fs_(fs), log_(log), store_dir_(std::move(store_dir)), hash_(std::move(hash)) {}

std::string TokenStore::PathFor(std::string_view name) const {
  return fmt::format("{}/{}_{}", store_dir_, hash_, name);
}

// ---- file plumbing ----

void TokenStore::WarnOnce(std::string_view name, const std::string& reason) {
  const std::string file = fmt::format("{}_{}", hash_, name);
  auto it = warned_.find(file);
  if (it != warned_.end() && it->second == reason) {
    log_.Debug("Still cannot use {}: {}", file, reason);
    return;
  }
  warned_[file] = reason;
  log_.Warn("Error reading {}: {}; treating it as missing", file, reason);
}

std::optional<std::string> TokenStore::ReadStoreFile(std::string_view name) {
  FsStatus st;
  std::optional<std::string> text = fs_.ReadFile(PathFor(name), &st);
  if (!text && !st.not_found()) WarnOnce(name, st.message);
  if (!text && st.not_found()) warned_.erase(fmt::format("{}_{}", hash_, name));
  return text;
}

bool TokenStore::WriteStoreFile(std::string_view name, std::string_view data, std::string* error) {
  FsStatus st;
  if (fs_.MakeDirs(store_dir_, &st, 0700) && fs_.WriteFileAtomic(PathFor(name), data, &st, 0600)) {
    log_.Debug("Saved {}_{}", hash_, name);
    return true;
  }
  // A caller that takes the reason reports it (with what it means for the
  // user); otherwise this is the warning.
  if (error != nullptr) {
    log_.Debug("Error writing {}_{}: {}", hash_, name, st.message);
    *error = st.message;
  } else {
    log_.Warn("Error writing {}_{}: {}", hash_, name, st.message);
  }
  return false;
}

bool TokenStore::DeleteStoreFile(std::string_view name) {
  FsStatus st;
  if (fs_.Remove(PathFor(name), &st) || st.not_found()) return true;
  log_.Warn("Error deleting {}_{}: {}", hash_, name, st.message);
  return false;
}

// ---- tokens ----

std::optional<StoredTokens> TokenStore::Load() {
  const std::optional<std::string> text = ReadStoreFile(kTokensFile);
  if (!text) return std::nullopt;
  StoredTokens tokens;
  std::string why;
  if (!ParseTokens(*text, &tokens, nullptr, &why)) {
    WarnOnce(kTokensFile, why);
    return std::nullopt;
  }
  warned_.erase(fmt::format("{}_{}", hash_, kTokensFile));
  return tokens;
}

bool TokenStore::WriteTokens(const std::string& json_text, int64_t now_ms, std::string* error) {
  if (!WriteStoreFile(kTokensFile, json_text, error)) return false;
  SweepStale(now_ms);
  return true;
}

bool TokenStore::Save(const TokenResponse& response, int64_t now_ms, const std::optional<std::string>& requested_scope,
                      const std::optional<std::string>& issuer, std::string* error) {
  JsObject o;
  SpreadResponse(o, response);
  if (issuer) Set(o, "issuer", json::string(*issuer));
  FinishTokens(o, now_ms, requested_scope);
  return WriteTokens(Stringify(o), now_ms, error);
}

bool TokenStore::SaveRefreshed(const TokenResponse& response, const std::string& redeemed_refresh_token,
                               int64_t now_ms, const std::optional<std::string>& requested_scope,
                               const std::optional<std::string>& issuer, std::string* error) {
  JsObject o;
  Set(o, "refresh_token", json::string(redeemed_refresh_token));
  SpreadResponse(o, response);
  if (issuer) Set(o, "issuer", json::string(*issuer));
  FinishTokens(o, now_ms, requested_scope);
  return WriteTokens(Stringify(o), now_ms, error);
}

bool TokenStore::Restamp(const StoredTokens& stored, const std::string& issuer,
                         const std::optional<std::string>& requested_scope, int64_t now_ms, std::string* error) {
  JsObject o;
  StoredTokens reparsed;
  std::string why;
  if (!ParseTokens(stored.raw_json, &reparsed, &o, &why)) {
    // Built by hand rather than loaded: lay the fields out in schema order.
    o.clear();
    Set(o, "access_token", json::string(stored.access_token));
    if (stored.id_token) Set(o, "id_token", json::string(*stored.id_token));
    Set(o, "token_type", json::string(stored.token_type));
    if (stored.expires_in) Set(o, "expires_in", json::value(*stored.expires_in));
    SetOptional(o, "scope", stored.scope);
    SetOptional(o, "refresh_token", stored.refresh_token);
    if (stored.expires_at_ms) Set(o, "expires_at", json::value(*stored.expires_at_ms));
    SetOptional(o, "requested_scope", stored.requested_scope);
    SetOptional(o, "issuer", stored.issuer);
  }
  Set(o, "issuer", json::string(issuer));
  FinishTokens(o, now_ms, requested_scope);
  return WriteTokens(Stringify(o), now_ms, error);
}

bool TokenStore::Delete() { return DeleteStoreFile(kTokensFile); }

bool TokenStore::HasUsableTokens(int64_t now_ms) {
  const std::optional<StoredTokens> t = Load();
  return t && Usable(*t, now_ms);
}

bool TokenStore::Usable(const StoredTokens& t, int64_t now_ms) {
  if (t.expires_at_ms && *t.expires_at_ms != 0 && now_ms >= *t.expires_at_ms - kExpiryMarginMs) {
    return t.refresh_token.has_value() && !t.refresh_token->empty();
  }
  return true;
}

// ---- client registration ----

std::optional<StoredClientInfo> TokenStore::LoadClientInfo() {
  const std::optional<std::string> text = ReadStoreFile(kClientInfoFile);
  if (!text) return std::nullopt;
  std::string why;
  std::optional<json::value> v = ParseJson(*text, &why);
  JsObject o;
  if (v && !v->is_object()) why = "not a JSON object";
  if (!v || !v->is_object() || !ApplySchema(v->get_object(), kClientFields, std::size(kClientFields), &o, &why)) {
    WarnOnce(kClientInfoFile, why);
    return std::nullopt;
  }
  warned_.erase(fmt::format("{}_{}", hash_, kClientInfoFile));
  StoredClientInfo info;
  info.client_id = *OptString(o, "client_id");
  info.client_secret = OptString(o, "client_secret");
  info.token_endpoint_auth_method = OptString(o, "token_endpoint_auth_method");
  info.scope = OptString(o, "scope");
  info.issuer = OptString(o, "issuer");
  for (const json::value& u : Find(o, "redirect_uris")->get_array()) info.redirect_uris.emplace_back(u.get_string());
  info.raw_json = *text;
  return info;
}

std::optional<StoredClientInfo> TokenStore::LoadClientInfoFor(std::string_view issuer) {
  std::optional<StoredClientInfo> info = LoadClientInfo();
  if (info && info->issuer && !IssuersMatch(*info->issuer, issuer)) {
    log_.Debug("Ignoring the client registration stored for another authorization server ({})", *info->issuer);
    return std::nullopt;
  }
  return info;
}

bool TokenStore::SaveClientInfo(std::string_view json_text, std::string* error) {
  std::string why;
  std::optional<json::value> v = ParseJson(json_text, &why);
  JsObject o;
  if (v && !v->is_object()) why = "not a JSON object";
  if (!v || !v->is_object() || !ApplySchema(v->get_object(), kClientFields, std::size(kClientFields), &o, &why)) {
    log_.Warn("Not saving the client registration: {}", why);
    if (error != nullptr) *error = "invalid client registration: " + why;
    return false;
  }
  return WriteStoreFile(kClientInfoFile, Stringify(o), error);
}

bool TokenStore::DeleteClientInfo() { return DeleteStoreFile(kClientInfoFile); }

// ---- per-sign-in files ----

bool TokenStore::ValidState(std::string_view state) {
  if (state.empty() || state.size() > 64) return false;
  return std::all_of(state.begin(), state.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool TokenStore::SaveCodeVerifier(std::string_view state, std::string_view verifier, std::string* error) {
  if (!ValidState(state)) {
    if (error != nullptr) *error = "invalid OAuth state";
    return false;
  }
  return WriteStoreFile(fmt::format("{}{}.txt", kCodeVerifierPrefix, state), verifier, error);
}

std::optional<std::string> TokenStore::LoadCodeVerifier(std::string_view state) {
  if (!ValidState(state)) return std::nullopt;
  std::optional<std::string> text = ReadStoreFile(fmt::format("{}{}.txt", kCodeVerifierPrefix, state));
  if (text && text->empty()) return std::nullopt;
  return text;
}

bool TokenStore::DeleteCodeVerifier(std::string_view state) {
  return ValidState(state) && DeleteStoreFile(fmt::format("{}{}.txt", kCodeVerifierPrefix, state));
}

bool TokenStore::SaveDiscoveryState(std::string_view state, const DiscoveryState& d, std::string* error) {
  if (!ValidState(state)) {
    if (error != nullptr) *error = "invalid OAuth state";
    return false;
  }
  // The SDK's object literal: {authorizationServerUrl, resourceMetadataUrl,
  // resourceMetadata, authorizationServerMetadata}.
  JsObject o;
  Set(o, "authorizationServerUrl", json::string(d.authorization_server_url));
  if (d.resource_metadata_url) Set(o, "resourceMetadataUrl", json::string(*d.resource_metadata_url));
  const std::pair<std::string_view, const std::optional<std::string>*> docs[] = {
      {"resourceMetadata", &d.resource_metadata_json},
      {"authorizationServerMetadata", &d.authorization_server_metadata_json}};
  for (const auto& [key, text] : docs) {
    if (!*text) continue;
    std::string why;
    std::optional<json::value> v = ParseJson(**text, &why);
    if (!v || !v->is_object()) {
      if (error != nullptr) *error = fmt::format("{} is not a JSON object", key);
      return false;
    }
    Set(o, key, std::move(*v));
  }
  return WriteStoreFile(fmt::format("{}{}.json", kDiscoveryStatePrefix, state), Stringify(o), error);
}

std::optional<DiscoveryState> TokenStore::LoadDiscoveryState(std::string_view state) {
  if (!ValidState(state)) return std::nullopt;
  const std::string name = fmt::format("{}{}.json", kDiscoveryStatePrefix, state);
  const std::optional<std::string> text = ReadStoreFile(name);
  if (!text) return std::nullopt;
  std::string why;
  std::optional<json::value> v = ParseJson(*text, &why);
  const json::object* o = v ? v->if_object() : nullptr;
  if (v && o == nullptr) why = "not a JSON object";
  DiscoveryState d;
  if (o != nullptr) {
    const json::value* url = o->if_contains("authorizationServerUrl");
    const json::value* rm_url = o->if_contains("resourceMetadataUrl");
    const json::value* rm = o->if_contains("resourceMetadata");
    const json::value* asm_ = o->if_contains("authorizationServerMetadata");
    if (url == nullptr || !url->is_string()) {
      why = "\"authorizationServerUrl\" is missing";
    } else if ((rm_url != nullptr && !rm_url->is_string()) || (rm != nullptr && !rm->is_object()) ||
               (asm_ != nullptr && !asm_->is_object())) {
      why = "a member has the wrong type";
    } else {
      d.authorization_server_url = std::string(url->get_string());
      if (rm_url != nullptr) d.resource_metadata_url = std::string(rm_url->get_string());
      if (rm != nullptr) d.resource_metadata_json = CompactText(*rm);
      if (asm_ != nullptr) d.authorization_server_metadata_json = CompactText(*asm_);
      warned_.erase(fmt::format("{}_{}", hash_, name));
      return d;
    }
  }
  WarnOnce(name, why);
  return std::nullopt;
}

bool TokenStore::DeleteDiscoveryState(std::string_view state) {
  return ValidState(state) && DeleteStoreFile(fmt::format("{}{}.json", kDiscoveryStatePrefix, state));
}

int TokenStore::SweepStale(int64_t now_ms) {
  FsStatus st;
  const std::optional<std::vector<std::string>> names = fs_.ListDir(store_dir_, &st);
  if (!names) {
    if (!st.not_found()) log_.Debug("Could not sweep stale config files: {}", st.message);
    return 0;
  }
  const std::string mine = hash_ + "_";
  const std::string verifiers = mine + std::string(kCodeVerifierPrefix);
  const std::string discoveries = mine + std::string(kDiscoveryStatePrefix);
  const int64_t cutoff = now_ms - kAbandonedFlowAgeMs;
  int removed = 0;
  for (const std::string& name : *names) {
    const bool flow_file = StartsWith(name, verifiers) || StartsWith(name, discoveries);
    const bool temp_file = StartsWith(name, mine) && EndsWith(name, ".tmp");
    if (!flow_file && !temp_file) continue;
    const std::string path = store_dir_ + "/" + name;
    const std::optional<int64_t> mtime = fs_.ModifiedTimeMs(path, &st);
    if (!mtime || *mtime > cutoff) continue;
    if (fs_.Remove(path, &st)) {
      ++removed;
      log_.Debug("Removed stale config file: {}", name);
    } else if (!st.not_found()) {
      log_.Debug("Could not remove stale config file {}: {}", name, st.message);
    }
  }
  return removed;
}

// ---- refresh lease ----

struct TokenStore::Lease {
  int64_t pid = 0;
  std::string nonce;
  double at = 0;
};

namespace {

// ConfigLeaseSchema: {pid: int > 0, nonce: non-empty string, at: number}.
bool ParseLease(std::string_view text, int64_t* pid, std::string* nonce, double* at) {
  std::string why;
  const std::optional<json::value> v = ParseJson(text, &why);
  const json::object* o = v ? v->if_object() : nullptr;
  if (o == nullptr) return false;
  const json::value* p = o->if_contains("pid");
  const json::value* n = o->if_contains("nonce");
  const json::value* a = o->if_contains("at");
  if (p == nullptr || n == nullptr || a == nullptr || !IsNumber(*p) || !n->is_string() || !IsNumber(*a)) return false;
  const double pd = ToDouble(*p);
  if (!(pd > 0) || std::floor(pd) != pd || pd > static_cast<double>(kMaxSafe)) return false;
  if (n->get_string().empty() || !std::isfinite(ToDouble(*a))) return false;
  *pid = static_cast<int64_t>(pd);
  *nonce = std::string(n->get_string());
  *at = ToDouble(*a);
  return true;
}

}  // namespace

std::string TokenStore::FormatLease(int64_t pid, std::string_view nonce, int64_t at_ms) {
  JsObject o;
  Set(o, "pid", json::value(pid));
  Set(o, "nonce", json::string(nonce));
  Set(o, "at", json::value(at_ms));
  return Stringify(o);
}

TokenStore::LeaseState TokenStore::InspectLease(int64_t now_ms, std::string* bytes, std::optional<std::string>* nonce) {
  const std::string path = PathFor(kLeaseFile);
  FsStatus st;
  const std::optional<std::string> text = fs_.ReadFile(path, &st);
  if (!text && st.not_found()) return LeaseState::kAbsent;
  if (text) *bytes = *text;
  Lease lease;
  if (text && ParseLease(*text, &lease.pid, &lease.nonce, &lease.at)) {
    *nonce = lease.nonce;
    const bool live = static_cast<double>(now_ms) - lease.at < static_cast<double>(kLeaseMs) && fs_.ProcessAlive(lease.pid);
    return live ? LeaseState::kLive : LeaseState::kAbandoned;
  }
  // Unreadable or not a lease: npm writes the file after creating it, so a
  // fresh one may simply not be written yet.
  const std::optional<int64_t> mtime = fs_.ModifiedTimeMs(path, &st);
  if (!mtime) return st.not_found() ? LeaseState::kAbsent : LeaseState::kAbandoned;
  return now_ms - *mtime < kLeaseWriteGraceMs ? LeaseState::kLive : LeaseState::kAbandoned;
}

bool TokenStore::RemoveIfUnchanged(const std::string& path, const std::string& expected, int64_t now_ms) {
  // Move the file aside first, then look at what was moved: if a sibling
  // replaced the stale lease with a fresh one in the meantime, that one is
  // put back instead of being deleted under its owner.
  const std::string grave = fmt::format("{}.{}.{}-{}.tmp", path, fs_.CurrentPid(), now_ms, grave_seq_++);
  FsStatus st;
  if (!fs_.Rename(path, grave, &st)) return st.not_found();
  const std::optional<std::string> moved = fs_.ReadFile(grave, &st);
  bool removed_expected = moved.has_value() && *moved == expected;
  if (moved && !removed_expected) {
    FsStatus restore;
    if (!fs_.CreateExclusive(path, *moved, &restore) && !restore.exists()) {
      log_.Debug("Could not restore a lease taken aside: {}", restore.message);
    }
  }
  fs_.Remove(grave, &st);
  return removed_expected;
}

std::optional<std::string> TokenStore::TryAcquireLease(int64_t now_ms, LeaseDenial* why) {
  auto deny = [&](LeaseDenial d) -> std::optional<std::string> {
    if (why != nullptr) *why = d;
    return std::nullopt;
  };
  FsStatus st;
  if (!fs_.MakeDirs(store_dir_, &st, 0700)) {
    log_.Debug("Could not take the refresh lease: {}", st.message);
    return deny(LeaseDenial::kStoreUnusable);
  }
  const std::string nonce = RandomUuidV4();
  if (nonce.empty()) return deny(LeaseDenial::kStoreUnusable);
  const std::string path = PathFor(kLeaseFile);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const std::string content = FormatLease(fs_.CurrentPid(), nonce, now_ms);
    if (fs_.CreateExclusive(path, content, &st)) {
      // As npm does: make sure it is still ours (a sibling judging an older
      // lease stale may have removed it in between).
      FsStatus rs;
      const std::optional<std::string> back = fs_.ReadFile(path, &rs);
      if (back && *back == content) {
        held_nonce_ = nonce;
        return nonce;
      }
      return deny(LeaseDenial::kHeldByOther);
    }
    if (!st.exists()) {
      log_.Debug("Could not take the refresh lease: {}", st.message);
      return deny(LeaseDenial::kStoreUnusable);
    }
    if (attempt > 0) break;
    std::string bytes;
    std::optional<std::string> held_by;
    const LeaseState state = InspectLease(now_ms, &bytes, &held_by);
    if (state == LeaseState::kLive) break;
    if (state == LeaseState::kAbandoned) {
      log_.Debug("Clearing an abandoned refresh lease");
      if (!RemoveIfUnchanged(path, bytes, now_ms)) break;
    }
  }
  return deny(LeaseDenial::kHeldByOther);
}

bool TokenStore::ReleaseLease(std::string_view nonce) {
  if (held_nonce_ && *held_nonce_ == nonce) held_nonce_.reset();
  const std::string path = PathFor(kLeaseFile);
  FsStatus st;
  const std::optional<std::string> text = fs_.ReadFile(path, &st);
  Lease lease;
  if (!text || !ParseLease(*text, &lease.pid, &lease.nonce, &lease.at) || lease.nonce != nonce) return false;
  return RemoveIfUnchanged(path, *text, static_cast<int64_t>(lease.at));
}

bool TokenStore::LeaseHeldByOther(int64_t now_ms) {
  std::string bytes;
  std::optional<std::string> nonce;
  if (InspectLease(now_ms, &bytes, &nonce) != LeaseState::kLive) return false;
  return !(nonce && held_nonce_ && *nonce == *held_nonce_);
}

// ---- StormBrake ----

void StormBrake::Prune(int64_t now_ms) {
  std::erase_if(events_, [&](int64_t at) { return !(now_ms - at < window_ms_); });
}

bool StormBrake::Allow(int64_t now_ms) {
  Prune(now_ms);
  if (events_.size() >= limit_) return false;
  events_.push_back(now_ms);
  return true;
}

bool StormBrake::Tripped(int64_t now_ms) {
  Prune(now_ms);
  return events_.size() >= limit_;
}

}  // namespace mcpr
