#include "server_hash.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#ifndef _WIN32
#include <pwd.h>
#include <unistd.h>
#endif

#include "crypto.h"
#include "url.h"

namespace mcpr {

namespace {

#ifdef _WIN32
constexpr char kSep = '\\';
#else
constexpr char kSep = '/';
#endif

void AppendUtf16(char32_t cp, std::u16string* out) {
  if (cp >= 0x10000) {
    cp -= 0x10000;
    out->push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
    out->push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
  } else {
    out->push_back(static_cast<char16_t>(cp));
  }
}

// Well-formed UTF-8 -> UTF-16 code units.
std::u16string ToUtf16(std::string_view s) {
  std::u16string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    int extra = 0;
    char32_t cp = b;
    if (b >= 0xF0) {
      extra = 3;
      cp = b & 0x07;
    } else if (b >= 0xE0) {
      extra = 2;
      cp = b & 0x0F;
    } else if (b >= 0xC0) {
      extra = 1;
      cp = b & 0x1F;
    }
    ++i;
    for (int k = 0; k < extra && i < s.size(); ++k, ++i) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
    }
    AppendUtf16(cp, &out);
  }
  return out;
}

// JSON.stringify(obj, Object.keys(obj).sort()) for a string-valued object
// built by `obj[key] = value` in the given order.
std::string JsSortedObject(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::vector<std::pair<std::string, std::string>> unique;  // last value wins
  for (const auto& entry : entries) {
    const std::string& key = entry.first;  // (a structured binding can't be captured by clang 14)
    const std::string& value = entry.second;
    if (key == "__proto__") continue;  // assigning a string to __proto__ is a no-op
    auto it = std::find_if(unique.begin(), unique.end(), [&](const auto& e) { return e.first == key; });
    if (it != unique.end()) {
      it->second = value;
    } else {
      unique.emplace_back(key, value);
    }
  }
  std::stable_sort(unique.begin(), unique.end(),
                   [](const auto& a, const auto& b) { return JsStringLess(a.first, b.first); });
  std::string out = "{";
  for (const auto& [key, value] : unique) {
    if (out.size() > 1) out.push_back(',');
    out += JsJsonQuote(key);
    out.push_back(':');
    out += JsJsonQuote(value);
  }
  out.push_back('}');
  return out;
}

std::string StripTrailingSeparators(std::string_view p) {
  while (p.size() > 1 && (p.back() == '/' || p.back() == kSep)) p.remove_suffix(1);
  return std::string(p);
}

std::string Join(std::string_view dir, std::string_view name) {
  std::string out = StripTrailingSeparators(dir);
  if (out.empty()) return std::string(name);
  if (out.back() != '/' && out.back() != kSep) out.push_back(kSep);
  out += name;
  return out;
}

std::string HomeDir(const GetenvFn& getenv) {
#ifdef _WIN32
  const char* var = "USERPROFILE";
#else
  const char* var = "HOME";
#endif
  if (getenv) {
    if (auto home = getenv(var); home && !home->empty()) return *home;
  }
#ifndef _WIN32
  // What libuv's uv_os_homedir falls back to.
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* result = nullptr;
  if (getpwuid_r(getuid(), &pw, buf.data(), buf.size(), &result) == 0 && result != nullptr &&
      result->pw_dir != nullptr) {
    return result->pw_dir;
  }
#endif
  return ".";
}

}  // namespace

std::string ToWellFormedUtf8(std::string_view in) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    const auto b = static_cast<unsigned char>(in[i]);
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
      ++i;
      continue;
    }
    int needed = 0;
    unsigned char lower = 0x80;
    unsigned char upper = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      needed = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      needed = 2;
      if (b == 0xE0) lower = 0xA0;
      if (b == 0xED) upper = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      needed = 3;
      if (b == 0xF0) lower = 0x90;
      if (b == 0xF4) upper = 0x8F;
    } else {
      out += kReplacement;  // C0, C1, F5..FF, or a stray continuation byte
      ++i;
      continue;
    }
    // WHATWG: the first continuation byte has the special bounds, the rest
    // 80..BF; a bad byte ends the maximal subpart and is processed afresh.
    std::size_t j = i + 1;
    int seen = 0;
    while (seen < needed && j < in.size()) {
      const auto c = static_cast<unsigned char>(in[j]);
      if (c < lower || c > upper) break;
      lower = 0x80;
      upper = 0xBF;
      ++seen;
      ++j;
    }
    if (seen == needed) {
      out.append(in.substr(i, j - i));
    } else {
      out += kReplacement;
    }
    i = j;
  }
  return out;
}

std::string JsJsonQuote(std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
  return out;
}

bool JsStringLess(std::string_view a, std::string_view b) {
  // UTF-8 byte order equals code point order, which differs from UTF-16
  // order only between supplementary characters and U+E000..U+FFFF.
  return ToUtf16(a) < ToUtf16(b);
}

std::string ServerUrlHash(const Options& opts) {
  std::vector<std::string> parts;
  parts.push_back(ToWellFormedUtf8(opts.server_url));
  if (opts.resource && !opts.resource->empty() && !opts.disable_resource_parameter) {
    parts.push_back(ToWellFormedUtf8(*opts.resource));
  }
  auto object_part = [&](std::vector<std::pair<std::string, std::string>> entries) {
    for (auto& [key, value] : entries) {
      key = ToWellFormedUtf8(key);
      value = ToWellFormedUtf8(value);
    }
    const bool any = std::any_of(entries.begin(), entries.end(),
                                 [](const auto& e) { return e.first != "__proto__"; });
    if (any) parts.push_back(JsSortedObject(entries));
  };
  object_part(opts.authorize_params);
  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(opts.headers.size());
  for (const HeaderSpec& h : opts.headers) headers.emplace_back(h.name, h.raw_value);
  object_part(std::move(headers));
  if (!opts.client_metadata_url.empty()) parts.push_back(ToWellFormedUtf8(opts.client_metadata_url));
  if (!opts.token_endpoint.empty()) {
    const std::string endpoint = ToWellFormedUtf8(opts.token_endpoint);
    std::string normalized;
    // npm refuses to start on an unparsable endpoint; hash the text if so.
    parts.push_back(NormalizeUrl(endpoint, &normalized, nullptr) ? normalized : endpoint);
  }
  std::string joined;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i != 0) joined.push_back('|');
    joined += parts[i];
  }
  return Md5Hex(joined);
}

int DefaultCallbackPort(std::string_view hash) {
  // parseInt(hash.substring(0, 4), 16): leading hex digits only.
  int value = 0;
  for (std::size_t i = 0; i < hash.size() && i < 4; ++i) {
    const char c = hash[i];
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0) break;
    value = value * 16 + d;
  }
  return 3335 + value % 45816;
}

std::string ConfigBaseDir(const GetenvFn& getenv) {
  if (getenv) {
    if (auto dir = getenv("MCP_REMOTE_CONFIG_DIR"); dir && !dir->empty()) return *dir;
  }
  return Join(HomeDir(getenv), ".mcp-auth");
}

std::string StoreDir(std::string_view base) { return Join(base, "mcp-remote-v1"); }

std::string DebugLogPath(std::string_view store_dir, std::string_view hash) {
  return Join(store_dir, std::string(hash) + "_debug.log");
}

}  // namespace mcpr
