// The validator is a hand-written single pass. Containers are tracked on a
// fixed array of kMaxJsonDepth flags (no recursion, so no stack overflow on
// hostile nesting). Only the top-level object, and the "params" object one
// level down, are walked member by member to record spans; everything else
// goes through the generic iterative Value(). Strings are scanned eight bytes
// at a time (SWAR); UTF-8 is validated by hand (RFC 3629: no overlongs, no
// encoded surrogates, nothing above U+10FFFF) with a branch-free DFA.
#include "jsonrpc.h"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <system_error>

#include <fmt/format.h>

namespace mcpr {
namespace {

static_assert(kMaxJsonDepth >= 2, "the peek walks two object levels");

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

inline std::uint64_t Load8(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Non-zero iff some byte of v is < 0x20, '"' or '\\'. Bytes >= 0x80 never
// count. (The classic "has zero byte" trick: exact as a yes/no answer, which
// is all we use.)
inline std::uint64_t HasAsciiSpecial(std::uint64_t v) {
  const std::uint64_t quote = v ^ (kOnes * '"');
  const std::uint64_t slash = v ^ (kOnes * '\\');
  return (((v - kOnes * 0x20) & ~v) | ((quote - kOnes) & ~quote) | ((slash - kOnes) & ~slash)) &
         kHighs;
}

// UTF-8 validation as a "shift DFA": a state is a bit offset (a multiple of
// 6) and kUtf8Rows[byte] packs, for every state, the offset of the next
// state at that state's offset. One step is then a shift and a mask whose
// only dependency on the previous byte is the state itself, so mixed
// non-ASCII text costs about a cycle per byte and no branches.
enum Utf8State : std::uint64_t {
  kUtf8Accept = 0,      // between characters
  kUtf8Reject = 6,      // absorbing
  kUtf8Need1 = 12,      // one more 80..BF
  kUtf8Need2 = 18,      // two more 80..BF
  kUtf8AfterE0 = 24,    // A0..BF then one more (no overlongs)
  kUtf8AfterED = 30,    // 80..9F then one more (no surrogates)
  kUtf8Need3 = 36,      // three more 80..BF
  kUtf8AfterF0 = 42,    // 90..BF then two more (no overlongs)
  kUtf8AfterF4 = 48,    // 80..8F then two more (nothing above U+10FFFF)
};

constexpr std::uint64_t Utf8Next(std::uint64_t state, unsigned b) {
  const bool cont_lo = b >= 0x80 && b <= 0x8F;
  const bool cont_mid = b >= 0x90 && b <= 0x9F;
  const bool cont_hi = b >= 0xA0 && b <= 0xBF;
  const bool cont = cont_lo || cont_mid || cont_hi;
  switch (state) {
    case kUtf8Accept:
      if (b < 0x80) return kUtf8Accept;
      if (b >= 0xC2 && b <= 0xDF) return kUtf8Need1;
      if (b == 0xE0) return kUtf8AfterE0;
      if (b == 0xED) return kUtf8AfterED;
      if (b >= 0xE1 && b <= 0xEF) return kUtf8Need2;
      if (b == 0xF0) return kUtf8AfterF0;
      if (b >= 0xF1 && b <= 0xF3) return kUtf8Need3;
      if (b == 0xF4) return kUtf8AfterF4;
      return kUtf8Reject;
    case kUtf8Need1: return cont ? kUtf8Accept : kUtf8Reject;
    case kUtf8Need2: return cont ? kUtf8Need1 : kUtf8Reject;
    case kUtf8AfterE0: return cont_hi ? kUtf8Need1 : kUtf8Reject;
    case kUtf8AfterED: return cont_lo || cont_mid ? kUtf8Need1 : kUtf8Reject;
    case kUtf8Need3: return cont ? kUtf8Need2 : kUtf8Reject;
    case kUtf8AfterF0: return cont_mid || cont_hi ? kUtf8Need2 : kUtf8Reject;
    case kUtf8AfterF4: return cont_lo ? kUtf8Need2 : kUtf8Reject;
    default: return kUtf8Reject;
  }
}

struct Utf8Rows {
  std::uint64_t row[256] = {};
  constexpr Utf8Rows() {
    for (unsigned b = 0; b < 256; ++b) {
      for (std::uint64_t state = 0; state <= kUtf8AfterF4; state += 6) {
        row[b] |= Utf8Next(state, b) << state;
      }
    }
  }
};
constexpr Utf8Rows kUtf8Rows;

inline std::uint64_t Utf8Step(std::uint64_t state, char c) {
  return (kUtf8Rows.row[static_cast<unsigned char>(c)] >> state) & 63;
}

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

inline int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

inline bool IsCont(unsigned char c) { return (c & 0xC0) == 0x80; }

// Length of the well-formed UTF-8 sequence starting with a byte >= 0x80 at
// p, or 0 if it is ill-formed (or truncated by end).
inline std::size_t Utf8SeqLen(const char* p, const char* end) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  const std::size_t avail = static_cast<std::size_t>(end - p);
  const unsigned c = u[0];
  if (c < 0xC2) return 0;  // stray continuation byte or overlong 2-byte lead
  if (c < 0xE0) return avail >= 2 && IsCont(u[1]) ? 2 : 0;
  if (c < 0xF0) {
    if (avail < 3) return 0;
    const unsigned lo = c == 0xE0 ? 0xA0 : 0x80;  // E0: overlong below A0
    const unsigned hi = c == 0xED ? 0x9F : 0xBF;  // ED: A0..BF = surrogates
    return u[1] >= lo && u[1] <= hi && IsCont(u[2]) ? 3 : 0;
  }
  if (c < 0xF5) {
    if (avail < 4) return 0;
    const unsigned lo = c == 0xF0 ? 0x90 : 0x80;  // F0: overlong below 90
    const unsigned hi = c == 0xF4 ? 0x8F : 0xBF;  // F4: above U+10FFFF past 8F
    return u[1] >= lo && u[1] <= hi && IsCont(u[2]) && IsCont(u[3]) ? 4 : 0;
  }
  return 0;
}

void AppendUtf8(std::string* out, std::uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {  // lone surrogates land here too (WTF-8)
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// p is just past the opening quote. Returns the position just past the
// closing quote, or nullptr if the string is not valid. Eight bytes at a
// time: plain ASCII is skipped, words with UTF-8 but no quote, backslash or
// control byte go through the DFA unrolled; only words with those go byte
// by byte.
const char* ScanString(const char* p, const char* end, bool* has_escape) {
  std::uint64_t utf8 = kUtf8Accept;
  for (;;) {
    while (end - p >= 8) {
      const std::uint64_t w = Load8(p);
      if (HasAsciiSpecial(w) != 0) break;
      if ((w & kHighs) != 0 || utf8 != kUtf8Accept) {
        for (int i = 0; i < 8; ++i) utf8 = Utf8Step(utf8, p[i]);
        if (utf8 == kUtf8Reject) return nullptr;
      }
      p += 8;
    }
    if (p == end) return nullptr;
    const char* const stop = end - p >= 8 ? p + 8 : end;
    while (p < stop) {
      const auto c = static_cast<unsigned char>(*p);
      if (c == '"') return utf8 == kUtf8Accept ? p + 1 : nullptr;
      if (c == '\\') {
        if (utf8 != kUtf8Accept || end - p < 2) return nullptr;
        switch (p[1]) {
          case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            p += 2;
            break;
          case 'u':
            if (end - p < 6 || HexValue(p[2]) < 0 || HexValue(p[3]) < 0 ||
                HexValue(p[4]) < 0 || HexValue(p[5]) < 0) {
              return nullptr;
            }
            p += 6;
            break;
          default:
            return nullptr;
        }
        if (has_escape != nullptr) *has_escape = true;
        continue;
      }
      if (c < 0x20) return nullptr;
      utf8 = Utf8Step(utf8, static_cast<char>(c));
      if (utf8 == kUtf8Reject) return nullptr;
      ++p;
    }
  }
}

inline unsigned Hex4(const char* p) {
  return static_cast<unsigned>(HexValue(p[0]) << 12 | HexValue(p[1]) << 8 | HexValue(p[2]) << 4 |
                               HexValue(p[3]));
}

// Decodes the inside of an already validated string token (no quotes).
// Unpaired surrogate escapes become U+FFFD, or their WTF-8 encoding when
// `keep_surrogates` (so that distinct JS strings keep distinct keys).
void DecodeValidated(std::string_view in, bool keep_surrogates, std::string* out) {
  out->clear();
  out->reserve(in.size());
  const char* p = in.data();
  const char* const end = p + in.size();
  while (p != end) {
    const auto* bs = static_cast<const char*>(std::memchr(p, '\\', static_cast<std::size_t>(end - p)));
    if (bs == nullptr) {
      out->append(p, end);
      return;
    }
    out->append(p, bs);
    p = bs + 1;
    const char e = *p++;
    switch (e) {
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        std::uint32_t cp = Hex4(p);
        p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
          const std::uint32_t lo = Hex4(p + 2);
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            p += 6;
          }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF && !keep_surrogates) cp = 0xFFFD;
        AppendUtf8(out, cp);
        break;
      }
      default: out->push_back(e); break;  // '"', '\\', '/'
    }
  }
}

bool DecodeToken(std::string_view token, bool keep_surrogates, std::string* out) {
  if (token.size() < 2 || token.front() != '"') return false;
  bool escaped = false;
  const char* end = token.data() + token.size();
  if (ScanString(token.data() + 1, end, &escaped) != end) return false;
  const std::string_view inner = token.substr(1, token.size() - 2);
  if (escaped) {
    DecodeValidated(inner, keep_surrogates, out);
  } else {
    out->assign(inner);
  }
  return true;
}

const char* ScanNumber(const char* p, const char* end) {
  if (p != end && *p == '-') ++p;
  if (p == end) return nullptr;
  if (*p == '0') {
    ++p;
  } else if (*p >= '1' && *p <= '9') {
    while (++p != end && IsDigit(*p)) {}
  } else {
    return nullptr;
  }
  if (p != end && *p == '.') {
    if (++p == end || !IsDigit(*p)) return nullptr;
    while (++p != end && IsDigit(*p)) {}
  }
  if (p != end && (*p == 'e' || *p == 'E')) {
    if (++p != end && (*p == '+' || *p == '-')) ++p;
    if (p == end || !IsDigit(*p)) return nullptr;
    while (++p != end && IsDigit(*p)) {}
  }
  return p;
}

class Parser {
 public:
  explicit Parser(std::string_view text)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  void SkipWs() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool AtEnd() const { return p_ == end_; }
  char Peek() const { return p_ == end_ ? '\0' : *p_; }  // callers may peek at the end
  std::size_t Pos() const { return static_cast<std::size_t>(p_ - begin_); }
  Span SpanFrom(std::size_t start) const { return Span{start, Pos() - start}; }

  // One complete value (leading whitespace allowed, trailing not consumed),
  // nested inside `depth` already open containers.
  bool Value(int depth) {
    bool is_object[kMaxJsonDepth];  // open containers beyond `depth`
    int open = 0;
    for (;;) {
      SkipWs();
      if (p_ == end_) return false;
      switch (*p_) {
        case '{':
        case '[': {
          const bool obj = *p_ == '{';
          if (depth + open >= kMaxJsonDepth) return false;
          ++p_;
          SkipWs();
          if (p_ == end_) return false;
          if (*p_ == (obj ? '}' : ']')) {
            ++p_;
            break;  // an empty container is a complete value
          }
          is_object[open++] = obj;
          if (obj && !Key()) return false;
          continue;  // parse the first member value / element
        }
        case '"':
          if (!String(nullptr)) return false;
          break;
        case 't':
          if (!Literal("true")) return false;
          break;
        case 'f':
          if (!Literal("false")) return false;
          break;
        case 'n':
          if (!Literal("null")) return false;
          break;
        default:
          p_ = ScanNumber(p_, end_);
          if (p_ == nullptr) return false;
          break;
      }
      // A value just ended: close containers until one wants another value.
      for (;;) {
        if (open == 0) return true;
        SkipWs();
        if (p_ == end_) return false;
        const char c = *p_++;
        if (c == ',') {
          if (is_object[open - 1] && !Key()) return false;
          break;
        }
        if (c != (is_object[open - 1] ? '}' : ']')) return false;
        --open;
      }
    }
  }

  // p_ at '"'. Advances past the closing quote.
  bool String(bool* has_escape) {
    const char* after = ScanString(p_ + 1, end_, has_escape);
    if (after == nullptr) return false;
    p_ = after;
    return true;
  }

  // Walks an object at p_ == '{'. For each member, calls
  // on_member(raw_key_without_quotes, key_has_escape) with p_ at the value;
  // the callback must consume the value.
  template <class F>
  bool WalkObject(F&& on_member) {
    ++p_;
    SkipWs();
    if (p_ == end_) return false;
    if (*p_ == '}') {
      ++p_;
      return true;
    }
    for (;;) {
      if (p_ == end_ || *p_ != '"') return false;
      const char* key_begin = p_ + 1;
      bool escaped = false;
      if (!String(&escaped)) return false;
      const std::string_view key(key_begin, static_cast<std::size_t>(p_ - 1 - key_begin));
      SkipWs();
      if (p_ == end_ || *p_ != ':') return false;
      ++p_;
      SkipWs();
      if (!on_member(key, escaped)) return false;
      SkipWs();
      if (p_ == end_) return false;
      if (*p_ == '}') {
        ++p_;
        return true;
      }
      if (*p_ != ',') return false;
      ++p_;
      SkipWs();
    }
  }

  // Walks an array at p_ == '['; on_element() must consume each element.
  template <class F>
  bool WalkArray(F&& on_element) {
    ++p_;
    SkipWs();
    if (p_ == end_) return false;
    if (*p_ == ']') {
      ++p_;
      return true;
    }
    for (;;) {
      if (!on_element()) return false;
      SkipWs();
      if (p_ == end_) return false;
      if (*p_ == ']') {
        ++p_;
        return true;
      }
      if (*p_ != ',') return false;
      ++p_;
      SkipWs();
    }
  }

 private:
  // Whitespace, a string, whitespace and ':' (member value follows).
  bool Key() {
    SkipWs();
    if (p_ == end_ || *p_ != '"' || !String(nullptr)) return false;
    SkipWs();
    if (p_ == end_ || *p_ != ':') return false;
    ++p_;
    return true;
  }

  bool Literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
};

// Compares a raw (undecoded) object key with a plain ASCII name.
class KeyMatcher {
 public:
  KeyMatcher(std::string_view raw, bool escaped) : key_(raw) {
    if (escaped) {
      DecodeValidated(raw, false, &decoded_);
      key_ = decoded_;
    }
  }
  bool Is(std::string_view name) const { return key_ == name; }

 private:
  std::string_view key_;
  std::string decoded_;
};

enum class JsonType { kString, kNumber, kNull, kBool, kObject, kArray };

JsonType TypeOf(std::string_view value) {
  switch (value.front()) {
    case '"': return JsonType::kString;
    case 'n': return JsonType::kNull;
    case 't':
    case 'f': return JsonType::kBool;
    case '{': return JsonType::kObject;
    case '[': return JsonType::kArray;
    default: return JsonType::kNumber;
  }
}

PeekError Fail(PeekError e, std::string* why, const char* reason) {
  if (why != nullptr) *why = reason;
  return e;
}

}  // namespace

PeekError PeekMessage(std::string_view text, Peek* out, std::string* why) {
  *out = Peek{};
  if (why != nullptr) why->clear();

  Parser parser(text);
  parser.SkipWs();
  if (parser.AtEnd()) return Fail(PeekError::kParse, why, "empty message");

  // Pass 1: validate everything, recording spans of the interesting members.
  Span jsonrpc, method, id, params, result, error, name, uri;
  const char first = parser.Peek();
  bool ok;
  if (first == '{') {
    ok = parser.WalkObject([&](std::string_view raw_key, bool escaped) {
      const KeyMatcher key(raw_key, escaped);
      const std::size_t start = parser.Pos();
      Span* slot = key.Is("jsonrpc")  ? &jsonrpc
                   : key.Is("method") ? &method
                   : key.Is("id")     ? &id
                   : key.Is("params") ? &params
                   : key.Is("result") ? &result
                   : key.Is("error")  ? &error
                                      : nullptr;
      if (slot == &params && !params.present() && parser.Peek() == '{') {
        // The first "params" object: note its name/uri members on the way.
        const bool params_ok = parser.WalkObject([&](std::string_view raw_key2, bool escaped2) {
          const KeyMatcher key2(raw_key2, escaped2);
          const std::size_t start2 = parser.Pos();
          if (!parser.Value(2)) return false;
          Span* slot2 = key2.Is("name") ? &name : key2.Is("uri") ? &uri : nullptr;
          if (slot2 != nullptr && !slot2->present()) *slot2 = parser.SpanFrom(start2);
          return true;
        });
        if (!params_ok) return false;
      } else if (!parser.Value(1)) {
        return false;
      }
      if (slot != nullptr && !slot->present()) *slot = parser.SpanFrom(start);
      return true;
    });
  } else if (first == '[') {
    ok = parser.WalkArray([&] {
      const std::size_t start = parser.Pos();
      if (!parser.Value(1)) return false;
      out->items.push_back(parser.SpanFrom(start));
      return true;
    });
  } else {
    ok = parser.Value(0);
  }
  if (ok) {
    parser.SkipWs();
    if (!parser.AtEnd()) {
      out->items.clear();
      return Fail(PeekError::kParse, why, "unexpected data after the JSON value");
    }
  } else {
    out->items.clear();
    return Fail(PeekError::kParse, why, "invalid JSON");
  }

  // Pass 2: JSON-RPC shape.
  if (first == '[') {
    if (out->items.empty()) return Fail(PeekError::kInvalid, why, "empty batch");
    out->kind = MessageKind::kBatch;
    return PeekError::kNone;
  }
  if (first != '{') return Fail(PeekError::kInvalid, why, "message is not an object");

  const std::string_view id_raw = id.present() ? id.in(text) : std::string_view();
  const JsonType id_type = id.present() ? TypeOf(id_raw) : JsonType::kNull;
  if (id.present() && (id_type == JsonType::kString || id_type == JsonType::kNumber)) {
    out->id = id;  // usable: an error response can echo it
  }

  if (!jsonrpc.present()) return Fail(PeekError::kInvalid, why, "missing \"jsonrpc\"");
  if (jsonrpc.in(text) != "\"2.0\"") {
    std::string version;
    if (!DecodeToken(jsonrpc.in(text), false, &version) || version != "2.0") {
      return Fail(PeekError::kInvalid, why, "\"jsonrpc\" is not \"2.0\"");
    }
  }

  out->params = params;
  out->result = result;
  out->error = error;

  if (method.present()) {
    if (!DecodeToken(method.in(text), false, &out->method)) {
      return Fail(PeekError::kInvalid, why, "\"method\" is not a string");
    }
    if (result.present() || error.present()) {
      return Fail(PeekError::kInvalid, why, "message has both \"method\" and a result/error");
    }
    if (!id.present()) {
      out->kind = MessageKind::kNotification;
    } else if (out->id.present()) {
      out->kind = MessageKind::kRequest;
    } else {
      return Fail(PeekError::kInvalid, why,
                  id_type == JsonType::kNull ? "request id is null"
                                             : "request id is not a string or number");
    }
    const Span* wanted = nullptr;
    if (out->method == "tools/call" || out->method == "prompts/get") {
      wanted = &name;
    } else if (out->method == "resources/read") {
      wanted = &uri;
    }
    if (wanted != nullptr && wanted->present() && TypeOf(wanted->in(text)) == JsonType::kString) {
      out->has_name = DecodeToken(wanted->in(text), false, &out->name);
    }
    return PeekError::kNone;
  }

  if (!id.present()) {
    return Fail(PeekError::kInvalid, why, "message has neither \"method\" nor \"id\"");
  }
  if (id_type != JsonType::kNull && !out->id.present()) {
    return Fail(PeekError::kInvalid, why, "response id is not a string, number or null");
  }
  if (result.present() == error.present()) {
    return Fail(PeekError::kInvalid, why,
                result.present() ? "response has both \"result\" and \"error\""
                                 : "response has neither \"result\" nor \"error\"");
  }
  out->id = id;
  out->kind = MessageKind::kResponse;
  return PeekError::kNone;
}

bool DecodeJsonString(std::string_view token, std::string* out) {
  return DecodeToken(token, false, out);
}

namespace {

// For a JSON number that std::from_chars reports out of range: +-inf when
// its magnitude is huge, +-0 when it is tiny (what JavaScript's Number()
// gives).
bool NumberOverflows(std::string_view num) {
  std::size_t i = num.front() == '-' ? 1 : 0;
  long long mag = 0;  // decimal exponent of the first non-zero digit
  bool found = false;
  long long int_digits = 0;
  for (; i < num.size() && IsDigit(num[i]); ++i, ++int_digits) {
    if (!found && num[i] != '0') {
      found = true;
      mag = -int_digits;  // completed once the integer length is known
    }
  }
  if (found) mag += int_digits - 1;
  if (i < num.size() && num[i] == '.') {
    long long frac_pos = 0;
    for (++i; i < num.size() && IsDigit(num[i]); ++i) {
      --frac_pos;
      if (!found && num[i] != '0') {
        found = true;
        mag = frac_pos;
      }
    }
  }
  if (!found) return false;
  long long exp = 0;
  if (i < num.size() && (num[i] == 'e' || num[i] == 'E')) {
    ++i;
    bool neg = false;
    if (num[i] == '+' || num[i] == '-') neg = num[i++] == '-';
    for (; i < num.size(); ++i) {
      exp = exp * 10 + (num[i] - '0');
      if (exp > 1000000000LL) break;  // far beyond any double either way
    }
    if (neg) exp = -exp;
  }
  return mag + exp > 0;
}

}  // namespace

std::string IdKey(std::string_view raw) {
  while (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t' || raw.front() == '\n' ||
                          raw.front() == '\r')) {
    raw.remove_prefix(1);
  }
  while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' ||
                          raw.back() == '\r')) {
    raw.remove_suffix(1);
  }
  if (raw.empty()) return "x";
  std::string key;
  switch (TypeOf(raw)) {
    case JsonType::kString:
      key = "s";
      {
        std::string value;
        if (!DecodeToken(raw, true, &value)) return "x" + std::string(raw);
        key += value;
      }
      return key;
    case JsonType::kNull:
      return raw == "null" ? "null" : "x" + std::string(raw);
    case JsonType::kNumber: {
      if (ScanNumber(raw.data(), raw.data() + raw.size()) != raw.data() + raw.size()) {
        return "x" + std::string(raw);
      }
      double value = 0;
      const auto res = std::from_chars(raw.data(), raw.data() + raw.size(), value);
      if (res.ec == std::errc::result_out_of_range) {
        value = NumberOverflows(raw) ? std::numeric_limits<double>::infinity() : 0.0;
        if (raw.front() == '-') value = -value;
      } else if (res.ec != std::errc() || res.ptr != raw.data() + raw.size()) {
        return "x" + std::string(raw);
      }
      if (value == 0) value = 0;  // -0 === 0 in JavaScript
      return "n" + fmt::format("{}", value);
    }
    default:
      return "x" + std::string(raw);  // bool/object/array: not a valid id
  }
}

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->reserve(out->size() + s.size() + 2);
  out->push_back('"');
  const char* p = s.data();
  const char* const end = p + s.size();
  const char* run = p;  // start of bytes not yet copied
  while (p != end) {
    const auto c = static_cast<unsigned char>(*p);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++p;
      continue;
    }
    if (c >= 0x80) {
      if (const std::size_t n = Utf8SeqLen(p, end); n != 0) {
        p += n;
        continue;
      }
    }
    out->append(run, p);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->append("\xEF\xBF\xBD");  // ill-formed UTF-8 -> U+FFFD
        }
        break;
    }
    run = ++p;
  }
  out->append(run, p);
  out->push_back('"');
}

std::string MakeErrorResponse(std::string_view raw_id, int code, std::string_view message) {
  std::string out = R"({"jsonrpc":"2.0","id":)";
  out.append(raw_id.empty() ? std::string_view("null") : raw_id);
  out.append(R"(,"error":{"code":)");
  out.append(std::to_string(code));
  out.append(R"(,"message":)");
  AppendJsonString(&out, message);
  out.append("}}");
  return out;
}

}  // namespace mcpr
