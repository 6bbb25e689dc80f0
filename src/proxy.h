// Proxy: the core of mcp-remote. It relays JSON-RPC between the host (the
// "local side": stdio in the real program) and the remote MCP server (a
// Transport), byte for byte, and owns everything that needs a memory of the
// conversation.
//
// State machine (per process; one remote connection at a time):
//
//   kIdle --host initialize--> kConnecting --initialize response--> kReady
//     ^                          |  400/404/405 on the session-less POST:
//     |                          |  fall back once to the other transport
//     +---initialize failed------+  generation and resend the SAME message
//                                   (no throw-away probe session, unlike npm)
//   kReady --404 with session / SSE reconnect--> kReinitializing
//   kReinitializing: replays the host's stored initialize with id
//     "mcp-remote-reinit-N", sends notifications/initialized, then releases
//     the queue and retries the message that hit the 404 once (§1.10.6).
//
// Messages the host sends while kConnecting or kReinitializing wait in a
// queue; after the host's notifications/initialized, later messages wait
// until the server accepted it (lifecycle barrier, at most 10 s).
//
// Promises: every host request gets exactly one answer: the server's
// response, or a JSON-RPC error (-32001 "mcp-remote: <reason>" when it could
// not be delivered or its answer was lost; -32700/-32600 for malformed
// input; -32603 for a filtered tool). Ids are echoed byte for byte, even when
// a JavaScript server rounded a big integer id. Notifications and host
// responses are never answered.
//
// Rewrites (the only messages parsed beyond a peek): initialize
// (clientInfo.name += " (via mcp-remote <version>)"), tools/list results when
// --ignore-tool/--allow-tool is set. Ids starting with "mcp-remote-" are the
// proxy's own (keepalive, reinit) and refused from the host.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cookie_jar.h"
#include "event_loop.h"
#include "http.h"
#include "log.h"
#include "options.h"
#include "authenticator.h"
#include "transport.h"

namespace mcpr {

/// Where messages for the host go (stdout in the real program).
class LocalSink {
 public:
  virtual ~LocalSink() = default;
  virtual void WriteToHost(std::string_view message) = 0;
};

/// RemoteConfig for these options (timeouts, headers, cookies).
RemoteConfig MakeRemoteConfig(const Options& options);

class Proxy : public Transport::Sink {
 public:
  Proxy(EventLoop& loop, HttpClient& http, Logger& log, const Options& options, LocalSink& local,
        Authenticator* auth = nullptr);
  ~Proxy() override;

  /// One line (one JSON-RPC message or batch) from the host.
  void OnHostLine(std::string_view line);
  /// A host line that exceeded the stdin cap (its bytes were discarded).
  void OnHostLineTooLong(std::size_t bytes);

  /// Graceful stop: waits up to `grace` for in-flight requests, answers the
  /// rest with errors, ends the remote session, then calls done.
  void Shutdown(Millis grace, std::function<void()> done);

  std::size_t pending_requests() const { return pending_.size(); }
  const char* transport_name() const { return transport_ ? transport_->name() : "none"; }

  // Transport::Sink
  void OnServerMessage(std::string_view raw) override;
  void OnSendResult(std::uint64_t token, const SendResult& result) override;
  bool IsPending(const std::string& id_key) override { return pending_.count(id_key) != 0; }
  void OnResponseLost(const std::string& id_key, const std::string& why) override;
  void OnSessionLost(const std::string& why) override;

 private:
  enum class State { kIdle, kConnecting, kReady, kReinitializing };
  // Orthogonal to State: while an OAuth attempt runs, nothing is sent.
  enum class Own { kNone, kKeepalive, kReinit, kReinitNotify };
  struct BatchGroup {
    std::vector<std::string> responses;
    std::size_t outstanding = 0;
  };
  struct Pending {
    std::string raw_id;
    std::string method;
    std::shared_ptr<BatchGroup> group;
    EventLoop::TimerId timer = 0;
  };
  struct InFlight {
    OutMessage message;  // body kept for a retry after re-initialize
    bool retried = false;
    Own own = Own::kNone;
  };

  void HandleHostMessage(std::string_view text, const std::shared_ptr<BatchGroup>& group);
  void ReplyToHost(std::string_view message, const std::shared_ptr<BatchGroup>& group);
  void ReplyError(std::string_view raw_id, int code, std::string_view message,
                  const std::shared_ptr<BatchGroup>& group);
  void FinishGroupMember(const std::shared_ptr<BatchGroup>& group);
  void FailRequest(const std::string& id_key, std::string_view reason);
  void FailAllPending(std::string_view reason);

  void Dispatch(OutMessage message, bool retried = false, bool requeue_front = false);
  bool CanSend() const;
  void ArmInitializeTimeout(const std::string& key, Pending* p);
  void SendNow(OutMessage message, bool retried, Own own);
  void FlushQueue();
  void EnsureTransport();
  std::unique_ptr<Transport> MakeTransport(bool streamable);
  void FallBack(OutMessage initialize);
  void AbortConnect(std::string_view reason);
  void HandleOwnResponse(std::string_view id_value, std::string_view raw, const struct Peek& peek);
  void OnInitializeResult(std::string_view raw, const struct Peek& peek);
  void StartAuth(const SendResult& result, OutMessage failed);
  void FinishAuth(bool ok, const std::string& why);
  void StartReinit(std::string_view why);
  void FinishReinit(bool ok, std::string_view why);
  void ReleaseBarrier();
  void ScheduleKeepalive();
  void MaybeFinishShutdown();
  std::string RewriteInitialize(std::string_view text) const;
  std::string FilterToolsList(std::string_view raw, std::string_view host_raw_id) const;
  bool filtering() const { return !options_.ignore_tools.empty() || !options_.allow_tools.empty(); }

  EventLoop& loop_;
  HttpClient& http_;
  Logger& log_;
  const Options& options_;
  LocalSink& local_;
  Authenticator* auth_;
  RemoteConfig remote_config_;
  CookieJar cookies_;

  State state_ = State::kIdle;
  std::unique_ptr<Transport> transport_;
  bool streamable_ = true;       // which generation transport_ is
  bool fallback_done_ = false;
  std::vector<std::unique_ptr<Transport>> retired_;  // destroyed on a later turn

  std::unordered_map<std::string, Pending> pending_;  // host requests by IdKey
  std::unordered_map<std::uint64_t, InFlight> in_flight_;  // by send token
  std::uint64_t next_token_ = 1;
  std::deque<std::pair<OutMessage, bool>> queue_;  // waiting for connect / reinit / barrier
  std::deque<OutMessage> retry_after_reinit_;

  std::string init_body_;        // the host's initialize, rewritten (for re-initialize)
  std::string init_id_key_;
  bool barrier_ = false;         // notifications/initialized not yet accepted
  EventLoop::TimerId barrier_timer_ = 0;
  bool initialized_seen_ = false;

  bool authorizing_ = false;
  std::deque<OutMessage> retry_after_auth_;

  int reinit_count_ = 0;
  std::string reinit_id_;
  EventLoop::TimerId reinit_timer_ = 0;

  int keepalive_count_ = 0;
  EventLoop::TimerId keepalive_timer_ = 0;

  bool shutting_down_ = false;
  std::function<void()> shutdown_done_;
  EventLoop::TimerId shutdown_timer_ = 0;
};

}  // namespace mcpr
