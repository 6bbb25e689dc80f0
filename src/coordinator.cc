#include "coordinator.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <utility>

namespace mcpr {
namespace {

constexpr std::size_t kMaxProbeBody = 4096;
constexpr int kProbeAttempts = 3;  // see Probe()

bool IsSiblingAnswer(std::string_view body, std::string_view hash) {
  boost::json::error_code ec;
  const boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return false;
  const auto& o = v.get_object();
  const auto* marker = o.if_contains("mcpRemote");
  const auto* h = o.if_contains("serverUrlHash");
  return marker && marker->is_bool() && marker->get_bool() && h && h->is_string() &&
         h->get_string() == hash;
}

}  // namespace

Coordinator::Coordinator(EventLoop& loop, HttpClient& http, Logger& log,
                         CoordinatorOptions options, std::function<bool()> has_usable_tokens)
    : loop_(loop),
      http_(http),
      log_(log),
      options_(std::move(options)),
      has_usable_tokens_(std::move(has_usable_tokens)) {
  options_.server.server_url_hash = options_.server_url_hash;
  options_.server.auth_timeout = options_.auth_timeout;
  server_ = std::make_unique<CallbackServer>(loop_, log_, options_.server);
}

Coordinator::~Coordinator() { Cancel(); }

void Coordinator::Start(OnRole on_role) {
  if (state_ != State::kIdle) return;
  on_role_ = std::move(on_role);
  state_ = State::kElecting;
  candidates_.clear();
  if (options_.port <= 0 || options_.strict) {
    candidates_.push_back(std::max(options_.port, 0));
  } else {
    for (int i = 0; i < std::max(options_.candidates, 1) && options_.port + i <= 65535; ++i)
      candidates_.push_back(options_.port + i);
  }
  index_ = 0;
  log_.Debug("Coordinating authentication on callback ports {}-{}", candidates_.front(),
             candidates_.back());
  TryCandidate();
}

void Coordinator::Release() {
  if (server_->listening()) server_->Close();
  if (state_ == State::kLeader) state_ = State::kReleased;
}

void Coordinator::Cancel() {
  on_role_ = nullptr;
  if (timer_) loop_.CancelTimer(timer_);
  timer_ = 0;
  if (probing_ && probe_id_) http_.Cancel(probe_id_);
  probing_ = false;
  probe_id_ = 0;
  if (server_) server_->Close();
  if (state_ != State::kIdle) state_ = State::kReleased;
}

void Coordinator::TryCandidate() {
  if (index_ >= candidates_.size()) {
    Fail(fmt::format(
        "Could not find a free callback port for this server (tried {}-{}). Close whatever is "
        "holding those ports, or pass a port as the second argument to choose one.",
        candidates_.front(), candidates_.back()));
    return;
  }
  const int port = candidates_[index_];
  std::string err;
  int eno = 0;
  if (server_->Listen(port, &err, &eno)) {
    ProbeEarlier(0);
    return;
  }
  if (eno == EADDRINUSE) {
    Probe(port, [this, port](ProbeAnswer answer) {
      if (answer == ProbeAnswer::kSibling) {
        log_.Info("Another instance is running the sign-in for this server on port {}", port);
        Follow(port);
        return;
      }
      if (answer == ProbeAnswer::kNobody && !retried_refused_) {
        // Bound a moment ago, nobody listening now: the holder (perhaps a
        // sibling finishing its sign-in) just closed it. Try it again.
        retried_refused_ = true;
        log_.Debug("Port {} was released while we asked; trying it again", port);
        TryCandidate();
        return;
      }
      log_.Debug("Port {} is held by an unrelated process", port);
      if (options_.strict) {
        Fail(fmt::format("Callback port {} is already in use", port));
        return;
      }
      ++index_;
      TryCandidate();
    });
    return;
  }
  if (eno == EACCES && !options_.strict) {
    log_.Debug("Not permitted to bind port {}", port);
    ++index_;
    TryCandidate();
    return;
  }
  Fail(err);
}

void Coordinator::ProbeEarlier(std::size_t j) {
  if (j >= index_) {
    BecomeLeader(server_->port(), took_over_);
    return;
  }
  const int earlier = candidates_[j];
  if (std::find(mute_ports_.begin(), mute_ports_.end(), earlier) != mute_ports_.end()) {
    ProbeEarlier(j + 1);  // it never answered in this election; asking again would cost 6 s more
    return;
  }
  Probe(earlier, [this, j, earlier](ProbeAnswer answer) {
    if (answer == ProbeAnswer::kSibling) {
      log_.Debug("Yielding to a sibling established on an earlier candidate (ours {}, theirs {})",
                 server_->port(), earlier);
      server_->Close();
      Follow(earlier);
      return;
    }
    ProbeEarlier(j + 1);
  });
}

void Coordinator::Probe(int port, std::function<void(ProbeAnswer)> done, int attempt) {
  // A probe that times out is asked again, with a longer deadline each time
  // (1x, 2x, 3x probe_timeout): on a loaded machine a sibling that is just
  // starting can take more than a second to answer, and taking its silence
  // for "unrelated process" elects a second leader on the next port (seen
  // under ASan on 2 busy cores: three instances, three sign-ins). A refused
  // connection or any real answer is final at once.
  const Millis timeout = options_.probe_timeout * attempt;
  HttpRequest req;
  req.url = fmt::format("http://127.0.0.1:{}/.mcp-remote/id", port);
  req.connect_timeout = timeout;
  req.headers_timeout = timeout;
  req.total_timeout = timeout;
  req.follow_redirects = false;
  req.direct = true;  // npm probes with its own direct agent; a proxy cannot reach our loopback
  auto status = std::make_shared<long>(0);
  auto body = std::make_shared<std::string>();
  std::weak_ptr<int> alive = alive_;
  HttpCallbacks cb;
  cb.on_head = [status](const HttpResponseHead& head) { *status = head.status; };
  cb.on_body = [body](std::string_view chunk) {
    if (body->size() + chunk.size() > kMaxProbeBody) return false;
    body->append(chunk);
    return true;
  };
  cb.on_done = [this, alive, status, body, port, attempt, done = std::move(done)](const HttpError& e) {
    if (alive.expired()) return;
    probing_ = false;
    probe_id_ = 0;
    if (e.kind == HttpError::Kind::kTimeout && attempt < kProbeAttempts) {
      log_.Debug("No answer from port {} within {} ms; asking again", port,
                 (options_.probe_timeout * attempt).count());
      Probe(port, done, attempt + 1);
      return;
    }
    if (e.kind == HttpError::Kind::kTimeout) mute_ports_.push_back(port);
    if (e.ok() && *status >= 200 && *status < 300 && IsSiblingAnswer(*body, options_.server_url_hash))
      return done(ProbeAnswer::kSibling);
    done(e.kind == HttpError::Kind::kConnect ? ProbeAnswer::kNobody : ProbeAnswer::kOther);
  };
  probing_ = true;
  const HttpClient::Id id = http_.Start(std::move(req), std::move(cb));
  if (probing_) probe_id_ = id;  // on_done has not run yet
}

void Coordinator::Follow(int port) {
  state_ = State::kFollowing;
  port_ = port;
  took_over_ = false;
  follow_deadline_ = loop_.Now() + std::max(options_.auth_timeout, options_.follower_patience);
  FollowTick();
}

void Coordinator::FollowTick() {
  timer_ = 0;
  if (loop_.Now() >= follow_deadline_) {
    Fail(fmt::format(
        "Authentication is still pending in another instance on port {}. Complete that sign-in "
        "and retry, or close the other instance to start a new sign-in.",
        port_));
    return;
  }
  if (UseSiblingTokens(port_)) return;
  std::string err;
  int eno = 0;
  if (server_->Listen(port_, &err, &eno)) {
    // The leader is gone. Before taking over, make sure no sibling holds an
    // earlier candidate: one may have yielded to the old leader's port while
    // another elected itself there (npm skips this check and can end up with
    // two leaders).
    state_ = State::kElecting;
    took_over_ = true;
    const auto it = std::find(candidates_.begin(), candidates_.end(), port_);
    index_ = it == candidates_.end() ? 0 : static_cast<std::size_t>(it - candidates_.begin());
    ProbeEarlier(0);
    return;
  }
  if (eno != EADDRINUSE) {
    Fail(err);
    return;
  }
  timer_ = loop_.AddTimer(options_.poll_interval, [this] { FollowTick(); });
}

bool Coordinator::UseSiblingTokens(int port) {
  if (!has_usable_tokens_ || !has_usable_tokens_()) return false;
  if (server_->listening()) server_->Close();
  log_.Info("The sign-in was completed by another instance; using the tokens it wrote");
  state_ = State::kTokensAvailable;
  CoordinatorOutcome outcome;
  outcome.role = CoordinatorRole::kTokensAvailable;
  outcome.port = port;
  Finish(std::move(outcome));
  return true;
}

void Coordinator::BecomeLeader(int port, bool took_over) {
  // A sibling may have finished its whole sign-in between our 401 and now
  // (with a headless browser it takes ~70 ms) and released its port, which
  // is why we could bind it: use its tokens rather than sign in again.
  if (UseSiblingTokens(port)) return;
  state_ = State::kLeader;
  port_ = port;
  if (took_over)
    log_.Info("The instance running the sign-in exited; taking it over on port {}", port);
  else
    log_.Info("This instance is running the sign-in for this server (callback port {})", port);
  CoordinatorOutcome outcome;
  outcome.role = CoordinatorRole::kLeader;
  outcome.port = port;
  outcome.took_over = took_over;
  Finish(std::move(outcome));
}

void Coordinator::Fail(std::string error) {
  if (server_->listening()) server_->Close();
  state_ = State::kFailed;
  log_.Debug("Auth coordination failed: {}", error);
  CoordinatorOutcome outcome;
  outcome.role = CoordinatorRole::kFailed;
  outcome.port = port_;
  outcome.error = std::move(error);
  Finish(std::move(outcome));
}

void Coordinator::Finish(CoordinatorOutcome outcome) {
  // Delivered from a posted task, never from inside Start() or a probe
  // callback, so the caller may do anything there (even destroy us).
  std::weak_ptr<int> alive = alive_;
  loop_.Post([this, alive, outcome = std::move(outcome)] {
    if (alive.expired() || !on_role_) return;
    OnRole cb = std::move(on_role_);
    on_role_ = nullptr;
    cb(outcome);  // may destroy *this: nothing after this line
  });
}

}  // namespace mcpr
