// StreamableHttpTransport: MCP "Streamable HTTP" (2025-03-26 .. 2025-11-25),
// client side, every row of spec A.2:
//  - one POST per message; the answer is 202 (no body), one JSON body, or an
//    SSE stream that may carry server requests/notifications before the
//    response; messages go to the Sink as they arrive.
//  - Mcp-Session-Id captured from the initialize response, sent on every
//    later request; MCP-Protocol-Version once negotiated.
//  - a POST stream that ends before its response arrived is resumed with
//    GET + Last-Event-ID after the server's `retry:` delay (priming events
//    carry the id); without an event id the response is reported lost.
//  - the standalone GET stream is opened after notifications/initialized;
//    405 means "none", a dropped stream is reopened with backoff.
//  - 404 on a request that carried a session id, or on the GET stream, means
//    the server forgot the session: reported as kSessionExpired /
//    OnSessionLost, and the core re-initializes. SDK-based servers answer an
//    unknown session with 400 "…session…": treated the same way.
//  - Shutdown sends DELETE with the session id (bounded by delete_timeout).
// Error taxonomy: transient (network error, 5xx, broken stream) is reported
// per message and the transport stays usable; nothing here is terminal
// except Shutdown.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>

#include "transport.h"

namespace mcpr {

class StreamableHttpTransport : public Transport {
 public:
  StreamableHttpTransport(EventLoop& loop, HttpClient& http, Logger& log, const RemoteConfig& config,
                          AuthProvider* auth, CookieJar* jar, Sink& sink);
  ~StreamableHttpTransport() override;

  const char* name() const override { return "Streamable HTTP"; }
  void Send(std::uint64_t token, OutMessage message) override;
  void ClearSession() override { session_id_.clear(); }
  void SetProtocolVersion(std::string version) override { protocol_version_ = std::move(version); }
  void OnInitialized() override;
  void Shutdown(std::function<void()> done) override;

  const std::string& session_id() const { return session_id_; }

 private:
  struct Stream;  // one HTTP exchange: a POST, a resume GET, or the standalone GET

  std::vector<std::pair<std::string, std::string>> BaseHeaders(bool post) const;
  void StartPost(std::uint64_t token, OutMessage message);
  void StartResume(std::string id_key, std::string last_event_id, int attempt);
  void ScheduleResume(std::string id_key, std::string last_event_id, int attempt, Millis delay);
  void OpenGetStream();
  void ScheduleGetStream();
  void OnStreamHead(Stream* s, const HttpResponseHead& head);
  bool OnStreamBody(Stream* s, std::string_view chunk);
  void OnStreamDone(Stream* s, const HttpError& error);
  void DeliverJson(std::string_view body);
  void EndStream(Stream* s);
  bool SessionGoneStatus(long status, std::string_view body, bool had_session) const;

  EventLoop& loop_;
  HttpClient& http_;
  Logger& log_;
  const RemoteConfig& config_;
  HeaderBuilder headers_;
  Sink& sink_;

  std::string session_id_;
  std::string protocol_version_;
  std::map<std::uint64_t, std::unique_ptr<Stream>> streams_;  // by stream serial
  std::uint64_t next_stream_ = 1;

  // Standalone GET stream.
  bool get_wanted_ = false;     // after initialized, until 405 or shutdown
  std::uint64_t get_stream_ = 0;
  int get_attempts_ = 0;
  std::string get_last_event_id_;
  std::optional<std::uint64_t> get_retry_ms_;
  EventLoop::TimerId get_timer_ = 0;
  std::set<EventLoop::TimerId> resume_timers_;
  bool shutting_down_ = false;
};

}  // namespace mcpr
