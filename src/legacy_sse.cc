#include "legacy_sse.h"

#include <algorithm>

#include "sse_parser.h"
#include "url.h"

namespace mcpr {

struct LegacySseTransport::StreamSink : SseParser::Sink {
  explicit StreamSink(LegacySseTransport* o, std::size_t cap) : owner(o), parser(cap) {}
  LegacySseTransport* owner;
  SseParser parser;
  void OnEvent(const SseEvent& event) override {
    if (event.type == "endpoint") {
      owner->OnEndpoint(event.data);
    } else if (event.type == "message" && !event.data.empty()) {
      owner->sink_.OnServerMessage(event.data);
    }
  }
  void OnRetry(std::uint64_t ms) override { owner->retry_ms_ = ms; }
};

LegacySseTransport::LegacySseTransport(EventLoop& loop, HttpClient& http, Logger& log,
                                       const RemoteConfig& config, AuthProvider* auth, CookieJar* jar,
                                       Sink& sink)
    : loop_(loop), http_(http), log_(log), config_(config), headers_(config, auth, jar), sink_(sink) {}

LegacySseTransport::~LegacySseTransport() {
  if (stream_id_) http_.Cancel(stream_id_);
  for (auto id : posts_) http_.Cancel(id);
  if (reconnect_timer_) loop_.CancelTimer(reconnect_timer_);
  for (auto& q : queue_) loop_.CancelTimer(q.timer);
}

void LegacySseTransport::Connect() {
  reconnect_timer_ = 0;
  state_ = State::kConnecting;
  stream_status_ = 0;
  stream_is_sse_ = false;
  stream_error_body_.clear();
  endpoint_.clear();
  parser_sink_ = std::make_unique<StreamSink>(this, config_.max_message_bytes);
  HttpRequest req;
  req.method = "GET";
  req.url = config_.url;
  std::vector<std::pair<std::string, std::string>> base{{"Accept", "text/event-stream"}};
  if (!protocol_version_.empty()) base.emplace_back("MCP-Protocol-Version", protocol_version_);
  req.headers = headers_.Build(std::move(base), config_.url, true);
  req.connect_timeout = config_.connect_timeout;
  req.headers_timeout = config_.headers_timeout;
  req.idle_timeout = config_.stream_idle_timeout;
  stream_id_ = http_.Start(std::move(req), {[this](const HttpResponseHead& h) { OnHead(h); },
                                            [this](std::string_view c) { return OnBody(c); },
                                            [this](const HttpError& e) { OnDone(e); }});
}

void LegacySseTransport::OnHead(const HttpResponseHead& head) {
  headers_.StoreCookies(config_.url, head);
  stream_status_ = head.status;
  stream_www_authenticate_.clear();
  for (const auto& [name, value] : head.headers)
    if (name == "www-authenticate")
      stream_www_authenticate_ += (stream_www_authenticate_.empty() ? "" : ", ") + value;
  stream_is_sse_ = head.status >= 200 && head.status < 300 && head.MediaType() == "text/event-stream";
}

bool LegacySseTransport::OnBody(std::string_view chunk) {
  if (!stream_is_sse_) {
    if (stream_error_body_.size() < 4096) stream_error_body_.append(chunk.substr(0, 4096));
    return true;
  }
  attempts_ = 0;
  return parser_sink_->parser.Feed(chunk, *parser_sink_);
}

void LegacySseTransport::OnEndpoint(std::string_view data) {
  std::string resolved;
  if (!ResolveReference(config_.url, data, &resolved)) {
    log_.Error("The server sent an invalid SSE endpoint; closing the connection");
    FailQueued(SendOutcome::kFailed, "the server sent an invalid SSE endpoint");
    http_.Cancel(stream_id_);
    stream_id_ = 0;
    state_ = State::kFailed;
    return;
  }
  if (!SameOrigin(resolved, config_.url)) {
    log_.Error("The server's SSE endpoint is on another origin; refusing it (our requests and "
               "credentials stay with {})", config_.url);
    FailQueued(SendOutcome::kFailed, "Endpoint origin does not match connection origin");
    http_.Cancel(stream_id_);
    stream_id_ = 0;
    state_ = State::kFailed;
    return;
  }
  bool reconnect = ever_connected_;
  endpoint_ = std::move(resolved);
  state_ = State::kOpen;
  ever_connected_ = true;
  log_.Debug("SSE endpoint received");
  if (reconnect) sink_.OnSessionLost("the SSE connection to the remote server was re-established");
  while (!queue_.empty() && state_ == State::kOpen) {
    Queued q = std::move(queue_.front());
    queue_.pop_front();
    loop_.CancelTimer(q.timer);
    Post(q.token, std::move(q.message));
  }
}

void LegacySseTransport::OnDone(const HttpError& error) {
  stream_id_ = 0;
  if (state_ == State::kClosed || state_ == State::kFailed) return;
  bool had_endpoint = !endpoint_.empty();
  endpoint_.clear();
  if (!ever_connected_) {
    // The first connection failed: report to whoever waits, and stop.
    SendOutcome outcome = SendOutcome::kFailed;
    std::string detail;
    if (stream_status_ == 401) {
      outcome = SendOutcome::kUnauthorized;
    } else if (stream_status_ == 403) {
      outcome = SendOutcome::kForbidden;
    } else if (stream_status_ == 404 || stream_status_ == 405) {
      outcome = SendOutcome::kFallback;
    }
    if (stream_status_ != 0 && !stream_is_sse_) {
      detail = DescribeHttpFailure("SSE error: could not open the event stream", stream_status_, stream_error_body_);
    } else if (!error.ok()) {
      detail = "SSE error: " + error.message;
    } else {
      detail = "SSE error: the event stream closed before the server sent its endpoint";
    }
    state_ = State::kIdle;
    FailQueued(outcome, detail, stream_www_authenticate_);
    return;
  }
  log_.Info("The SSE connection to the remote server closed{}; reconnecting",
            error.ok() ? std::string() : " (" + error.message + ")");
  (void)had_endpoint;
  state_ = State::kReconnectWait;
  Millis delay = ReconnectDelay(retry_ms_, attempts_++);
  reconnect_timer_ = loop_.AddTimer(delay, [this] { Connect(); });
}

void LegacySseTransport::FailQueued(SendOutcome outcome, const std::string& detail,
                                    const std::string& www_authenticate) {
  std::deque<Queued> q;
  q.swap(queue_);
  for (auto& item : q) {
    loop_.CancelTimer(item.timer);
    sink_.OnSendResult(item.token, {outcome, stream_status_, detail, www_authenticate});
  }
}

void LegacySseTransport::Send(std::uint64_t token, OutMessage message) {
  if (state_ == State::kClosed) {
    loop_.Post([this, token] { sink_.OnSendResult(token, {SendOutcome::kFailed, 0, "the proxy is shutting down", {}}); });
    return;
  }
  if (state_ == State::kOpen) {
    Post(token, std::move(message));
    return;
  }
  auto timer = loop_.AddTimer(kQueueWait, [this, token] {
    auto it = std::find_if(queue_.begin(), queue_.end(), [&](const Queued& q) { return q.token == token; });
    if (it == queue_.end()) return;
    queue_.erase(it);
    sink_.OnSendResult(token, {SendOutcome::kFailed, 0, "the SSE connection to the remote server is down", {}});
  });
  queue_.push_back({token, std::move(message), timer});
  if (state_ == State::kIdle || state_ == State::kFailed) Connect();
}

void LegacySseTransport::Post(std::uint64_t token, OutMessage message) {
  HttpRequest req;
  req.method = "POST";
  req.url = endpoint_;
  std::vector<std::pair<std::string, std::string>> base{{"Content-Type", "application/json"}};
  if (!protocol_version_.empty()) base.emplace_back("MCP-Protocol-Version", protocol_version_);
  AddMcpHeaders(message, &base);
  req.headers = headers_.Build(std::move(base), endpoint_, false);
  req.body = std::move(message.body);
  req.connect_timeout = config_.connect_timeout;
  req.headers_timeout = config_.headers_timeout;
  req.idle_timeout = config_.json_body_timeout;
  struct PostState {
    long status = 0;
    std::string body;
    std::string www_authenticate;
  };
  auto st = std::make_shared<PostState>();
  auto id = std::make_shared<HttpClient::Id>(0);
  *id = http_.Start(
      std::move(req),
      {[this, st](const HttpResponseHead& h) {
         st->status = h.status;
         headers_.StoreCookies(endpoint_, h);
       },
       [st](std::string_view c) {
         if (st->body.size() < 4096) st->body.append(c.substr(0, 4096));
         return true;
       },
       [this, st, id, token](const HttpError& e) {
         posts_.erase(std::remove(posts_.begin(), posts_.end(), *id), posts_.end());
         SendResult r;
         r.status = st->status;
         if (st->status >= 200 && st->status < 300) {
           r.outcome = SendOutcome::kAccepted;
         } else if (st->status == 0) {
           r.outcome = SendOutcome::kFailed;
           r.detail = e.message;
         } else {
           r.outcome = st->status == 401   ? SendOutcome::kUnauthorized
                       : st->status == 403 ? SendOutcome::kForbidden
                                           : SendOutcome::kFailed;
           r.detail = DescribeHttpFailure("Error POSTing to endpoint", st->status, st->body);
           r.www_authenticate = st->www_authenticate;
         }
         sink_.OnSendResult(token, r);
       }});
  posts_.push_back(*id);
}

void LegacySseTransport::Shutdown(std::function<void()> done) {
  state_ = State::kClosed;
  if (stream_id_) http_.Cancel(stream_id_);
  stream_id_ = 0;
  for (auto id : posts_) http_.Cancel(id);
  posts_.clear();
  if (reconnect_timer_) loop_.CancelTimer(reconnect_timer_);
  reconnect_timer_ = 0;
  for (auto& q : queue_) loop_.CancelTimer(q.timer);
  queue_.clear();
  loop_.Post(std::move(done));
}

}  // namespace mcpr
