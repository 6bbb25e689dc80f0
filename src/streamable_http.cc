#include "streamable_http.h"

#include <algorithm>
#include <cctype>

#include "byte_buffer.h"
#include "sse_parser.h"

namespace mcpr {

namespace {
constexpr std::size_t kMaxErrorBody = 64 * 1024;

bool ContainsSessionWord(std::string_view body) {
  std::string lower(body.substr(0, 4096));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("session") != std::string::npos;
}
}  // namespace

struct StreamableHttpTransport::Stream : SseParser::Sink {
  enum class Kind { kPost, kResume, kGet };
  enum class Body { kNone, kJson, kSse, kError };

  StreamableHttpTransport* owner = nullptr;
  Kind kind = Kind::kPost;
  std::uint64_t serial = 0;
  HttpClient::Id http_id = 0;
  std::uint64_t token = 0;
  OutMessage message;      // kPost (body moved out into the request)
  std::string id_key;      // request awaiting its response (kPost request, kResume)
  bool had_session = false;
  Body body = Body::kNone;
  long status = 0;
  ByteBuffer buffer;       // JSON body or error text
  std::string www_authenticate;  // 401/403 challenges, joined
  std::unique_ptr<SseParser> sse;
  std::optional<std::uint64_t> retry_ms;
  int attempt = 0;
  bool result_reported = false;
  bool progressed = false;
  bool too_large = false;
  bool ended = false;

  void OnEvent(const SseEvent& event) override {
    if (ended) return;
    progressed = true;
    if (event.type == "message" && !event.data.empty()) owner->sink_.OnServerMessage(event.data);
  }
  void OnRetry(std::uint64_t ms) override { retry_ms = ms; }
};

StreamableHttpTransport::StreamableHttpTransport(EventLoop& loop, HttpClient& http, Logger& log,
                                                 const RemoteConfig& config, AuthProvider* auth,
                                                 CookieJar* jar, Sink& sink)
    : loop_(loop), http_(http), log_(log), config_(config), headers_(config, auth, jar), sink_(sink) {}

StreamableHttpTransport::~StreamableHttpTransport() {
  for (auto& [serial, s] : streams_)
    if (s->http_id) http_.Cancel(s->http_id);
  if (get_timer_) loop_.CancelTimer(get_timer_);
  for (auto t : resume_timers_) loop_.CancelTimer(t);
}

std::vector<std::pair<std::string, std::string>> StreamableHttpTransport::BaseHeaders(bool post) const {
  std::vector<std::pair<std::string, std::string>> h;
  h.reserve(8);
  if (post) {
    h.emplace_back("Content-Type", "application/json");
    h.emplace_back("Accept", "application/json, text/event-stream");
  } else {
    h.emplace_back("Accept", "text/event-stream");
  }
  if (!session_id_.empty()) h.emplace_back("Mcp-Session-Id", session_id_);
  if (!protocol_version_.empty()) h.emplace_back("MCP-Protocol-Version", protocol_version_);
  return h;
}

void StreamableHttpTransport::Send(std::uint64_t token, OutMessage message) {
  if (shutting_down_) {
    loop_.Post([this, token] {
      sink_.OnSendResult(token, {SendOutcome::kFailed, 0, "the proxy is shutting down", {}});
    });
    return;
  }
  StartPost(token, std::move(message));
}

void StreamableHttpTransport::StartPost(std::uint64_t token, OutMessage message) {
  auto s = std::make_unique<Stream>();
  s->owner = this;
  s->kind = Stream::Kind::kPost;
  s->serial = next_stream_++;
  s->token = token;
  s->had_session = !session_id_.empty();
  if (message.kind == MessageKind::kRequest) s->id_key = message.id_key;

  HttpRequest req;
  req.method = "POST";
  req.url = config_.url;
  auto base = BaseHeaders(true);
  if (message.is_initialize()) {
    // A new session starts here: never send a stale session id with it.
    base.erase(std::remove_if(base.begin(), base.end(),
                              [](const auto& h) { return h.first == "Mcp-Session-Id"; }),
               base.end());
    s->had_session = false;
  }
  AddMcpHeaders(message, &base);
  req.headers = headers_.Build(std::move(base), config_.url, false);
  req.body = std::move(message.body);
  message.body.clear();
  s->message = std::move(message);
  req.connect_timeout = config_.connect_timeout;
  req.headers_timeout = config_.headers_timeout;
  req.idle_timeout = config_.json_body_timeout;

  Stream* raw = s.get();
  std::uint64_t serial = s->serial;
  streams_.emplace(serial, std::move(s));
  raw->http_id = http_.Start(std::move(req),
                             {[this, raw](const HttpResponseHead& h) { OnStreamHead(raw, h); },
                              [this, raw](std::string_view c) { return OnStreamBody(raw, c); },
                              [this, raw](const HttpError& e) { OnStreamDone(raw, e); }});
}

void StreamableHttpTransport::StartResume(std::string id_key, std::string last_event_id, int attempt) {
  if (shutting_down_) return;
  auto s = std::make_unique<Stream>();
  s->owner = this;
  s->kind = Stream::Kind::kResume;
  s->serial = next_stream_++;
  s->id_key = std::move(id_key);
  s->attempt = attempt;
  s->had_session = !session_id_.empty();
  HttpRequest req;
  req.method = "GET";
  req.url = config_.url;
  auto base = BaseHeaders(false);
  base.emplace_back("Last-Event-ID", last_event_id);
  req.headers = headers_.Build(std::move(base), config_.url, true);
  req.connect_timeout = config_.connect_timeout;
  req.headers_timeout = config_.headers_timeout;
  req.idle_timeout = config_.stream_idle_timeout;
  Stream* raw = s.get();
  streams_.emplace(s->serial, std::move(s));
  log_.Debug("Resuming the response stream with Last-Event-ID (attempt {})", attempt + 1);
  raw->http_id = http_.Start(std::move(req),
                             {[this, raw](const HttpResponseHead& h) { OnStreamHead(raw, h); },
                              [this, raw](std::string_view c) { return OnStreamBody(raw, c); },
                              [this, raw](const HttpError& e) { OnStreamDone(raw, e); }});
}

void StreamableHttpTransport::ScheduleResume(std::string id_key, std::string last_event_id, int attempt,
                                             Millis delay) {
  auto id = std::make_shared<EventLoop::TimerId>(0);
  *id = loop_.AddTimer(delay, [this, id, key = std::move(id_key), last = std::move(last_event_id), attempt] {
    resume_timers_.erase(*id);
    StartResume(key, last, attempt);
  });
  resume_timers_.insert(*id);
}

void StreamableHttpTransport::OnInitialized() {
  if (get_wanted_ || shutting_down_) return;
  get_wanted_ = true;
  get_attempts_ = 0;
  OpenGetStream();
}

void StreamableHttpTransport::OpenGetStream() {
  get_timer_ = 0;
  if (!get_wanted_ || shutting_down_ || get_stream_) return;
  auto s = std::make_unique<Stream>();
  s->owner = this;
  s->kind = Stream::Kind::kGet;
  s->serial = next_stream_++;
  s->had_session = !session_id_.empty();
  HttpRequest req;
  req.method = "GET";
  req.url = config_.url;
  auto base = BaseHeaders(false);
  if (!get_last_event_id_.empty()) base.emplace_back("Last-Event-ID", get_last_event_id_);
  req.headers = headers_.Build(std::move(base), config_.url, true);
  req.connect_timeout = config_.connect_timeout;
  req.headers_timeout = config_.headers_timeout;
  req.idle_timeout = config_.stream_idle_timeout;
  Stream* raw = s.get();
  get_stream_ = s->serial;
  streams_.emplace(s->serial, std::move(s));
  raw->http_id = http_.Start(std::move(req),
                             {[this, raw](const HttpResponseHead& h) { OnStreamHead(raw, h); },
                              [this, raw](std::string_view c) { return OnStreamBody(raw, c); },
                              [this, raw](const HttpError& e) { OnStreamDone(raw, e); }});
}

void StreamableHttpTransport::ScheduleGetStream() {
  if (!get_wanted_ || shutting_down_ || get_timer_ || get_stream_) return;
  Millis delay = ReconnectDelay(get_retry_ms_, get_attempts_++);
  log_.Debug("Reopening the server's GET event stream in {} ms", delay.count());
  get_timer_ = loop_.AddTimer(delay, [this] { OpenGetStream(); });
}

bool StreamableHttpTransport::SessionGoneStatus(long status, std::string_view body, bool had_session) const {
  if (!had_session) return false;
  if (status == 404) return true;
  // SDK servers (TypeScript, Python) answer an unknown session with 400
  // "Bad Request: No valid session ID provided" instead of the spec's 404.
  return status == 400 && ContainsSessionWord(body);
}

void StreamableHttpTransport::OnStreamHead(Stream* s, const HttpResponseHead& head) {
  headers_.StoreCookies(config_.url, head);
  s->status = head.status;
  if (head.status < 200 || head.status >= 300) {
    s->body = Stream::Body::kError;
    for (const auto& [name, value] : head.headers)
      if (name == "www-authenticate") s->www_authenticate += (s->www_authenticate.empty() ? "" : ", ") + value;
    return;
  }
  if (s->kind == Stream::Kind::kPost) {
    if (s->message.is_initialize()) {
      if (const std::string* sid = head.Find("mcp-session-id")) session_id_ = *sid;
    }
    s->result_reported = true;
    sink_.OnSendResult(s->token, {SendOutcome::kAccepted, head.status, {}, {}});
    if (s->ended) return;
  }
  if (s->kind == Stream::Kind::kGet) get_attempts_ = 0;
  std::string media = head.MediaType();
  if (media == "text/event-stream") {
    s->body = Stream::Body::kSse;
    s->sse = std::make_unique<SseParser>(config_.max_message_bytes);
    if (s->kind == Stream::Kind::kPost && config_.stream_idle_timeout != config_.json_body_timeout)
      http_.SetIdleTimeout(s->http_id, config_.stream_idle_timeout);
  } else if (media == "application/json") {
    s->body = Stream::Body::kJson;
    if (const std::string* len = head.Find("content-length")) {
      std::size_t n = std::strtoull(len->c_str(), nullptr, 10);
      // One buffer of the right size (if there is no memory for it now,
      // Append reports that).
      if (n <= config_.max_message_bytes) static_cast<void>(s->buffer.Reserve(n));
    }
  } else if (head.status == 202 || head.status == 204) {
    s->body = Stream::Body::kNone;
  } else {
    s->body = Stream::Body::kError;  // unexpected content type: keep the text for the message
  }
}

bool StreamableHttpTransport::OnStreamBody(Stream* s, std::string_view chunk) {
  if (s->ended) return false;
  switch (s->body) {
    case Stream::Body::kJson:
      if (s->buffer.size() + chunk.size() > config_.max_message_bytes) {
        s->too_large = true;
        return false;
      }
      if (!s->buffer.Append(chunk, config_.max_message_bytes)) {
        s->too_large = true;  // out of memory: dropped like an oversized message
        return false;
      }
      return true;
    case Stream::Body::kSse: {
      bool ok = s->sse->Feed(chunk, *s);
      if (s->ended) return false;
      if (!ok) {
        s->too_large = true;
        return false;
      }
      if (s->kind == Stream::Kind::kGet) {
        get_last_event_id_ = s->sse->last_event_id();
        if (s->retry_ms) get_retry_ms_ = s->retry_ms;
      }
      if (s->kind == Stream::Kind::kResume && !sink_.IsPending(s->id_key)) {
        EndStream(s);  // the response arrived; this stream has nothing more for us
        return false;
      }
      return true;
    }
    case Stream::Body::kError:
      if (s->buffer.size() < kMaxErrorBody)
        static_cast<void>(s->buffer.Append(chunk.substr(0, kMaxErrorBody - s->buffer.size())));
      return true;
    case Stream::Body::kNone:
      return true;
  }
  return true;
}

void StreamableHttpTransport::OnStreamDone(Stream* s, const HttpError& error) {
  s->http_id = 0;
  if (s->ended) return;
  std::string cap_text = "the server's message exceeds the " +
                         std::to_string(config_.max_message_bytes >> 20) + " MiB cap";

  if (s->kind == Stream::Kind::kPost) {
    if (!s->result_reported) {
      SendResult r;
      r.status = s->status;
      if (!error.ok() && s->status == 0) {
        r.outcome = SendOutcome::kFailed;
        r.detail = error.message;
      } else if (s->status == 401 || s->status == 403) {
        r.outcome = s->status == 401 ? SendOutcome::kUnauthorized : SendOutcome::kForbidden;
        r.detail = DescribeHttpFailure("Error POSTing to endpoint", s->status, s->buffer.view());
        r.www_authenticate = s->www_authenticate;
      } else if (SessionGoneStatus(s->status, s->buffer.view(), s->had_session)) {
        r.outcome = SendOutcome::kSessionExpired;
        r.detail = DescribeHttpFailure("Session expired", s->status, s->buffer.view());
      } else if (!s->had_session && (s->status == 400 || s->status == 404 || s->status == 405)) {
        r.outcome = SendOutcome::kFallback;
        r.detail = DescribeHttpFailure("Error POSTing to endpoint", s->status, s->buffer.view());
      } else {
        r.outcome = SendOutcome::kFailed;
        r.detail = DescribeHttpFailure("Error POSTing to endpoint", s->status, s->buffer.view());
        if (!error.ok()) r.detail += " (" + error.message + ")";
      }
      s->result_reported = true;
      std::uint64_t token = s->token;
      EndStream(s);
      sink_.OnSendResult(token, r);
      return;
    }
    if (s->body == Stream::Body::kJson && error.ok() && !s->too_large) DeliverJson(s->buffer.view());
    if (s->ended) return;
    if (!s->id_key.empty() && sink_.IsPending(s->id_key)) {
      std::string last_id = s->sse ? s->sse->last_event_id() : std::string();
      if (s->body == Stream::Body::kSse && !s->too_large && !last_id.empty() && !shutting_down_) {
        // Spec 2025-11-25: the server may close the connection without ending
        // the stream; resume with GET + Last-Event-ID after `retry` ms.
        ScheduleResume(s->id_key, last_id, 0, ReconnectDelay(s->retry_ms, 0));
      } else {
        std::string why = s->too_large ? cap_text
                          : !error.ok() ? "the connection to the remote server broke: " + error.message
                          : s->body == Stream::Body::kError
                              ? DescribeHttpFailure("unexpected response", s->status, s->buffer.view())
                              : "the server closed the response stream without answering";
        std::string key = s->id_key;
        EndStream(s);
        sink_.OnResponseLost(key, why);
        return;
      }
    }
    EndStream(s);
    return;
  }

  if (s->kind == Stream::Kind::kResume) {
    std::string key = s->id_key;
    bool pending = sink_.IsPending(key);
    std::string last_id = s->sse ? s->sse->last_event_id() : std::string();
    bool ok_stream = s->body == Stream::Body::kSse && !s->too_large;
    int attempt = s->progressed ? 0 : s->attempt + 1;
    auto retry = s->retry_ms;
    long status = s->status;
    std::string body(s->buffer.view());
    EndStream(s);
    if (!pending || shutting_down_) return;
    if (!last_id.empty() && attempt < 3 && (ok_stream || (status == 0 && !error.ok()))) {
      ScheduleResume(key, last_id, attempt, ReconnectDelay(retry, attempt));
      return;
    }
    sink_.OnResponseLost(key, status >= 300 ? DescribeHttpFailure("could not resume the response stream", status, body)
                              : !error.ok() ? "could not resume the response stream: " + error.message
                                            : "the response stream ended without the response");
    return;
  }

  // Standalone GET stream.
  long status = s->status;
  bool had_session = s->had_session;
  std::string body(s->buffer.view());
  bool progressed = s->progressed;
  get_stream_ = 0;
  EndStream(s);
  if (shutting_down_) return;
  if (status == 405) {
    log_.Debug("The server offers no GET event stream (HTTP 405)");
    get_wanted_ = false;
    return;
  }
  if (SessionGoneStatus(status, body, had_session)) {
    get_wanted_ = false;
    sink_.OnSessionLost(DescribeHttpFailure("the server no longer knows our session", status, body));
    return;
  }
  if (progressed) get_attempts_ = 0;
  ScheduleGetStream();
}

void StreamableHttpTransport::DeliverJson(std::string_view body) {
  // Trim whitespace-only bodies (some servers answer 200 with nothing).
  std::size_t i = 0;
  while (i < body.size() && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t')) ++i;
  if (i == body.size()) return;
  sink_.OnServerMessage(body);
}

void StreamableHttpTransport::EndStream(Stream* s) {
  if (s->ended) return;
  s->ended = true;
  if (s->http_id) {
    http_.Cancel(s->http_id);
    s->http_id = 0;
  }
  if (get_stream_ == s->serial) get_stream_ = 0;
  // Destroy later: we may be inside one of this stream's callbacks.
  std::uint64_t serial = s->serial;
  loop_.Post([this, serial] { streams_.erase(serial); });
}

void StreamableHttpTransport::Shutdown(std::function<void()> done) {
  shutting_down_ = true;
  get_wanted_ = false;
  if (get_timer_) loop_.CancelTimer(get_timer_);
  get_timer_ = 0;
  for (auto t : resume_timers_) loop_.CancelTimer(t);
  resume_timers_.clear();
  std::vector<Stream*> live;
  for (auto& [serial, s] : streams_)
    if (!s->ended) live.push_back(s.get());
  for (Stream* s : live) EndStream(s);
  if (session_id_.empty()) {
    loop_.Post(std::move(done));
    return;
  }
  // Spec A.2 #15: end the session explicitly (npm mcp-remote never does).
  HttpRequest req;
  req.method = "DELETE";
  req.url = config_.url;
  req.headers = headers_.Build(BaseHeaders(false), config_.url, false);
  req.connect_timeout = config_.delete_timeout;
  req.headers_timeout = config_.delete_timeout;
  req.total_timeout = config_.delete_timeout;
  log_.Debug("Ending the remote session (DELETE)");
  http_.Start(std::move(req), {nullptr, nullptr, [done = std::move(done)](const HttpError&) { done(); }});
}

}  // namespace mcpr
