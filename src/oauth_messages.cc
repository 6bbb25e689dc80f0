#include "oauth_messages.h"

#include <boost/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <utility>

#include "crypto.h"
#include "url.h"

namespace mcpr {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxBrowserUrlBytes = 16 * 1024;
constexpr std::size_t kMaxRawBodyInMessage = 256;

bool Fail(std::string* err, std::string why) {
  if (err != nullptr) *err = std::move(why);
  return false;
}

bool IsAlnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsUnreserved(unsigned char c) {
  return IsAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 characters allowed in a URL handed to a browser: unreserved,
// gen-delims, sub-delims minus '\'' ('%' is checked separately).
bool IsBrowserSafe(unsigned char c) {
  if (IsUnreserved(c)) return true;
  switch (c) {
    case ':': case '/': case '?': case '#': case '[': case ']': case '@':
    case '!': case '$': case '&': case '(': case ')': case '*': case '+': case ',':
    case ';': case '=':
      return true;
    default:
      return false;
  }
}

bool CheckBrowserChars(std::string_view url, std::string* err) {
  for (std::size_t i = 0; i < url.size(); ++i) {
    const auto c = static_cast<unsigned char>(url[i]);
    if (c == '%') {
      if (i + 2 >= url.size() || HexValue(url[i + 1]) < 0 || HexValue(url[i + 2]) < 0) {
        return Fail(err, "URL has a malformed percent-escape");
      }
      continue;
    }
    if (!IsBrowserSafe(c)) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02X", c);
      return Fail(err, std::string("URL contains a disallowed character (") + buf + ")");
    }
  }
  return true;
}

bool IsHostChar(unsigned char c) { return IsAlnum(c) || c == '-' || c == '.' || c == '_'; }

bool IsIpv6LiteralChar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
         c == '.';
}

bool CheckHost(std::string_view host) {
  if (host.empty()) return false;
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
    for (char c : host.substr(1, host.size() - 2)) {
      if (!IsIpv6LiteralChar(static_cast<unsigned char>(c))) return false;
    }
    return true;
  }
  for (char c : host) {
    if (!IsHostChar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// For log lines: controls and DEL become '?'.
std::string Printable(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) c = '?';
  }
  return out;
}

bool ParseObject(std::string_view text, json::value* out, std::string* err) {
  json::parse_options opt;
  opt.max_depth = 64;
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec, {}, opt);
  if (ec) return Fail(err, "not valid JSON (" + ec.message() + ")");
  if (!v.is_object()) return Fail(err, "not a JSON object");
  *out = std::move(v);
  return true;
}

std::string ToStd(const json::string& s) { return std::string(s.data(), s.size()); }

// Optional string member; false if present with another type.
bool ReadString(const json::object& obj, std::string_view key, std::string* out,
                std::string* err) {
  const json::value* v = obj.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr) return true;
  if (!v->is_string()) return Fail(err, std::string(key) + " is not a string");
  *out = ToStd(v->get_string());
  return true;
}

std::optional<std::int64_t> ClampSeconds(double d) {
  if (!std::isfinite(d) || d < 0) return std::nullopt;
  if (d >= static_cast<double>(kMaxExpiresIn)) return kMaxExpiresIn;
  return static_cast<std::int64_t>(d);
}

std::optional<std::int64_t> ReadExpiresIn(const json::value& v) {
  if (v.is_int64()) {
    const std::int64_t n = v.get_int64();
    if (n < 0) return std::nullopt;
    return n > kMaxExpiresIn ? kMaxExpiresIn : n;
  }
  if (v.is_uint64()) return kMaxExpiresIn;  // only values above INT64_MAX land here
  if (v.is_double()) return ClampSeconds(v.get_double());
  if (v.is_string()) {
    std::string_view s(v.get_string().data(), v.get_string().size());
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    if (s.empty()) return std::nullopt;
    for (char c : s) {
      if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
        return std::nullopt;
      }
    }
    double d = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return ClampSeconds(d);
  }
  return std::nullopt;
}

std::string ErrorMessage(const OAuthError& e) {
  if (e.error_description.empty()) return Printable(e.error);
  return Printable(e.error + ": " + e.error_description);
}

}  // namespace

std::string FormUrlEncode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c)) {
      out.push_back(ch);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string FormUrlDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string FormEncode(const FormParams& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += FormUrlEncode(key);
    out.push_back('=');
    out += FormUrlEncode(value);
  }
  return out;
}

FormParams ParseFormUrlEncoded(std::string_view query) {
  FormParams out;
  if (!query.empty() && query.front() == '?') query.remove_prefix(1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;
    const std::size_t eq = piece.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(FormUrlDecode(piece), std::string());
    } else {
      out.emplace_back(FormUrlDecode(piece.substr(0, eq)), FormUrlDecode(piece.substr(eq + 1)));
    }
  }
  return out;
}

std::string BuildAuthorizeUrl(std::string_view endpoint, const FormParams& params) {
  ParsedUrl url;
  if (!ParseUrl(endpoint, &url, nullptr)) return {};
  url.has_fragment = false;
  url.fragment.clear();
  if (params.empty()) return Href(url);
  FormParams query = ParseFormUrlEncoded(url.query);
  for (const auto& [key, value] : params) {
    bool found = false;
    for (auto it = query.begin(); it != query.end();) {
      if (it->first != key) {
        ++it;
      } else if (!found) {
        it->second = value;
        found = true;
        ++it;
      } else {
        it = query.erase(it);
      }
    }
    if (!found) query.emplace_back(key, value);
  }
  url.query = FormEncode(query);
  url.has_query = true;
  return Href(url);
}

bool ParseTokenResponse(std::string_view text, TokenResponse* out, std::string* err) {
  json::value doc;
  if (!ParseObject(text, &doc, err)) return false;
  const json::object& obj = doc.get_object();
  TokenResponse t;
  if (obj.if_contains("access_token") == nullptr && obj.if_contains("error") != nullptr) {
    OAuthError e;
    ParseOAuthError(0, text, &e);
    return Fail(err, "token endpoint returned an error: " + e.message);
  }
  if (!ReadString(obj, "access_token", &t.access_token, err)) return false;
  if (t.access_token.empty()) return Fail(err, "access_token is missing");
  if (!ReadString(obj, "token_type", &t.token_type, err)) return false;
  if (obj.if_contains("token_type") != nullptr && AsciiLower(t.token_type) != "bearer") {
    return Fail(err, "unsupported token_type \"" + Printable(t.token_type) + "\" (need Bearer)");
  }
  if (!ReadString(obj, "refresh_token", &t.refresh_token, err) ||
      !ReadString(obj, "id_token", &t.id_token, err) || !ReadString(obj, "scope", &t.scope, err)) {
    return false;
  }
  if (const json::value* v = obj.if_contains("expires_in")) t.expires_in = ReadExpiresIn(*v);
  t.raw_json = std::string(text);
  *out = std::move(t);
  return true;
}

bool ParseOAuthError(int status, std::string_view body, OAuthError* out) {
  OAuthError e;
  json::value doc;
  if (ParseObject(body, &doc, nullptr)) {
    const json::object& obj = doc.get_object();
    const json::value* error = obj.if_contains("error");
    if (error != nullptr && error->is_string()) {
      e.error = ToStd(error->get_string());
      ReadString(obj, "error_description", &e.error_description, nullptr);
      ReadString(obj, "error_uri", &e.error_uri, nullptr);
      e.message = ErrorMessage(e);
      *out = std::move(e);
      return true;
    }
  }
  e.error = "server_error";
  std::string message;
  if (status != 0) message = "HTTP " + std::to_string(status) + ": ";
  message += "Invalid OAuth error response. Raw body: ";
  message += Printable(body.substr(0, kMaxRawBodyInMessage));
  if (body.size() > kMaxRawBodyInMessage) message += "...";
  e.message = std::move(message);
  *out = std::move(e);
  return false;
}

bool ValidateBrowserUrl(std::string_view url, bool allow_http_loopback, std::string* err,
                        std::string* normalized) {
  if (url.empty()) return Fail(err, "URL is empty");
  if (url.size() > kMaxBrowserUrlBytes) return Fail(err, "URL is too long");
  if (!CheckBrowserChars(url, err)) return false;
  const std::size_t colon = url.find(':');
  const std::string scheme = AsciiLower(url.substr(0, colon == std::string_view::npos ? 0 : colon));
  if (scheme != "https" && scheme != "http") {
    return Fail(err, "URL scheme \"" + scheme + "\" is not allowed (only https)");
  }
  // Userinfo ("https://trusted@evil") is never legitimate here.
  std::string_view rest = url.substr(colon + 1);
  while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) return Fail(err, "URL has userinfo");

  ParsedUrl parsed;
  std::string why;
  if (!ParseUrl(url, &parsed, &why)) return Fail(err, "URL does not parse: " + why);
  if (!parsed.user.empty() || !parsed.password.empty()) return Fail(err, "URL has userinfo");
  if (!CheckHost(parsed.host)) return Fail(err, "URL host has disallowed characters");
  if (parsed.scheme != "https") {
    if (!allow_http_loopback || !IsLoopbackHost(parsed.host)) {
      return Fail(err, "URL must use https (http only to a loopback host)");
    }
  }
  std::string out = Href(parsed);
  if (!CheckBrowserChars(out, err)) return false;
  if (normalized != nullptr) *normalized = std::move(out);
  return true;
}

CallbackParams ParseCallbackQuery(std::string_view query) {
  CallbackParams out;
  bool seen_code = false, seen_state = false, seen_iss = false, seen_error = false,
       seen_desc = false, seen_uri = false;
  for (auto& pair : ParseFormUrlEncoded(query)) {
    const std::string& key = pair.first;
    auto take = [&pair](bool* seen, std::string* field) {
      if (*seen) return;
      *seen = true;
      *field = std::move(pair.second);
    };
    if (key == "code") {
      take(&seen_code, &out.code);
    } else if (key == "state") {
      take(&seen_state, &out.state);
    } else if (key == "iss") {
      take(&seen_iss, &out.iss);
    } else if (key == "error") {
      take(&seen_error, &out.error);
    } else if (key == "error_description") {
      take(&seen_desc, &out.error_description);
    } else if (key == "error_uri") {
      take(&seen_uri, &out.error_uri);
    }
  }
  out.has_iss = seen_iss;
  return out;
}

bool IsValidState(std::string_view state) {
  if (state.empty() || state.size() > 128) return false;
  for (char c : state) {
    const auto u = static_cast<unsigned char>(c);
    if (!IsAlnum(u) && c != '-' && c != '_') return false;
  }
  return true;
}

std::string BasicAuthorization(std::string_view client_id, std::string_view client_secret,
                               bool form_encode) {
  std::string credentials;
  if (form_encode) {
    credentials = FormUrlEncode(client_id) + ":" + FormUrlEncode(client_secret);
  } else {
    credentials = std::string(client_id) + ":" + std::string(client_secret);
  }
  return "Basic " + Base64(credentials);
}

}  // namespace mcpr
