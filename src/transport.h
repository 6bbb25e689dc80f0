// Transport: the remote side of the proxy. Two implementations:
//   StreamableHttpTransport  MCP 2025-03-26 .. 2025-11-25 "Streamable HTTP"
//   LegacySseTransport       MCP 2024-11-05 "HTTP with SSE"
// The proxy core (proxy.cc) owns ids, the host's initialize, re-initialize
// and transport fallback; a transport only moves messages and reports what
// HTTP said, in the vocabulary below.
//
// Headers sent on every request (mcp-remote §1.9.2-§1.9.4, spec A.2):
//   Accept                 POST: "application/json, text/event-stream";
//                          GET streams: "text/event-stream"
//   Content-Type           POST: application/json
//   Mcp-Session-Id         once the server assigned one (never on initialize)
//   MCP-Protocol-Version   once initialize negotiated one
//   Mcp-Method / Mcp-Name  JSON-RPC requests and notifications (§1.9.3)
//   Authorization          from the AuthProvider (OAuth), if any
//   custom --header values: override all of the above on POSTs (npm's SDK
//                          spreads them last); on GET streams the OAuth
//                          bearer wins over a custom Authorization (§1.3)
//   Cookie                 from the in-memory jar unless a custom Cookie is set
// Header values are never logged, only names.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cookie_jar.h"
#include "event_loop.h"
#include "http.h"
#include "jsonrpc.h"
#include "log.h"

namespace mcpr {

/// Supplies the Authorization header value (e.g. "Bearer <token>") for a
/// request, or nullopt. The OAuth module implements it.
class AuthProvider {
 public:
  virtual ~AuthProvider() = default;
  virtual std::optional<std::string> AuthorizationHeader() = 0;
};

struct RemoteConfig {
  std::string url;
  std::vector<std::pair<std::string, std::string>> custom_headers;  // expanded values
  bool cookies = true;
  Millis connect_timeout{10000};
  Millis headers_timeout{300000};       // 0 = none
  Millis json_body_timeout{300000};     // idle gap in a JSON body; 0 = none
  Millis stream_idle_timeout{0};        // idle gap in an SSE stream; 0 = none (default)
  std::size_t max_message_bytes = 64u << 20;
  Millis delete_timeout{2000};          // bound on the DELETE at shutdown
};

/// One message for the server: the exact bytes plus what the transport
/// needs for headers and bookkeeping.
struct OutMessage {
  std::string body;
  MessageKind kind = MessageKind::kNotification;
  std::string method;     // requests and notifications
  std::string name;       // Mcp-Name source
  bool has_name = false;
  std::string id_key;     // requests: IdKey of the id
  bool is_initialize() const { return kind == MessageKind::kRequest && method == "initialize"; }
};

enum class SendOutcome {
  kAccepted,        // 2xx: the server took it (a response may follow)
  kFailed,          // network error or an HTTP error status
  kSessionExpired,  // 404 (or SDK-style 400 "session") on a request that carried a session
  kFallback,        // 400/404/405 to a session-less POST, or 404/405 to the SSE GET: the
                    // other transport generation may work (spec "Backwards Compatibility")
  kUnauthorized,    // 401
  kForbidden,       // 403
};

struct SendResult {
  SendOutcome outcome = SendOutcome::kAccepted;
  long status = 0;               // HTTP status, 0 if none
  std::string detail;            // human text for logs / JSON-RPC error messages
  std::string www_authenticate;  // 401/403 challenge, for the OAuth module
};

class Transport {
 public:
  class Sink {
   public:
    virtual ~Sink() = default;
    /// Any message from the server, on any stream (may be a batch array).
    virtual void OnServerMessage(std::string_view raw) = 0;
    /// Once per Send(): what HTTP said about it.
    virtual void OnSendResult(std::uint64_t token, const SendResult& result) = 0;
    /// True while the host request with this id key still awaits its response.
    virtual bool IsPending(const std::string& id_key) = 0;
    /// The response to this request can no longer arrive (its stream broke
    /// and could not be resumed).
    virtual void OnResponseLost(const std::string& id_key, const std::string& why) = 0;
    /// The server forgot our session (Streamable HTTP GET 404), or the legacy
    /// SSE stream reconnected to a new session: the core must re-initialize.
    virtual void OnSessionLost(const std::string& why) = 0;
  };

  virtual ~Transport() = default;
  virtual const char* name() const = 0;
  /// Sends one message. Every Send gets exactly one OnSendResult, possibly
  /// from inside a later loop turn, never synchronously from Send itself.
  virtual void Send(std::uint64_t token, OutMessage message) = 0;
  /// Forgets the session id (before a re-initialize).
  virtual void ClearSession() = 0;
  virtual void SetProtocolVersion(std::string version) = 0;
  /// The host's notifications/initialized went through: open optional streams.
  virtual void OnInitialized() = 0;
  /// Cancels everything, ends the session (DELETE, bounded), then calls done.
  virtual void Shutdown(std::function<void()> done) = 0;
};

/// Builds request headers in the order and with the precedence documented at
/// the top of this file. Shared by both transports.
class HeaderBuilder {
 public:
  HeaderBuilder(const RemoteConfig& config, AuthProvider* auth, CookieJar* jar)
      : config_(config), auth_(auth), jar_(jar) {}

  /// `base` are the transport's own headers; `stream` selects GET-stream
  /// precedence for Authorization.
  std::vector<std::pair<std::string, std::string>> Build(
      std::vector<std::pair<std::string, std::string>> base, std::string_view url, bool stream) const;

  /// Stores Set-Cookie headers of a response to `url`.
  void StoreCookies(std::string_view url, const HttpResponseHead& head) const;

 private:
  const RemoteConfig& config_;
  AuthProvider* auth_;
  CookieJar* jar_;
};

/// Adds Mcp-Method / Mcp-Name for a message (spec 2026-07-28 "Standard
/// Request Headers"; mcp-remote §1.9.3).
void AddMcpHeaders(const OutMessage& message, std::vector<std::pair<std::string, std::string>>* headers);

/// "Error POSTing to endpoint (HTTP 400): <first 300 chars of body>".
std::string DescribeHttpFailure(std::string_view what, long status, std::string_view body);

/// Reconnection delay: the server's SSE retry value if it sent one, else
/// 1 s * 1.5^attempt capped at 30 s (the SDK's defaults).
Millis ReconnectDelay(std::optional<std::uint64_t> server_retry_ms, int attempt);

}  // namespace mcpr
