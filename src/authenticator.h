// Authenticator: what the proxy core needs from the OAuth module. The core
// knows nothing about OAuth; it asks for a header on every request and hands
// over every 401/403, then retries the failed message once.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "transport.h"

namespace mcpr {

class Authenticator : public AuthProvider {
 public:
  using Done = std::function<void(bool ok, const std::string& why)>;

  /// The server refused a request (401, or 403 with a challenge). Obtain
  /// usable credentials (refresh, a sibling's fresh tokens, or a new
  /// sign-in) and call done(true) to have the request retried, or
  /// done(false, reason) to fail it. Concurrent calls share one attempt.
  virtual void OnUnauthorized(const SendResult& result, Done done) = 0;

  /// True when the stored token is expired or about to expire and a refresh
  /// should run before the next request (laptop sleep, long idle).
  virtual bool WantsRefreshBeforeSend() = 0;
  virtual void RefreshBeforeSend(Done done) = 0;
};

}  // namespace mcpr
