// CurlHttpClient: HttpClient over libcurl's multi interface, driven by the
// EventLoop. libcurl callbacks only record bytes and header lines; the loop
// hands them to the caller after curl_multi_perform() returns (see
// EventLoop), so caller code never runs inside libcurl.
//
// Per-transfer setup: CURLOPT_NOSIGNAL, TCP keep-alive (60 s idle, 30 s
// interval: a dead peer under an idle SSE stream is noticed by the kernel
// without waking us), no env proxies unless NetConfig::enable_proxy (then
// both upper- and lower-case HTTP(S)_PROXY/NO_PROXY, like undici's
// EnvHttpProxyAgent; libcurl alone ignores upper-case HTTP_PROXY), redirects
// followed like fetch() (http/https only, 20 max; libcurl drops our
// Authorization header when a redirect leaves the host), system trust store
// plus NODE_EXTRA_CA_CERTS added through CURLOPT_SSL_CTX_FUNCTION.
// Deadlines: connect (CURLOPT_CONNECTTIMEOUT_MS), total (CURLOPT_TIMEOUT_MS),
// response headers and body idleness with loop timers.
#pragma once

#include <memory>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "http.h"

namespace mcpr {

class CurlHttpClient : public HttpClient {
 public:
  CurlHttpClient(EventLoop& loop, NetConfig config);
  ~CurlHttpClient() override;

  Id Start(HttpRequest request, HttpCallbacks callbacks) override;
  void Cancel(Id id) override;
  void SetIdleTimeout(Id id, Millis idle) override;
  std::size_t active() const override { return transfers_.size(); }

  struct Transfer;

 private:
  void Dispatch();
  void Finish(Transfer* t);
  void ArmIdleTimer(Transfer* t);
  void Abort(Transfer* t, HttpError error);
  void Destroy(Id id);
  void LoadExtraCa();

  EventLoop& loop_;
  NetConfig config_;
  Id next_id_ = 1;
  std::unordered_map<Id, std::unique_ptr<Transfer>> transfers_;
  std::vector<CURL*> idle_handles_;  // reused easy handles
  std::vector<std::unique_ptr<Transfer>> retired_;  // destroyed, freed at the end of Dispatch
  std::vector<Id> dirty_;            // transfers with undelivered events
  // When each connection (by its ports) last finished a transfer: how long
  // a reused connection sat idle before a request went out on it (OnSeek).
  std::unordered_map<std::int64_t, TimePoint> last_done_;
  struct ExtraCa;
  std::unique_ptr<ExtraCa> extra_ca_;
};

}  // namespace mcpr
