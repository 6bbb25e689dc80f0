#include "proxy.h"

#include <boost/json.hpp>

#include "jsonrpc.h"
#include "legacy_sse.h"
#include "streamable_http.h"

#ifndef MCPR_VERSION
#define MCPR_VERSION "0.0.0"
#endif

namespace mcpr {

namespace json = boost::json;

namespace {

constexpr Millis kInitializeTimeout{30000};
constexpr Millis kReinitTimeout{30000};
constexpr Millis kBarrierTimeout{10000};
constexpr std::string_view kOwnPrefix = "mcp-remote-";

bool IsOwnId(std::string_view raw_id) {
  // Any JSON string that DECODES to "mcp-remote-…": an escaped spelling
  // (\u006dcp-remote-…) is the same id to the server.
  if (raw_id.empty() || raw_id[0] != '"') return false;
  if (raw_id.find('\\') == std::string_view::npos)
    return raw_id.size() > kOwnPrefix.size() + 1 && raw_id.substr(1, kOwnPrefix.size()) == kOwnPrefix;
  std::string decoded;
  return DecodeJsonString(raw_id, &decoded) && decoded.rfind(kOwnPrefix, 0) == 0;
}

std::string Splice(std::string_view text, Span span, std::string_view replacement) {
  std::string out;
  out.reserve(text.size() - span.len + replacement.size());
  out.append(text.substr(0, span.pos));
  out.append(replacement);
  out.append(text.substr(span.pos + span.len));
  return out;
}

json::parse_options JsonOptions() {
  json::parse_options o;
  o.max_depth = kMaxJsonDepth;
  return o;
}

std::string JsonQuote(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

}  // namespace

RemoteConfig MakeRemoteConfig(const Options& o) {
  RemoteConfig c;
  c.url = o.server_url;
  for (const auto& h : o.headers) c.custom_headers.emplace_back(h.name, h.value);
  c.cookies = !o.disable_cookies;
  if (o.connect_timeout) c.connect_timeout = *o.connect_timeout;
  if (o.headers_timeout) c.headers_timeout = *o.headers_timeout;
  if (o.body_timeout) {
    // An explicit --body-timeout applies to every body, streams included (npm).
    c.json_body_timeout = *o.body_timeout;
    c.stream_idle_timeout = *o.body_timeout;
  }
  return c;
}

Proxy::Proxy(EventLoop& loop, HttpClient& http, Logger& log, const Options& options, LocalSink& local,
             Authenticator* auth)
    : loop_(loop),
      http_(http),
      log_(log),
      options_(options),
      local_(local),
      auth_(auth),
      remote_config_(MakeRemoteConfig(options)) {
  streamable_ = options_.transport == TransportStrategy::kHttpFirst ||
                options_.transport == TransportStrategy::kHttpOnly;
  if (options_.keep_alive) ScheduleKeepalive();
}

Proxy::~Proxy() {
  for (auto& [key, p] : pending_)
    if (p.timer) loop_.CancelTimer(p.timer);
  for (auto t : {barrier_timer_, reinit_timer_, keepalive_timer_, shutdown_timer_})
    if (t) loop_.CancelTimer(t);
}

// ---------------------------------------------------------------- host side

void Proxy::OnHostLine(std::string_view line) {
  if (shutting_down_) return;
  HandleHostMessage(line, nullptr);
}

void Proxy::OnHostLineTooLong(std::size_t bytes) {
  log_.Error("Dropped a message from the host: {} bytes exceeds the {} MiB limit", bytes,
             remote_config_.max_message_bytes >> 20);
  ReplyError("null", kInvalidRequest,
             "mcp-remote: message too large (" + std::to_string(bytes) + " bytes; the limit is " +
                 std::to_string(remote_config_.max_message_bytes >> 20) + " MiB)",
             nullptr);
}

void Proxy::ReplyToHost(std::string_view message, const std::shared_ptr<BatchGroup>& group) {
  if (group) {
    group->responses.emplace_back(message);
  } else {
    local_.WriteToHost(message);
  }
}

void Proxy::ReplyError(std::string_view raw_id, int code, std::string_view message,
                       const std::shared_ptr<BatchGroup>& group) {
  ReplyToHost(MakeErrorResponse(raw_id, code, message), group);
}

void Proxy::FinishGroupMember(const std::shared_ptr<BatchGroup>& group) {
  if (!group) return;
  if (group->outstanding > 0) --group->outstanding;
  if (group->outstanding != 0 || group->responses.empty()) return;
  std::string out = "[";
  for (std::size_t i = 0; i < group->responses.size(); ++i) {
    if (i) out += ',';
    out += group->responses[i];
  }
  out += ']';
  group->responses.clear();
  local_.WriteToHost(out);
}

void Proxy::HandleHostMessage(std::string_view text, const std::shared_ptr<BatchGroup>& group) {
  Peek peek;
  std::string why;
  PeekError err = PeekMessage(text, &peek, &why);
  if (err != PeekError::kNone) {
    log_.Warn("Invalid message from the host: {}", why);
    std::string raw_id = peek.id.present() ? std::string(peek.id.in(text)) : "null";
    ReplyError(raw_id, err == PeekError::kParse ? kParseError : kInvalidRequest,
               err == PeekError::kParse ? "Parse error: " + why : "Invalid Request: " + why, group);
    return;
  }

  if (peek.kind == MessageKind::kBatch) {
    // JSON-RPC batch (MCP 2025-03-26 hosts). Each member travels on its own
    // (later servers accept single messages only); the answers are gathered
    // into one array, as JSON-RPC requires.
    auto batch = std::make_shared<BatchGroup>();
    batch->outstanding = 1;  // held open until every member was dispatched
    for (const Span& item : peek.items) HandleHostMessage(item.in(text), batch);
    FinishGroupMember(batch);
    return;
  }

  OutMessage msg;
  msg.kind = peek.kind;
  msg.method = peek.method;
  msg.name = peek.name;
  msg.has_name = peek.has_name;

  if (peek.kind == MessageKind::kRequest) {
    std::string_view raw_id = peek.id.in(text);
    if (IsOwnId(raw_id)) {
      ReplyError(raw_id, kInvalidRequest, "Invalid Request: ids starting with \"mcp-remote-\" are reserved",
                 group);
      return;
    }
    std::string key = IdKey(raw_id);
    if (pending_.count(key)) {
      ReplyError(raw_id, kInvalidRequest, "Invalid Request: a request with this id is already in flight", group);
      return;
    }
    if (peek.method == "tools/call" && peek.has_name && !ToolAllowed(options_, peek.name)) {
      log_.Info("Refusing a call to the filtered tool {}", peek.name);
      ReplyError(raw_id, kInternalError, "Tool \"" + peek.name + "\" is not available", group);
      return;
    }
    Pending p;
    p.raw_id = std::string(raw_id);
    p.method = peek.method;
    p.group = group;
    if (group) ++group->outstanding;
    msg.id_key = key;
    if (peek.method == "initialize") {
      msg.body = RewriteInitialize(text);
      init_body_ = msg.body;
      init_id_key_ = key;
      // 30 s like mcp-remote: a server that never answers must not hang the host.
      ArmInitializeTimeout(key, &p);
    } else {
      msg.body = std::string(text);
    }
    pending_.emplace(key, std::move(p));
    log_.Debug("[Local→Remote] {}", peek.method);
  } else {
    msg.body = std::string(text);
    log_.Debug("[Local→Remote] {}", peek.kind == MessageKind::kResponse ? "response" : peek.method);
  }
  Dispatch(std::move(msg));
}

void Proxy::ArmInitializeTimeout(const std::string& key, Pending* p) {
  p->timer = loop_.AddTimer(kInitializeTimeout, [this, key] {
    auto it = pending_.find(key);
    if (it == pending_.end()) return;
    it->second.timer = 0;
    if (authorizing_) {
      // A sign-in (browser, user) is under way: its own deadlines apply.
      ArmInitializeTimeout(key, &it->second);
      return;
    }
    FailRequest(key, "the remote server did not answer initialize within 30 s");
  });
}

// ---------------------------------------------------------------- sending

void Proxy::EnsureTransport() {
  if (!transport_) transport_ = MakeTransport(streamable_);
}

std::unique_ptr<Transport> Proxy::MakeTransport(bool streamable) {
  if (streamable)
    return std::make_unique<StreamableHttpTransport>(loop_, http_, log_, remote_config_, auth_, &cookies_, *this);
  return std::make_unique<LegacySseTransport>(loop_, http_, log_, remote_config_, auth_, &cookies_, *this);
}

void Proxy::Dispatch(OutMessage message, bool retried, bool requeue_front) {
  auto wait = [&] {
    if (requeue_front) {
      queue_.emplace_front(std::move(message), retried);
    } else {
      queue_.emplace_back(std::move(message), retried);
    }
  };
  if (authorizing_) return wait();
  if (auth_ && auth_->WantsRefreshBeforeSend()) {
    // The token expired (e.g. the laptop slept): refresh before sending.
    wait();
    authorizing_ = true;
    auth_->RefreshBeforeSend([this](bool ok, const std::string& why) { FinishAuth(ok, why); });
    return;
  }
  if (message.is_initialize()) {
    if (state_ == State::kIdle || state_ == State::kReady) {
      state_ = State::kConnecting;
      barrier_ = false;
      SendNow(std::move(message), retried, Own::kNone);
      return;
    }
  }
  if (state_ == State::kConnecting || state_ == State::kReinitializing || barrier_) return wait();
  bool initialized = message.kind == MessageKind::kNotification && message.method == "notifications/initialized";
  SendNow(std::move(message), retried, Own::kNone);
  if (initialized) {
    initialized_seen_ = true;
    barrier_ = true;
    barrier_timer_ = loop_.AddTimer(kBarrierTimeout, [this] {
      barrier_timer_ = 0;
      ReleaseBarrier();
    });
  }
}

void Proxy::SendNow(OutMessage message, bool retried, Own own) {
  EnsureTransport();
  std::uint64_t token = next_token_++;
  OutMessage copy = message;  // kept until the send settles: a 404/fallback resends it
  in_flight_.emplace(token, InFlight{std::move(copy), retried, own});
  transport_->Send(token, std::move(message));
}

bool Proxy::CanSend() const {
  return !authorizing_ && !barrier_ && state_ != State::kConnecting && state_ != State::kReinitializing;
}

void Proxy::FlushQueue() {
  while (!queue_.empty() && CanSend()) {
    auto [msg, retried] = std::move(queue_.front());
    queue_.pop_front();
    Dispatch(std::move(msg), retried, /*requeue_front=*/true);
  }
}

void Proxy::ReleaseBarrier() {
  if (!barrier_) return;
  barrier_ = false;
  if (barrier_timer_) loop_.CancelTimer(barrier_timer_);
  barrier_timer_ = 0;
  FlushQueue();
}

void Proxy::OnSendResult(std::uint64_t token, const SendResult& result) {
  auto it = in_flight_.find(token);
  if (it == in_flight_.end()) return;
  InFlight f = std::move(it->second);
  in_flight_.erase(it);
  const OutMessage& m = f.message;
  bool is_initialized_note = m.kind == MessageKind::kNotification && m.method == "notifications/initialized";

  if (result.outcome == SendOutcome::kAccepted) {
    if (is_initialized_note) {
      if (f.own == Own::kReinitNotify) {
        FinishReinit(true, {});
      } else {
        transport_->OnInitialized();
        ReleaseBarrier();
      }
    }
    return;
  }

  if (f.own == Own::kKeepalive) {
    log_.Debug("Keep-alive ping failed: {}", result.detail);
    return;
  }
  if (f.own == Own::kReinit || f.own == Own::kReinitNotify) {
    FinishReinit(false, result.detail);
    return;
  }

  if ((result.outcome == SendOutcome::kUnauthorized || result.outcome == SendOutcome::kForbidden) && auth_ &&
      !f.retried && !shutting_down_) {
    StartAuth(result, std::move(f.message));
    return;
  }

  if (result.outcome == SendOutcome::kSessionExpired && !f.retried && !shutting_down_) {
    log_.Info("Session expired ({}); re-initializing", result.detail);
    OutMessage again = std::move(f.message);
    if (again.is_initialize()) {
      // The host itself is re-initializing: just resend without a session.
      transport_->ClearSession();
      state_ = State::kIdle;
      Dispatch(std::move(again), true);
      return;
    }
    retry_after_reinit_.push_back(std::move(again));
    StartReinit(result.detail);
    return;
  }

  if (result.outcome == SendOutcome::kFallback && m.is_initialize() && !fallback_done_ &&
      (options_.transport == TransportStrategy::kHttpFirst || options_.transport == TransportStrategy::kSseFirst)) {
    FallBack(std::move(f.message));
    return;
  }

  std::string reason = result.detail.empty() ? "failed to send the message" : result.detail;
  if (is_initialized_note) ReleaseBarrier();
  if (m.kind == MessageKind::kRequest) {
    log_.Error("Failed to forward {}: {}", m.method, reason);
    FailRequest(m.id_key, reason);
  } else {
    log_.Error("Failed to forward a {}: {}", m.kind == MessageKind::kResponse ? "response" : m.method, reason);
  }
  if (m.is_initialize()) AbortConnect(reason);
}

void Proxy::AbortConnect(std::string_view reason) {
  if (state_ != State::kConnecting) return;
  // No connection: everything waiting for it fails too.
  state_ = State::kIdle;
  auto waiting = std::move(queue_);
  queue_.clear();
  for (auto& [msg, retried] : waiting)
    if (msg.kind == MessageKind::kRequest) FailRequest(msg.id_key, reason);
}

void Proxy::FallBack(OutMessage initialize) {
  fallback_done_ = true;
  streamable_ = !streamable_;
  log_.Info("Falling back to the {} transport", streamable_ ? "Streamable HTTP" : "SSE");
  if (transport_) retired_.push_back(std::move(transport_));
  loop_.Post([this] { retired_.clear(); });  // we may be inside the old transport's callback
  transport_ = MakeTransport(streamable_);
  SendNow(std::move(initialize), false, Own::kNone);
}

void Proxy::FailRequest(const std::string& id_key, std::string_view reason) {
  auto it = pending_.find(id_key);
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  if (p.timer) loop_.CancelTimer(p.timer);
  ReplyError(p.raw_id, kConnectionError, "mcp-remote: " + std::string(reason), p.group);
  FinishGroupMember(p.group);
  if (id_key == init_id_key_) AbortConnect(reason);
  MaybeFinishShutdown();
}

void Proxy::FailAllPending(std::string_view reason) {
  std::vector<std::string> keys;
  keys.reserve(pending_.size());
  for (const auto& [key, p] : pending_) keys.push_back(key);
  for (const auto& key : keys) FailRequest(key, reason);
}

void Proxy::OnResponseLost(const std::string& id_key, const std::string& why) {
  log_.Error("Lost the response to a request: {}", why);
  FailRequest(id_key, why);
}

// ---------------------------------------------------------------- server side

void Proxy::OnServerMessage(std::string_view raw) {
  Peek peek;
  std::string why;
  if (PeekMessage(raw, &peek, &why) != PeekError::kNone) {
    log_.Warn("Ignoring an invalid message from the server: {}", why);
    return;
  }
  if (peek.kind == MessageKind::kBatch) {
    for (const Span& item : peek.items) OnServerMessage(item.in(raw));
    return;
  }
  if (peek.kind == MessageKind::kResponse) {
    std::string_view raw_id = peek.id.in(raw);
    if (IsOwnId(raw_id)) {
      HandleOwnResponse(raw_id, raw, peek);
      return;
    }
    if (raw_id == "null") {  // e.g. the server could not parse something: let the host see it
      local_.WriteToHost(raw);
      return;
    }
    auto it = pending_.find(IdKey(raw_id));
    if (it == pending_.end()) {
      log_.Debug("Dropping a response to an id with no request in flight");
      return;
    }
    Pending p = std::move(it->second);
    pending_.erase(it);
    if (p.timer) loop_.CancelTimer(p.timer);
    log_.Debug("[Remote→Local] {}", p.method);
    if (p.method == "initialize") OnInitializeResult(raw, peek);
    if (p.method == "tools/list" && filtering() && peek.result.present()) {
      ReplyToHost(FilterToolsList(raw, p.raw_id), p.group);
    } else if (raw_id != p.raw_id) {
      ReplyToHost(Splice(raw, peek.id, p.raw_id), p.group);  // restore the host's exact id bytes
    } else {
      ReplyToHost(raw, p.group);
    }
    FinishGroupMember(p.group);
    MaybeFinishShutdown();
    return;
  }
  if (peek.kind == MessageKind::kRequest && IsOwnId(peek.id.in(raw))) {
    OutMessage reply;
    reply.kind = MessageKind::kResponse;
    reply.body = MakeErrorResponse(peek.id.in(raw), kInvalidRequest,
                                   "Invalid Request: ids starting with \"mcp-remote-\" are reserved");
    Dispatch(std::move(reply));
    return;
  }
  log_.Debug("[Remote→Local] {}", peek.method);
  local_.WriteToHost(raw);
}

void Proxy::OnInitializeResult(std::string_view raw, const Peek& peek) {
  state_ = State::kReady;
  if (peek.result.present()) {
    json::error_code ec;
    json::value result = json::parse(peek.result.in(raw), ec, {}, JsonOptions());
    if (!ec && result.is_object()) {
      if (const json::value* v = result.as_object().if_contains("protocolVersion"); v && v->is_string()) {
        transport_->SetProtocolVersion(std::string(v->as_string()));
      }
    }
  }
  log_.Info("Connected to the remote server using {}", transport_->name());
  loop_.Post([this] { FlushQueue(); });
}

void Proxy::HandleOwnResponse(std::string_view raw_id, std::string_view raw, const Peek& peek) {
  std::string id;
  DecodeJsonString(raw_id, &id);
  if (id == reinit_id_ && state_ == State::kReinitializing) {
    if (reinit_timer_) loop_.CancelTimer(reinit_timer_);
    reinit_timer_ = 0;
    if (!peek.result.present()) {
      FinishReinit(false, "the server refused the replayed initialize");
      return;
    }
    json::error_code ec;
    json::value result = json::parse(peek.result.in(raw), ec, {}, JsonOptions());
    if (!ec && result.is_object()) {
      if (const json::value* v = result.as_object().if_contains("protocolVersion"); v && v->is_string())
        transport_->SetProtocolVersion(std::string(v->as_string()));
    }
    OutMessage note;
    note.kind = MessageKind::kNotification;
    note.method = "notifications/initialized";
    note.body = R"({"jsonrpc":"2.0","method":"notifications/initialized"})";
    SendNow(std::move(note), false, Own::kReinitNotify);
    return;
  }
  // Keep-alive pongs and late answers are swallowed.
}

// ---------------------------------------------------------------- OAuth

void Proxy::StartAuth(const SendResult& result, OutMessage failed) {
  retry_after_auth_.push_back(std::move(failed));
  if (authorizing_) return;  // one attempt serves every request that hit the 401
  authorizing_ = true;
  log_.Info("The server requires authorization (HTTP {})", result.status);
  auth_->OnUnauthorized(result, [this](bool ok, const std::string& why) { FinishAuth(ok, why); });
}

void Proxy::FinishAuth(bool ok, const std::string& why) {
  if (!authorizing_) return;
  authorizing_ = false;
  auto retry = std::move(retry_after_auth_);
  retry_after_auth_.clear();
  if (ok) {
    for (auto& m : retry) SendNow(std::move(m), /*retried=*/true, Own::kNone);
  } else {
    std::string reason = "authorization failed: " + why;
    log_.Error("{}", reason);
    for (auto& m : retry) {
      if (m.kind == MessageKind::kRequest) FailRequest(m.id_key, reason);
      if (m.is_initialize()) AbortConnect(reason);
    }
  }
  FlushQueue();
}

// ---------------------------------------------------------------- re-initialize

void Proxy::OnSessionLost(const std::string& why) {
  if (shutting_down_) return;
  if (!streamable_) {
    // Legacy SSE: the answers of requests in flight travelled on the old
    // stream and are gone (mcp-remote §1.10.6).
    FailAllPending("the connection to the remote server dropped; please retry");
  }
  StartReinit(why);
}

void Proxy::StartReinit(std::string_view why) {
  if (state_ == State::kReinitializing) return;
  if (init_body_.empty() || state_ != State::kReady) {
    // Nothing to replay yet (the host has not initialized): just retry.
    auto retry = std::move(retry_after_reinit_);
    retry_after_reinit_.clear();
    for (auto& m : retry) Dispatch(std::move(m), true);
    return;
  }
  state_ = State::kReinitializing;
  log_.Info("Re-establishing the session with the remote server ({})", why);
  transport_->ClearSession();
  reinit_id_ = "mcp-remote-reinit-" + std::to_string(++reinit_count_);
  Peek peek;
  std::string err;
  PeekMessage(init_body_, &peek, &err);
  OutMessage m;
  m.kind = MessageKind::kRequest;
  m.method = "initialize";
  m.body = Splice(init_body_, peek.id, JsonQuote(reinit_id_));
  m.id_key = IdKey(JsonQuote(reinit_id_));
  SendNow(std::move(m), true, Own::kReinit);
  reinit_timer_ = loop_.AddTimer(kReinitTimeout, [this] {
    reinit_timer_ = 0;
    FinishReinit(false, "the remote server did not answer the replayed initialize within 30 s");
  });
}

void Proxy::FinishReinit(bool ok, std::string_view why) {
  if (state_ != State::kReinitializing) return;
  if (reinit_timer_) loop_.CancelTimer(reinit_timer_);
  reinit_timer_ = 0;
  state_ = State::kReady;
  auto retry = std::move(retry_after_reinit_);
  retry_after_reinit_.clear();
  if (ok) {
    log_.Info("Re-established the session with the remote server");
    transport_->OnInitialized();
    for (auto& m : retry) SendNow(std::move(m), true, Own::kNone);
    FlushQueue();
    return;
  }
  log_.Error("Could not re-establish the session: {}", why);
  std::string reason = "could not re-establish the session with the remote server: " + std::string(why);
  for (auto& m : retry)
    if (m.kind == MessageKind::kRequest) FailRequest(m.id_key, reason);
  auto waiting = std::move(queue_);
  queue_.clear();
  for (auto& [m, r] : waiting)
    if (m.kind == MessageKind::kRequest) FailRequest(m.id_key, reason);
}

// ---------------------------------------------------------------- keep-alive

void Proxy::ScheduleKeepalive() {
  keepalive_timer_ = loop_.AddTimer(options_.ping_interval, [this] {
    keepalive_timer_ = 0;
    if (shutting_down_) return;
    if (state_ == State::kReady && transport_) {
      OutMessage ping;
      ping.kind = MessageKind::kRequest;
      ping.method = "ping";
      std::string id = JsonQuote("mcp-remote-keepalive-" + std::to_string(++keepalive_count_));
      ping.body = R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":"ping"})";
      ping.id_key = IdKey(id);
      log_.Debug("Sending keep-alive ping");
      SendNow(std::move(ping), true, Own::kKeepalive);
    }
    ScheduleKeepalive();
  });
}

// ---------------------------------------------------------------- rewrites

std::string Proxy::RewriteInitialize(std::string_view text) const {
  json::error_code ec;
  json::value v = json::parse(text, ec, {}, JsonOptions());
  if (ec || !v.is_object()) return std::string(text);
  json::object* params = v.as_object().if_contains("params") ? v.as_object()["params"].if_object() : nullptr;
  if (!params) return std::string(text);
  json::object* info = params->if_contains("clientInfo") ? (*params)["clientInfo"].if_object() : nullptr;
  if (!info) return std::string(text);
  std::string name = "mcp-remote";
  if (const json::value* n = info->if_contains("name"); n && n->is_string()) name = std::string(n->as_string());
  (*info)["name"] = name + " (via mcp-remote " MCPR_VERSION ")";
  // The id must stay byte-identical: splice the original id back in.
  std::string out = json::serialize(v);
  Peek orig, now;
  std::string err;
  if (PeekMessage(text, &orig, &err) == PeekError::kNone && PeekMessage(out, &now, &err) == PeekError::kNone &&
      orig.id.present() && now.id.present())
    out = Splice(out, now.id, orig.id.in(text));
  return out;
}

std::string Proxy::FilterToolsList(std::string_view raw, std::string_view host_raw_id) const {
  Peek peek;
  std::string err;
  PeekMessage(raw, &peek, &err);
  json::error_code ec;
  json::value result = json::parse(peek.result.in(raw), ec, {}, JsonOptions());
  if (ec || !result.is_object()) return Splice(raw, peek.id, host_raw_id);
  json::array* tools = result.as_object().if_contains("tools") ? result.as_object()["tools"].if_array() : nullptr;
  if (!tools) return Splice(raw, peek.id, host_raw_id);
  json::array kept;
  for (auto& t : *tools) {
    const json::object* obj = t.if_object();
    const json::value* n = obj ? obj->if_contains("name") : nullptr;
    if (n && n->is_string() && !ToolAllowed(options_, std::string_view(n->as_string()))) {
      log_.Debug("Hiding tool {}", std::string_view(n->as_string()));
      continue;
    }
    kept.push_back(std::move(t));
  }
  *tools = std::move(kept);
  // Only "result" changed: splice it into the original text, id restored.
  std::string out = Splice(raw, peek.result, json::serialize(result));
  Peek again;
  if (PeekMessage(out, &again, &err) == PeekError::kNone && again.id.present())
    out = Splice(out, again.id, host_raw_id);
  return out;
}

// ---------------------------------------------------------------- shutdown

void Proxy::Shutdown(Millis grace, std::function<void()> done) {
  if (shutting_down_) return;
  shutting_down_ = true;
  shutdown_done_ = std::move(done);
  if (keepalive_timer_) loop_.CancelTimer(keepalive_timer_);
  keepalive_timer_ = 0;
  // Messages that never left (waiting for a connection) are answered now.
  auto waiting = std::move(queue_);
  queue_.clear();
  for (auto& [m, r] : waiting)
    if (m.kind == MessageKind::kRequest) FailRequest(m.id_key, "the proxy is shutting down");
  if (!pending_.empty()) {
    log_.Info("Waiting up to {} ms for {} request(s) in flight", grace.count(), pending_.size());
    shutdown_timer_ = loop_.AddTimer(grace, [this] {
      shutdown_timer_ = 0;
      FailAllPending("the proxy is shutting down");
    });
  }
  MaybeFinishShutdown();
}

void Proxy::MaybeFinishShutdown() {
  if (!shutting_down_ || !pending_.empty() || !shutdown_done_) return;
  if (shutdown_timer_) loop_.CancelTimer(shutdown_timer_);
  shutdown_timer_ = 0;
  auto done = std::move(shutdown_done_);
  shutdown_done_ = nullptr;
  if (transport_) {
    transport_->Shutdown(std::move(done));
  } else {
    loop_.Post(std::move(done));
  }
}

}  // namespace mcpr
