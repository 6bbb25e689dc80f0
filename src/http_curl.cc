#include "http_curl.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "byte_buffer.h"

namespace mcpr {

namespace {

// Received bytes wait in a per-transfer buffer until the next Dispatch hands
// them out. At kPauseBodyAt the transfer is paused until then: libcurl would
// otherwise deliver up to ~1.6 MiB per turn (100 reads of 16 KiB), held here
// next to the receiver's copy of the message (measured: a 10 MiB message
// peaked at 12 MiB of buffers, now ~10.3). The buffer's memory is kept for
// the transfer's next bytes.
constexpr std::size_t kPauseBodyAt = 256 << 10;
constexpr std::size_t kKeepBodyCapacity = 1 << 20;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

const char* Env(const char* a, const char* b) {
  const char* v = std::getenv(a);
  if (v && *v) return v;
  v = std::getenv(b);
  return (v && *v) ? v : nullptr;
}

HttpError::Kind KindOf(CURLcode code) {
  switch (code) {
    case CURLE_OK: return HttpError::Kind::kNone;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return HttpError::Kind::kConnect;
    case CURLE_OPERATION_TIMEDOUT: return HttpError::Kind::kTimeout;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return HttpError::Kind::kTls;
    case CURLE_WRITE_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
      return HttpError::Kind::kAborted;
    default: return HttpError::Kind::kNetwork;
  }
}

// Names the connection a transfer uses by its local and remote ports
// (CURLINFO_ACTIVESOCKET is only set once a transfer is done in libcurl
// 7.88); 0 if unknown.
std::int64_t ConnectionKey(CURL* easy) {
  long local = 0, remote = 0;
  curl_easy_getinfo(easy, CURLINFO_LOCAL_PORT, &local);
  curl_easy_getinfo(easy, CURLINFO_PRIMARY_PORT, &remote);
  return local > 0 && remote > 0 ? (static_cast<std::int64_t>(local) << 16) | remote : 0;
}

}  // namespace

const std::string* HttpResponseHead::Find(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return &v;
  return nullptr;
}

std::string HttpResponseHead::MediaType() const {
  const std::string* ct = Find("content-type");
  if (!ct) return {};
  std::string_view v = *ct;
  v = Trim(v.substr(0, v.find(';')));
  return Lower(v);
}

// Certificates from NODE_EXTRA_CA_CERTS, added to every TLS context on top
// of the system store (Node's additive semantics; CURLOPT_CAINFO would
// replace the store instead).
struct CurlHttpClient::ExtraCa {
  std::vector<X509*> certs;
  ~ExtraCa() {
    for (X509* c : certs) X509_free(c);
  }
  static CURLcode Callback(CURL*, void* ssl_ctx, void* user) {
    auto* self = static_cast<ExtraCa*>(user);
    X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_ctx));
    for (X509* c : self->certs) X509_STORE_add_cert(store, c);  // duplicates are harmless
    return CURLE_OK;
  }
};

struct CurlHttpClient::Transfer {
  Id id = 0;
  CURL* easy = nullptr;
  CurlHttpClient* owner = nullptr;
  HttpRequest request;
  HttpCallbacks callbacks;
  curl_slist* header_list = nullptr;

  // Header block being received (reset at each status line: 1xx, redirects).
  long block_status = 0;
  std::vector<std::pair<std::string, std::string>> block_headers;
  HttpResponseHead head;
  bool head_complete = false;
  bool head_delivered = false;

  // Request body, handed to libcurl by OnRead (see OnSeek for why not
  // CURLOPT_POSTFIELDS).
  std::size_t body_sent = 0;
  bool body_started = false;
  Millis idle_before_send{-1};   // the connection's idle time before this request; -1 = fresh
  bool any_response = false;     // a status line arrived (redirect, 401, ...)
  bool refused_resend = false;   // OnSeek refused a blind re-send
  bool paused = false;           // OnWrite paused the transfer until the next Dispatch

  ByteBuffer body;  // received, not yet handed out
  bool done = false;
  HttpError error;
  bool dirty = false;

  EventLoop::TimerId headers_timer = 0;
  EventLoop::TimerId idle_timer = 0;
  TimePoint last_activity;
  char errbuf[CURL_ERROR_SIZE] = {0};

  void MarkDirty() {
    if (!dirty) {
      dirty = true;
      owner->dirty_.push_back(id);
    }
  }

  static size_t OnHeader(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::string_view line(data, size * n);
    if (line.rfind("HTTP/", 0) == 0) {
      t->any_response = true;
      t->block_headers.clear();
      auto sp = line.find(' ');
      t->block_status = sp == std::string_view::npos ? 0 : std::strtol(line.data() + sp + 1, nullptr, 10);
    } else if (line == "\r\n" || line == "\n") {
      bool interim = t->block_status / 100 == 1;
      bool redirect = t->request.follow_redirects &&
                      (t->block_status == 301 || t->block_status == 302 || t->block_status == 303 ||
                       t->block_status == 307 || t->block_status == 308);
      if (redirect) {
        redirect = std::any_of(t->block_headers.begin(), t->block_headers.end(),
                               [](const auto& h) { return h.first == "location"; });
      }
      if (!interim && !redirect && !t->head_complete) {
        t->head.status = t->block_status;
        t->head.headers = std::move(t->block_headers);
        t->head_complete = true;
        t->MarkDirty();
      }
      t->block_headers.clear();
    } else {
      auto colon = line.find(':');
      if (colon != std::string_view::npos && t->block_headers.size() < 200) {
        t->block_headers.emplace_back(Lower(Trim(line.substr(0, colon))),
                                      std::string(Trim(line.substr(colon + 1))));
      }
    }
    return size * n;
  }

  static size_t OnRead(char* buffer, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    if (!t->body_started) {
      t->body_started = true;
      const std::int64_t key = ConnectionKey(t->easy);
      auto it = t->owner->last_done_.find(key);
      if (key > 0 && it != t->owner->last_done_.end())
        t->idle_before_send = std::chrono::duration_cast<Millis>(SteadyClock::now() - it->second);
    }
    const std::string& b = t->request.body;
    const std::size_t take = std::min(size * n, b.size() - t->body_sent);
    std::memcpy(buffer, b.data() + t->body_sent, take);
    t->body_sent += take;
    return take;
  }

  // libcurl rewinds the body in two cases. After a response (a 307/308
  // redirect, an auth round): fine. And when a REUSED connection died after
  // the request went out but before a single response byte: libcurl then
  // re-sends it on a fresh connection, up to 5 times, whatever the method
  // (lib/transfer.c Curl_retry_request). That is right for the keep-alive
  // race (the server closed the idle connection while our request was on
  // its way, so it never read it; browsers retry then too), and wrong when
  // the server read the request and died: RFC 9110 §9.2.2 allows automatic
  // retries of idempotent requests only, and the tool may have run already.
  // The two are told apart by how long the connection had been idle before
  // the request went out: servers close idle connections after seconds
  // (Node 5 s, nginx 75 s), never within kKeepAliveRaceFloor. So a POST on a
  // connection idle for less than that is not re-sent: the rewind comes
  // here (possible only with a read callback, not CURLOPT_POSTFIELDS), we
  // refuse it, the transfer fails with CURLE_SEND_FAIL_REWIND and the host
  // gets an error instead of a second run of its call.
  static constexpr Millis kKeepAliveRaceFloor{2000};
  static int OnSeek(void* user, curl_off_t offset, int origin) {
    auto* t = static_cast<Transfer*>(user);
    if (origin != SEEK_SET || offset < 0 || static_cast<std::size_t>(offset) > t->request.body.size())
      return CURL_SEEKFUNC_CANTSEEK;
    // Nothing of this request went out yet: a rewind costs nothing (libcurl
    // 7.88 can carry a pending rewind over to the next transfer on a reused
    // easy handle whose previous transfer failed to reconnect).
    const bool nothing_sent = !t->body_started;
    if (!nothing_sent && !t->any_response && t->request.method == "POST" &&
        t->idle_before_send < kKeepAliveRaceFloor) {
      t->refused_resend = true;
      return CURL_SEEKFUNC_FAIL;
    }
    t->body_sent = static_cast<std::size_t>(offset);
    t->body_started = false;  // the retry's connection is fresh; measure again
    t->idle_before_send = Millis(-1);
    t->any_response = false;  // a redirected POST is judged afresh on its new connection
    return CURL_SEEKFUNC_OK;
  }

  static size_t OnWrite(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    if (!t->head_complete) return size * n;  // body of an interim or redirect response
    if (t->body.size() >= kPauseBodyAt) {
      t->paused = true;  // libcurl keeps this chunk and offers it again on resume
      t->MarkDirty();
      return CURL_WRITEFUNC_PAUSE;
    }
    if (!t->body.Append(std::string_view(data, size * n))) return 0;  // out of memory: a write error
    if (t->request.idle_timeout.count() > 0) t->last_activity = SteadyClock::now();
    t->MarkDirty();
    return size * n;
  }
};

CurlHttpClient::CurlHttpClient(EventLoop& loop, NetConfig config)
    : loop_(loop), config_(std::move(config)) {
  loop_.SetCurlHook([this] { Dispatch(); });
}

// NODE_EXTRA_CA_CERTS is read on the first https request, not at start-up:
// hosts often point it at a whole bundle (~140 certificates, ~17 ms of
// parsing) that an http:// server never needs.
void CurlHttpClient::LoadExtraCa() {
  if (extra_ca_ || config_.extra_ca_file.empty()) return;
  extra_ca_ = std::make_unique<ExtraCa>();
  if (std::FILE* f = std::fopen(config_.extra_ca_file.c_str(), "r")) {
    while (X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr)) extra_ca_->certs.push_back(cert);
    std::fclose(f);
  }
}

CurlHttpClient::~CurlHttpClient() {
  std::vector<Id> ids;
  for (auto& [id, t] : transfers_) ids.push_back(id);
  for (Id id : ids) Destroy(id);
  for (CURL* e : idle_handles_) curl_easy_cleanup(e);
  loop_.SetCurlHook(nullptr);
}

HttpClient::Id CurlHttpClient::Start(HttpRequest request, HttpCallbacks callbacks) {
  auto t = std::make_unique<Transfer>();
  t->id = next_id_++;
  t->owner = this;
  t->request = std::move(request);
  t->callbacks = std::move(callbacks);
  t->last_activity = loop_.Now();
  if (!idle_handles_.empty()) {
    t->easy = idle_handles_.back();
    idle_handles_.pop_back();
    curl_easy_reset(t->easy);
  } else {
    t->easy = curl_easy_init();
  }
  CURL* e = t->easy;
  const HttpRequest& r = t->request;
  curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  // HTTP/1.1 as npm's undici speaks it. With HTTP/2 a server's refused
  // streams (GOAWAY on a graceful restart) are retried by libcurl on the
  // same busy connection, which OnSeek could not tell from a dead server.
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 60L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 30L);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Transfer::OnHeader);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Transfer::OnWrite);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  if (!config_.user_agent.empty()) curl_easy_setopt(e, CURLOPT_USERAGENT, config_.user_agent.c_str());
  if (r.connect_timeout.count() > 0) curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout.count()));
  if (r.total_timeout.count() > 0) curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(r.total_timeout.count()));
  if (r.follow_redirects) {
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 20L);
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  }
  if (config_.ipv4) curl_easy_setopt(e, CURLOPT_IPRESOLVE, static_cast<long>(CURL_IPRESOLVE_V4));
  if (config_.enable_proxy && !r.direct) {
    bool https = r.url.rfind("https:", 0) == 0;
    const char* proxy = https ? Env("https_proxy", "HTTPS_PROXY") : Env("http_proxy", "HTTP_PROXY");
    if (!proxy) proxy = Env("all_proxy", "ALL_PROXY");
    curl_easy_setopt(e, CURLOPT_PROXY, proxy ? proxy : "");
    if (const char* np = Env("no_proxy", "NO_PROXY")) curl_easy_setopt(e, CURLOPT_NOPROXY, np);
  } else {
    curl_easy_setopt(e, CURLOPT_PROXY, "");  // ignore the environment, like npm without --enable-proxy
  }
  if (r.url.rfind("https:", 0) == 0) LoadExtraCa();
  if (extra_ca_ && !extra_ca_->certs.empty()) {
    curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, &ExtraCa::Callback);
    curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, extra_ca_.get());
  }
  if (r.method == "GET") {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else {
    if (r.method == "POST" || !r.body.empty()) {
      curl_easy_setopt(e, CURLOPT_POST, 1L);
      curl_easy_setopt(e, CURLOPT_READFUNCTION, &Transfer::OnRead);
      curl_easy_setopt(e, CURLOPT_READDATA, t.get());
      curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, &Transfer::OnSeek);
      curl_easy_setopt(e, CURLOPT_SEEKDATA, t.get());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    }
    if (r.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
  for (const auto& [name, value] : r.headers) {
    std::string line = value.empty() ? name + ";" : name + ": " + value;  // "X;" sends an empty header
    t->header_list = curl_slist_append(t->header_list, line.c_str());
  }
  // libcurl adds "Expect: 100-continue" to large POSTs; servers rarely want it.
  t->header_list = curl_slist_append(t->header_list, "Expect:");
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->header_list);

  Id id = t->id;
  Transfer* raw = t.get();
  transfers_.emplace(id, std::move(t));
  if (r.headers_timeout.count() > 0) {
    raw->headers_timer = loop_.AddTimer(r.headers_timeout, [this, id] {
      auto it = transfers_.find(id);
      if (it == transfers_.end()) return;
      it->second->headers_timer = 0;
      if (!it->second->head_complete) {
        Abort(it->second.get(), {HttpError::Kind::kTimeout,
                                 "no response headers within " +
                                     std::to_string(it->second->request.headers_timeout.count() / 1000) + " s"});
      }
    });
  }
  if (r.idle_timeout.count() > 0) ArmIdleTimer(raw);
  curl_multi_add_handle(loop_.multi(), e);
  return id;
}

void CurlHttpClient::ArmIdleTimer(Transfer* t) {
  Id id = t->id;
  Millis wait = t->request.idle_timeout - std::chrono::duration_cast<Millis>(loop_.Now() - t->last_activity);
  if (wait.count() < 1) wait = Millis(1);
  t->idle_timer = loop_.AddTimer(wait, [this, id] {
    auto it = transfers_.find(id);
    if (it == transfers_.end()) return;
    Transfer* tr = it->second.get();
    tr->idle_timer = 0;
    if (loop_.Now() - tr->last_activity >= tr->request.idle_timeout) {
      Abort(tr, {HttpError::Kind::kTimeout, "no data received for " +
                                                std::to_string(tr->request.idle_timeout.count() / 1000) + " s"});
    } else {
      ArmIdleTimer(tr);
    }
  });
}

void CurlHttpClient::Cancel(Id id) { Destroy(id); }

void CurlHttpClient::SetIdleTimeout(Id id, Millis idle) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  Transfer* t = it->second.get();
  if (t->idle_timer) {
    loop_.CancelTimer(t->idle_timer);
    t->idle_timer = 0;
  }
  t->request.idle_timeout = idle;
  t->last_activity = loop_.Now();
  if (idle.count() > 0) ArmIdleTimer(t);
}

void CurlHttpClient::Destroy(Id id) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  Transfer* t = it->second.get();
  if (t->headers_timer) loop_.CancelTimer(t->headers_timer);
  if (t->idle_timer) loop_.CancelTimer(t->idle_timer);
  curl_multi_remove_handle(loop_.multi(), t->easy);
  curl_slist_free_all(t->header_list);
  if (idle_handles_.size() < 64) {
    idle_handles_.push_back(t->easy);
  } else {
    curl_easy_cleanup(t->easy);
  }
  // Freed after the current Dispatch, not now: the caller may be one of this
  // transfer's own callbacks (a transport cancelling from on_body), running
  // inside the std::function that would be destroyed.
  t->body.Clear(0);
  retired_.push_back(std::move(it->second));
  transfers_.erase(it);
}

void CurlHttpClient::Abort(Transfer* t, HttpError error) {
  t->done = true;
  t->error = std::move(error);
  Finish(t);
}

void CurlHttpClient::Finish(Transfer* t) {
  auto on_done = std::move(t->callbacks.on_done);
  HttpError error = std::move(t->error);
  Destroy(t->id);
  if (on_done) on_done(error);
}

void CurlHttpClient::Dispatch() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(loop_.multi(), &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    Transfer* t = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
    if (!t || t->done) continue;
    t->done = true;
    CURLcode code = msg->data.result;
    if (const std::int64_t key = code == CURLE_OK ? ConnectionKey(t->easy) : 0; key > 0) {
      if (last_done_.size() > 4096) last_done_.clear();  // bounded; only a heuristic's input
      last_done_[key] = SteadyClock::now();
    }
    if (code != CURLE_OK) {
      t->error.kind = KindOf(code);
      t->error.message = t->errbuf[0] ? std::string(t->errbuf) : curl_easy_strerror(code);
      if (t->refused_resend) {
        t->error.message =
            "the connection closed after the request was sent and before any answer; not sent again, "
            "because the server may already have acted on it";
      }
    } else if (!t->head_complete) {
      long status = 0;
      curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
      t->head.status = status;
      t->head.headers = std::move(t->block_headers);
      t->head_complete = true;
    }
    t->MarkDirty();
  }

  std::vector<Id> ids;
  ids.swap(dirty_);
  for (Id id : ids) {
    auto it = transfers_.find(id);
    if (it == transfers_.end()) continue;
    Transfer* t = it->second.get();
    t->dirty = false;
    if (t->head_complete && !t->head_delivered) {
      t->head_delivered = true;
      if (t->headers_timer) {
        loop_.CancelTimer(t->headers_timer);
        t->headers_timer = 0;
      }
      if (t->callbacks.on_head) t->callbacks.on_head(t->head);
      if (transfers_.find(id) == transfers_.end()) continue;  // cancelled by the callback
    }
    if (!t->body.empty() && t->head_delivered) {
      ByteBuffer chunk;
      chunk.Swap(t->body);
      bool keep = !t->callbacks.on_body || t->callbacks.on_body(chunk.view());
      if (transfers_.find(id) == transfers_.end()) continue;
      if (t->body.empty()) {  // reuse the buffer for the next bytes, up to a size
        chunk.Clear(kKeepBodyCapacity);
        t->body.Swap(chunk);
      }
      if (!keep) {
        Abort(t, {HttpError::Kind::kAborted, "aborted by the receiver"});
        continue;
      }
      if (t->paused) {  // resume: libcurl offers the held chunk again (OnWrite, from here)
        t->paused = false;
        curl_easy_pause(t->easy, CURLPAUSE_CONT);
      }
    }
    if (t->done) Finish(t);
  }
  retired_.clear();
}

}  // namespace mcpr
