#include "http_request_parser.h"

namespace mcpr {
namespace {

bool IsTchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!IsTchar(static_cast<unsigned char>(c))) return false;
  return true;
}

bool IsFieldValueChar(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

const std::string* HttpRequestHead::Find(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return &value;
  return nullptr;
}

HttpRequestParser::Result HttpRequestParser::Fail(int status, const char* reason) {
  result_ = Result::kError;
  error_status_ = status;
  error_reason_ = reason;
  line_.clear();
  return result_;
}

HttpRequestParser::Result HttpRequestParser::Feed(std::string_view data, std::size_t* consumed) {
  if (consumed) *consumed = 0;
  if (result_ != Result::kNeedMore) return result_;
  std::size_t used = 0;
  while (used < data.size()) {
    const std::size_t room = max_bytes_ - total_;
    if (room == 0) break;  // handled below: a full buffer without a complete head
    const std::string_view chunk = data.substr(used, room);
    const std::size_t nl = chunk.find('\n');
    const std::size_t take = nl == std::string_view::npos ? chunk.size() : nl + 1;
    used += take;
    total_ += take;
    if (nl == std::string_view::npos) {
      line_.append(chunk.data(), take);
      break;
    }
    line_.append(chunk.data(), nl);  // without the LF
    std::string_view line = line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    bool ok = true;
    if (!have_request_line_) {
      if (!line.empty()) {  // empty lines before the request line are skipped
        ok = ParseRequestLine(line);
        have_request_line_ = ok;
      }
    } else if (line.empty()) {
      line_.clear();
      FinishHead();
      if (consumed) *consumed = used;
      return result_;
    } else {
      ok = ParseField(line);
    }
    line_.clear();
    if (!ok) {
      if (consumed) *consumed = used;
      return result_;
    }
  }
  if (consumed) *consumed = used;
  if (result_ == Result::kNeedMore && total_ >= max_bytes_) {
    if (!have_request_line_) return Fail(414, "request line too long");
    return Fail(431, "request header fields too large");
  }
  return result_;
}

bool HttpRequestParser::ParseRequestLine(std::string_view line) {
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    Fail(400, "malformed request line");
    return false;
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) {
    Fail(400, "malformed method");
    return false;
  }
  if (target.empty() || target[0] != '/') {
    Fail(400, "request target is not in origin form");
    return false;
  }
  for (char ch : target) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c > 0x7e || c == '#') {
      Fail(400, "invalid character in request target");
      return false;
    }
  }
  if (version == "HTTP/1.1") {
    head_.version_minor = 1;
  } else if (version == "HTTP/1.0") {
    head_.version_minor = 0;
  } else {
    Fail(400, "unsupported HTTP version");
    return false;
  }
  head_.method.assign(method);
  head_.target.assign(target);
  const std::size_t q = target.find('?');
  head_.path.assign(target.substr(0, q));
  head_.has_query = q != std::string_view::npos;
  if (head_.has_query) head_.query.assign(target.substr(q + 1));
  return true;
}

bool HttpRequestParser::ParseField(std::string_view line) {
  if (line[0] == ' ' || line[0] == '\t') {
    Fail(400, "obsolete line folding");
    return false;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
    Fail(400, "malformed header field");
    return false;
  }
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  for (char ch : value) {
    if (!IsFieldValueChar(static_cast<unsigned char>(ch))) {
      Fail(400, "invalid character in header field value");
      return false;
    }
  }
  if (head_.headers.size() >= kMaxFields) {
    Fail(431, "too many header fields");
    return false;
  }
  std::string name(line.substr(0, colon));
  for (char& c : name) c = AsciiLower(c);
  head_.headers.emplace_back(std::move(name), std::string(value));
  return true;
}

HttpRequestParser::Result HttpRequestParser::FinishHead() {
  std::size_t hosts = 0;
  for (const auto& field : head_.headers)
    if (field.first == "host") ++hosts;
  if (hosts > 1 || (hosts == 0 && head_.version_minor == 1))
    return Fail(400, hosts > 1 ? "more than one Host field" : "missing Host field");
  if (head_.method != "GET") return Fail(405, "method not allowed");
  result_ = Result::kDone;
  return result_;
}

}  // namespace mcpr
