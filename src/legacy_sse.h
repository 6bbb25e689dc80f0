// LegacySseTransport: MCP 2024-11-05 "HTTP with SSE", client side (spec A.4).
//  - GET <url> (Accept: text/event-stream) opens the event stream; the first
//    `endpoint` event gives the POST URL, resolved against the stream URL.
//    An endpoint on another origin is refused (as the official SDK does): a
//    server must not steer our POSTs, and the bearer token, to another host.
//  - Messages go out as POSTs to the endpoint (202 expected); everything the
//    server says, responses included, arrives as `message` events.
//  - Messages sent before the endpoint is known wait in a queue, each for at
//    most kQueueWait; then they fail.
//  - A dropped stream is reopened with backoff. The new endpoint is a new
//    session, so the core is told (OnSessionLost) and re-initializes; the
//    responses of requests in flight on the old session are lost (the core
//    fails them). If the very first GET fails, queued messages fail with
//    kFallback (404/405: try Streamable HTTP) or kFailed, and the transport
//    stays down until a new Send.
#pragma once

#include <deque>
#include <memory>
#include <optional>

#include "transport.h"

namespace mcpr {

class LegacySseTransport : public Transport {
 public:
  LegacySseTransport(EventLoop& loop, HttpClient& http, Logger& log, const RemoteConfig& config,
                     AuthProvider* auth, CookieJar* jar, Sink& sink);
  ~LegacySseTransport() override;

  const char* name() const override { return "SSE"; }
  void Send(std::uint64_t token, OutMessage message) override;
  void ClearSession() override {}
  void SetProtocolVersion(std::string version) override { protocol_version_ = std::move(version); }
  void OnInitialized() override {}
  void Shutdown(std::function<void()> done) override;

  static constexpr Millis kQueueWait{10000};

 private:
  struct Queued {
    std::uint64_t token;
    OutMessage message;
    EventLoop::TimerId timer;
  };
  struct StreamSink;

  void Connect();
  void OnHead(const HttpResponseHead& head);
  bool OnBody(std::string_view chunk);
  void OnDone(const HttpError& error);
  void OnEndpoint(std::string_view data);
  void Post(std::uint64_t token, OutMessage message);
  void FailQueued(SendOutcome outcome, const std::string& detail, const std::string& www_authenticate = {});

  EventLoop& loop_;
  HttpClient& http_;
  Logger& log_;
  const RemoteConfig& config_;
  HeaderBuilder headers_;
  Sink& sink_;

  enum class State { kIdle, kConnecting, kOpen, kReconnectWait, kFailed, kClosed };
  State state_ = State::kIdle;
  bool ever_connected_ = false;
  HttpClient::Id stream_id_ = 0;
  long stream_status_ = 0;
  bool stream_is_sse_ = false;
  std::string stream_error_body_;
  std::string stream_www_authenticate_;
  std::unique_ptr<StreamSink> parser_sink_;
  std::string endpoint_;
  std::string protocol_version_;
  std::deque<Queued> queue_;
  int attempts_ = 0;
  std::optional<std::uint64_t> retry_ms_;
  EventLoop::TimerId reconnect_timer_ = 0;
  std::vector<HttpClient::Id> posts_;
};

}  // namespace mcpr
