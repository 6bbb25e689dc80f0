// Coordinator: which of several mcp-remote processes for the same server
// runs the browser sign-in (mcp-remote-behaviour.md §1.6). Hosts such as
// Claude Desktop start 2-4 copies at once; without this each opens a tab,
// registers a client and overwrites the others' PKCE verifier (§4 item 1).
// The protocol is npm 0.15.1's port-based election, so native and npm
// instances elect each other.
//
// Election (an async state machine on the EventLoop; no blocking calls):
//   candidates = [port] when strict (explicit port, static client info,
//                CIMD), else port .. port+7 (stopping at 65535).
//   for each candidate P, in order:
//     Listen(P) succeeds -> probe every EARLIER candidate Q in order with
//         GET http://127.0.0.1:Q/.mcp-remote/id (probe_timeout, 1 s); the
//         first that answers 2xx {"mcpRemote":true,"serverUrlHash":<ours>}
//         (a probe that times out is repeated twice, with 2x and 3x the
//         deadline, before the port counts as not a sibling)
//         wins: close P and FOLLOW Q. No sibling before P: we are the
//         LEADER on P ("This instance is running the sign-in for this
//         server (callback port P)").
//     EADDRINUSE -> probe P: a sibling with our hash -> FOLLOW P; nobody
//         listening any more (refused) -> try P once more (its holder
//         just released it); otherwise an unrelated process: next
//         candidate (strict: fail "Callback port P is already in use",
//         npm's words).
//     EACCES -> next candidate (strict: fail).
//     anything else -> fail.
//   all candidates taken -> fail "Could not find a free callback port for
//   this server (tried A-B). Close whatever is holding those ports, or pass
//   a port as the second argument to choose one."
// Follower loop, every poll_interval (250 ms) until max(auth_timeout,
// follower_patience = 3 min) has passed since following began:
//   has_usable_tokens() -> kTokensAvailable (the leader signed in; use the
//   store). Else Listen(leader's port): success means the leader died, so
//   we take over as LEADER on that port (its open browser tab still lands
//   here, and npm keys the verifier by state so the exchange works);
//   EADDRINUSE -> wait; other errors -> fail. Before taking over, the
//   earlier candidates are probed once more, as after any successful bind
//   (npm skips this; without it a yield-and-takeover race can leave two
//   leaders). Timeout -> fail
//   "Authentication is still pending in another instance on port N. ..."
// Before any LEADER outcome the store is checked once more: a sibling may
// have completed its sign-in and released the port since our 401.
// The leader keeps the CallbackServer (server()) for its flow and calls
// Release() once signed in, so the port is held only during a sign-in.
// 0.1.x siblings need nothing more than the server's /wait-for-auth.
//
// Probes are sent with HttpRequest::direct, so --enable-proxy never routes
// them to a proxy (libcurl would send 127.0.0.1 there; npm probes through
// its own direct agent). Without that, every instance would see "no
// sibling" and elect itself.
// on_role runs exactly once (unless Cancel()/destruction comes first), from
// a task posted to the loop (never inside Start()); it may destroy the
// coordinator.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "callback_server.h"
#include "event_loop.h"
#include "http.h"
#include "log.h"

namespace mcpr {

struct CoordinatorOptions {
  std::string server_url_hash;
  int port = 0;          // preferred port (DefaultCallbackPort(hash) or explicit); 0 = any free one
  bool strict = false;   // only `port`
  Millis auth_timeout{30000};
  Millis follower_patience{180000};  // npm: 3 min, 10 s on a forced re-check
  Millis poll_interval{250};
  Millis probe_timeout{1000};
  int candidates = 8;
  CallbackServerOptions server;  // server_url_hash and auth_timeout are filled in from above
};

enum class CoordinatorRole {
  kLeader,           // server() listens on `port`; run the sign-in, then Release()
  kTokensAvailable,  // a sibling signed in; tokens are in the store
  kFailed,           // `error` says why (npm's wording)
};

struct CoordinatorOutcome {
  CoordinatorRole role = CoordinatorRole::kFailed;
  int port = 0;           // leader: our port; tokens: the sibling's port
  bool took_over = false;  // leader after the previous leader went away
  std::string error;
};

class Coordinator {
 public:
  enum class State { kIdle, kElecting, kFollowing, kLeader, kTokensAvailable, kFailed, kReleased };
  using OnRole = std::function<void(const CoordinatorOutcome&)>;

  Coordinator(EventLoop& loop, HttpClient& http, Logger& log, CoordinatorOptions options,
              std::function<bool()> has_usable_tokens);
  ~Coordinator();
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  /// Starts the election. Call once.
  void Start(OnRole on_role);
  /// Leader: closes the callback server (sign-in done). Safe in any state.
  void Release();
  /// Stops whatever is in progress (probe, follower timer) and closes the
  /// server; on_role will not run.
  void Cancel();

  State state() const { return state_; }
  /// Leader's port, or the port being followed.
  int port() const { return port_; }
  /// The callback server (listening only while kLeader).
  CallbackServer& server() { return *server_; }

 private:
  void TryCandidate();
  void ProbeEarlier(std::size_t index);
  // What a probe of a port found: our sibling, something else (another
  // program, another server's instance, no answer in time), or nobody
  // listening (connection refused).
  enum class ProbeAnswer { kSibling, kOther, kNobody };
  void Probe(int port, std::function<void(ProbeAnswer)> done, int attempt = 1);
  void Follow(int port);
  void FollowTick();
  void BecomeLeader(int port, bool took_over);
  /// kTokensAvailable (true) when a sibling's usable tokens are in the store.
  bool UseSiblingTokens(int port);
  void Finish(CoordinatorOutcome outcome);
  void Fail(std::string error);

  EventLoop& loop_;
  HttpClient& http_;
  Logger& log_;
  CoordinatorOptions options_;
  std::function<bool()> has_usable_tokens_;
  std::unique_ptr<CallbackServer> server_;
  OnRole on_role_;
  State state_ = State::kIdle;
  std::vector<int> candidates_;
  std::vector<int> mute_ports_;  // candidates whose holder never answered a probe in this election
  std::size_t index_ = 0;  // candidate being tried
  int port_ = 0;
  TimePoint follow_deadline_{};
  EventLoop::TimerId timer_ = 0;
  HttpClient::Id probe_id_ = 0;
  bool probing_ = false;
  bool took_over_ = false;  // the current election follows a leader's exit
  bool retried_refused_ = false;  // a candidate found released during its probe was retried once already
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace mcpr
