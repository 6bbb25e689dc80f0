// HTTP seam. The proxy talks HTTP only through HttpClient, so tests can fake
// the network and inject failures; the real implementation is libcurl's
// multi interface driven by the EventLoop (http_curl.cc).
//
// Error taxonomy (HttpError::Kind), as the transports see it:
//   kConnect   could not reach the server (DNS, refused, unreachable, proxy)
//   kTimeout   a deadline passed: connect, response headers, body idle, total
//   kTls       certificate or handshake failure (VPN / MITM CA: see
//              NODE_EXTRA_CA_CERTS in the README)
//   kNetwork   the connection broke after it was established (reset, EOF
//              mid-body, HTTP framing error)
//   kTooLarge  the response exceeded a cap set by the caller (on_body false
//              with that reason)
//   kAborted   the caller's on_body returned false
// A response with any HTTP status is NOT an error here: the status arrives
// in on_head and on_done reports kNone.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "event_loop.h"

namespace mcpr {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Millis connect_timeout{10000};
  Millis headers_timeout{300000};  // 0 = none
  Millis idle_timeout{0};          // longest gap between body chunks; 0 = none
  Millis total_timeout{0};         // 0 = none
  bool follow_redirects = true;
  bool direct = false;  // never through a proxy, even with --enable-proxy (loopback sibling probes)
};

struct HttpResponseHead {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  /// First header with this lower-case name, or nullptr.
  const std::string* Find(std::string_view lower_name) const;
  /// Media type of Content-Type, lower-cased, without parameters.
  std::string MediaType() const;
};

struct HttpError {
  enum class Kind { kNone, kConnect, kTimeout, kTls, kNetwork, kTooLarge, kAborted };
  Kind kind = Kind::kNone;
  std::string message;
  bool ok() const { return kind == Kind::kNone; }
};

struct HttpCallbacks {
  /// Once, when the final response's headers are complete.
  std::function<void(const HttpResponseHead&)> on_head;
  /// Body bytes as they arrive (after on_head). Return false to abort.
  std::function<bool(std::string_view)> on_body;
  /// Exactly once, last, unless the transfer was Cancel()ed.
  std::function<void(const HttpError&)> on_done;
};

class HttpClient {
 public:
  using Id = std::uint64_t;
  virtual ~HttpClient() = default;
  virtual Id Start(HttpRequest request, HttpCallbacks callbacks) = 0;
  /// Stops a transfer; none of its callbacks run afterwards. Unknown ids are ignored.
  virtual void Cancel(Id id) = 0;
  /// Changes the body idle deadline of a running transfer (0 = none), e.g.
  /// once its headers show an SSE stream, which may idle for hours.
  virtual void SetIdleTimeout(Id id, Millis idle) = 0;
  virtual std::size_t active() const = 0;
};

/// Network settings shared by every transfer.
struct NetConfig {
  bool enable_proxy = false;   // HTTP(S)_PROXY / NO_PROXY, either case (npm --enable-proxy)
  bool ipv4 = false;
  std::string extra_ca_file;   // NODE_EXTRA_CA_CERTS: added to the system store
  std::string user_agent;
};

}  // namespace mcpr
