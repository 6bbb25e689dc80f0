#include "transport.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "mcp_headers.h"
#include "url.h"

namespace mcpr {

namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

void SetHeader(std::vector<std::pair<std::string, std::string>>* headers, std::string_view name,
               std::string value) {
  for (auto& h : *headers) {
    if (IEquals(h.first, name)) {
      h.second = std::move(value);
      return;
    }
  }
  headers->emplace_back(std::string(name), std::move(value));
}

bool HasHeader(const std::vector<std::pair<std::string, std::string>>& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return IEquals(h.first, name); });
}

struct OriginAndPath {
  std::string origin, path;
};

OriginAndPath SplitUrl(std::string_view url) {
  ParsedUrl parsed;
  std::string err;
  if (!ParseUrl(url, &parsed, &err)) return {};
  return {Origin(parsed), parsed.path.empty() ? "/" : parsed.path};
}

}  // namespace

std::vector<std::pair<std::string, std::string>> HeaderBuilder::Build(
    std::vector<std::pair<std::string, std::string>> headers, std::string_view url, bool stream) const {
  std::optional<std::string> bearer = auth_ ? auth_->AuthorizationHeader() : std::nullopt;
  if (bearer && !stream) SetHeader(&headers, "Authorization", *bearer);
  for (const auto& [name, value] : config_.custom_headers) SetHeader(&headers, name, value);
  if (bearer && stream) SetHeader(&headers, "Authorization", *bearer);
  if (config_.cookies && jar_ && !HasHeader(headers, "cookie")) {
    OriginAndPath op = SplitUrl(url);
    std::string cookie = jar_->CookieHeader(op.origin, op.path, std::chrono::system_clock::now());
    if (!cookie.empty()) headers.emplace_back("Cookie", std::move(cookie));
  }
  return headers;
}

void HeaderBuilder::StoreCookies(std::string_view url, const HttpResponseHead& head) const {
  if (!config_.cookies || !jar_) return;
  OriginAndPath op;
  bool split = false;
  for (const auto& [name, value] : head.headers) {
    if (name != "set-cookie") continue;
    if (!split) {
      op = SplitUrl(url);
      split = true;
    }
    jar_->Store(op.origin, op.path, value, std::chrono::system_clock::now());
  }
}

void AddMcpHeaders(const OutMessage& message, std::vector<std::pair<std::string, std::string>>* headers) {
  if (message.kind != MessageKind::kRequest && message.kind != MessageKind::kNotification) return;
  if (message.method.empty()) return;
  headers->emplace_back("Mcp-Method", EncodeMcpHeaderValue(message.method));
  if (message.has_name) headers->emplace_back("Mcp-Name", EncodeMcpHeaderValue(message.name));
}

std::string DescribeHttpFailure(std::string_view what, long status, std::string_view body) {
  std::string text(body.substr(0, 300));
  for (char& c : text)
    if (c == '\n' || c == '\r' || static_cast<unsigned char>(c) < 0x20) c = ' ';
  std::string out = std::string(what) + " (HTTP " + std::to_string(status) + ")";
  if (!text.empty()) out += ": " + text;
  return out;
}

Millis ReconnectDelay(std::optional<std::uint64_t> server_retry_ms, int attempt) {
  if (server_retry_ms) return Millis(std::min<std::uint64_t>(*server_retry_ms, 3600000));
  double ms = 1000.0 * std::pow(1.5, std::min(attempt, 20));
  return Millis(static_cast<long long>(std::min(ms, 30000.0)));
}

}  // namespace mcpr
