#include "www_authenticate.h"


namespace mcpr {

namespace {

bool IsAlnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 9110 §5.6.2 tchar.
bool IsTchar(unsigned char c) {
  if (IsAlnum(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// RFC 9110 §11.2 token68 (without the trailing '='s).
bool IsToken68Char(unsigned char c) {
  return IsAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

bool IsWs(char c) { return c == ' ' || c == '\t'; }

// CTL other than HTAB: not allowed inside a quoted-string.
bool IsCtl(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7F; }

// Lenient unquoted parameter value: visible ASCII or obs-text, minus the
// list separator and the quote.
bool IsLenientValueChar(unsigned char c) { return c > 0x20 && c != 0x7F && c != ',' && c != '"'; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s), n_(s.size()) {}

  std::vector<AuthChallenge> Run() {
    std::vector<AuthChallenge> out;
    std::size_t i = 0;
    while (i < n_) {
      while (i < n_ && (IsWs(s_[i]) || s_[i] == ',')) ++i;
      if (i >= n_) break;
      const std::size_t tlen = TokenLen(i);
      const std::size_t after = i + tlen;
      if (tlen == 0 || (after < n_ && !IsWs(s_[after]) && s_[after] != ',')) {
        i = SkipToComma(i);  // not a challenge: skip the element
        continue;
      }
      AuthChallenge c;
      c.scheme = Lower(s_.substr(i, tlen));
      i = SkipWs(after);
      if (i < n_ && s_[i] != ',') i = ParseParams(i, &c);
      out.push_back(std::move(c));
    }
    return out;
  }

 private:
  std::size_t TokenLen(std::size_t i) const {
    std::size_t k = i;
    while (k < n_ && IsTchar(static_cast<unsigned char>(s_[k]))) ++k;
    return k - i;
  }

  std::size_t SkipWs(std::size_t i) const {
    while (i < n_ && IsWs(s_[i])) ++i;
    return i;
  }

  // Index of the next ',' outside a quoted string, or n_.
  std::size_t SkipToComma(std::size_t i) const {
    bool quoted = false;
    while (i < n_) {
      const char c = s_[i];
      if (quoted) {
        if (c == '\\') {
          i += 2;
          continue;
        }
        if (c == '"') quoted = false;
      } else {
        if (c == ',') return i;
        if (c == '"') quoted = true;
      }
      ++i;
    }
    return n_;
  }

  // token BWS "=" BWS value-start at i?
  bool LooksLikeParam(std::size_t i) const {
    const std::size_t tlen = TokenLen(i);
    if (tlen == 0) return false;
    std::size_t k = SkipWs(i + tlen);
    if (k >= n_ || s_[k] != '=') return false;
    k = SkipWs(k + 1);
    if (k >= n_) return false;
    const auto c = static_cast<unsigned char>(s_[k]);
    return c == '"' || (IsLenientValueChar(c) && c != '=');
  }

  // token68 at i followed by OWS and then end or ','? Returns its length
  // (with the '=' padding), or 0.
  std::size_t Token68Len(std::size_t i) const {
    std::size_t k = i;
    while (k < n_ && IsToken68Char(static_cast<unsigned char>(s_[k]))) ++k;
    if (k == i) return 0;
    while (k < n_ && s_[k] == '=') ++k;
    const std::size_t w = SkipWs(k);
    return (w >= n_ || s_[w] == ',') ? k - i : 0;
  }

  // Reads the quoted-string starting at s_[i] == '"'. Returns the index
  // after the closing quote, or n_ if unterminated (then *ok = false).
  std::size_t ReadQuoted(std::size_t i, std::string* value, bool* ok) const {
    *ok = true;
    ++i;
    while (i < n_) {
      const auto c = static_cast<unsigned char>(s_[i]);
      if (c == '"') return i + 1;
      if (c == '\\') {
        if (i + 1 >= n_) break;
        const auto e = static_cast<unsigned char>(s_[i + 1]);
        if (IsCtl(e)) *ok = false;
        value->push_back(static_cast<char>(e));
        i += 2;
        continue;
      }
      if (IsCtl(c)) *ok = false;
      value->push_back(static_cast<char>(c));
      ++i;
    }
    *ok = false;
    return n_;
  }

  // The token68 or auth-param list after "scheme 1*SP", starting at a
  // non-space, non-comma character. Returns where the next challenge may
  // start (at a ',' or the end).
  std::size_t ParseParams(std::size_t i, AuthChallenge* c) const {
    bool first = true;
    while (true) {
      if (first) {
        first = false;
        if (!LooksLikeParam(i)) {
          const std::size_t len = Token68Len(i);
          if (len != 0) {
            c->token68 = std::string(s_.substr(i, len));
            return SkipWs(i + len);
          }
          i = SkipToComma(i);  // garbage; parameters may still follow
          continue;
        }
      } else {
        while (i < n_ && (IsWs(s_[i]) || s_[i] == ',')) ++i;
        if (i >= n_ || !LooksLikeParam(i)) return i;  // a new challenge (or garbage)
      }
      const std::size_t tlen = TokenLen(i);
      std::string name = Lower(s_.substr(i, tlen));
      i = SkipWs(i + tlen);
      i = SkipWs(i + 1);  // past '='
      std::string value;
      bool ok = true;
      if (s_[i] == '"') {
        i = ReadQuoted(i, &value, &ok);
        if (i >= n_ && !ok) return n_;  // unterminated: the rest is inside it
      } else {
        const std::size_t start = i;
        while (i < n_ && IsLenientValueChar(static_cast<unsigned char>(s_[i]))) ++i;
        value = std::string(s_.substr(start, i - start));
      }
      if (ok && c->Find(name) == nullptr) c->params.emplace_back(std::move(name), std::move(value));
      i = SkipWs(i);
      if (i < n_ && s_[i] != ',') i = SkipToComma(i);  // trailing garbage
    }
  }

  std::string_view s_;
  std::size_t n_;
};

}  // namespace

const std::string* AuthChallenge::Find(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::vector<AuthChallenge> ParseWwwAuthenticate(std::string_view header) {
  if (header.size() > kMaxWwwAuthenticateBytes) return {};
  return Parser(header).Run();
}

BearerChallenge FindBearer(const std::vector<std::string>& header_values) {
  BearerChallenge out;
  for (const std::string& value : header_values) {
    for (const AuthChallenge& c : ParseWwwAuthenticate(value)) {
      if (c.scheme != "bearer") continue;
      out.present = true;
      auto take = [&c](std::string_view name, std::string* field) {
        if (const std::string* v = c.Find(name)) *field = *v;
      };
      take("resource_metadata", &out.resource_metadata);
      take("scope", &out.scope);
      take("error", &out.error);
      take("error_description", &out.error_description);
      return out;
    }
  }
  return out;
}

}  // namespace mcpr
