#include "callback_server.h"

#include <fmt/format.h>

#include <cerrno>
#include <utility>

#include "crypto.h"
#include "oauth_messages.h"
#include "server_hash.h"
#include "url.h"

namespace mcpr {
namespace {

constexpr std::string_view kWaitForAuthPath = "/wait-for-auth";
constexpr std::string_view kIdPath = "/.mcp-remote/id";
constexpr std::size_t kMaxDiscard = 64 * 1024;  // bytes drained after the head before giving up
constexpr int kAcceptBurst = 16;
constexpr std::size_t kMaxExpectedStates = 16;
constexpr Millis kWriteRetry{10};
constexpr Millis kAcceptPause{100};

constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";
constexpr std::string_view kTextHtml = "text/html; charset=utf-8";  // express res.send(string)

constexpr std::string_view kSuccessHtml =
    "<!DOCTYPE html>\n"
    "<html><head><meta charset=\"utf-8\"><title>Authorization successful</title></head>\n"
    "<body>\n"
    "<p>Authorization successful!</p>\n"
    "<p>You may close this window and return to the CLI.</p>\n"
    "<script>\n"
    "  // Closes the tab when no manual approval step was needed; otherwise it has\n"
    "  // no effect and the message above stays.\n"
    "  window.close();\n"
    "</script>\n"
    "</body></html>\n";

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 303: return "See Other";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

// Text from the authorization server, made safe for one log line.
std::string LogSafe(std::string_view s) {
  std::string out;
  for (char ch : s.substr(0, 200)) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(c < 0x20 || c == 0x7f ? '?' : ch);
  }
  if (s.size() > 200) out += "...";
  return out;
}

bool HeaderSafe(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c == 0x7f) return false;
  }
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

struct CallbackServer::Connection {
  std::uint64_t id = 0;
  loopback_net::Socket sock;
  HttpRequestParser parser;
  Phase phase = Phase::kReading;
  Hold hold = Hold::kNone;
  std::string held_state;
  std::string out;
  std::size_t out_pos = 0;
  EventLoop::TimerId timer = 0;  // request deadline / hold limit / write+linger limit
  EventLoop::TimerId write_timer = 0;
  std::size_t discarded = 0;
  bool watching = false;
  bool peer_eof = false;

  explicit Connection(std::size_t max_bytes) : parser(max_bytes) {}
};

CallbackServer::CallbackServer(EventLoop& loop, Logger& log, CallbackServerOptions options)
    : loop_(loop), log_(log), options_(std::move(options)) {
  if (!options_.auth_success_url.empty() && !HeaderSafe(options_.auth_success_url)) {
    log_.Warn("Ignoring --auth-success-url: it contains spaces or control characters");
    options_.auth_success_url.clear();
  }
}

CallbackServer::~CallbackServer() {
  for (auto& [id, c] : conns_) {
    if (c->timer) loop_.CancelTimer(c->timer);
    if (c->write_timer) loop_.CancelTimer(c->write_timer);
    if (c->watching) loop_.UnwatchFd(c->sock.get());
  }
  conns_.clear();
  StopListening();
}

bool CallbackServer::Listen(int port, std::string* err, int* errno_out) {
  auto fail = [&](int e, std::string message) {
    if (err) *err = std::move(message);
    if (errno_out) *errno_out = e;
    return false;
  };
  if (listening()) return fail(EALREADY, "The callback server is already listening");
  if (port < 0 || port > 65535) return fail(EINVAL, fmt::format("Invalid callback port {}", port));
  // With port 0 the kernel picks the IPv4 port; if that number is taken on
  // ::1 only, pick again.
  const int attempts = port == 0 ? 8 : 1;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    int e4 = 0, bound = 0;
    loopback_net::Socket s4(loopback_net::ListenLoopback(false, port, &bound, &e4));
    if (!s4.valid()) {
      if (e4 == EADDRINUSE) return fail(e4, fmt::format("Callback port {} is already in use", port));
      return fail(e4, fmt::format("Could not listen on 127.0.0.1:{}: {}", port,
                                  loopback_net::ErrorString(e4)));
    }
    int e6 = 0, bound6 = 0;
    loopback_net::Socket s6(loopback_net::ListenLoopback(true, bound, &bound6, &e6));
    if (!s6.valid()) {
      if (e6 == EADDRINUSE) {
        if (port == 0) continue;  // s4 closes; try another number
        return fail(e6, fmt::format("Callback port {} is already in use", port));
      }
      log_.Debug("IPv6 loopback [::1]:{} unavailable ({}); listening on 127.0.0.1 only", bound,
                 loopback_net::ErrorString(e6));
    }
    v4_ = std::move(s4);
    v6_ = std::move(s6);
    port_ = bound;
    WatchListeners();
    log_.Info("OAuth callback server running at http://127.0.0.1:{}", port_);
    return true;
  }
  return fail(EADDRINUSE, "Could not find a port free on both 127.0.0.1 and [::1]");
}

void CallbackServer::WatchListeners() {
  if (v4_.valid()) loop_.WatchFd(v4_.get(), [this, fd = v4_.get()] { OnAcceptable(fd); });
  if (v6_.valid()) loop_.WatchFd(v6_.get(), [this, fd = v6_.get()] { OnAcceptable(fd); });
}

void CallbackServer::StopListening() {
  if (accept_pause_timer_) loop_.CancelTimer(accept_pause_timer_);
  accept_pause_timer_ = 0;
  if (v4_.valid()) loop_.UnwatchFd(v4_.get());
  if (v6_.valid()) loop_.UnwatchFd(v6_.get());
  v4_.Reset();
  v6_.Reset();
  port_ = 0;
}

void CallbackServer::Close() {
  if (listening()) log_.Debug("Closing the OAuth callback server on port {}", port_);
  StopListening();
  std::vector<std::uint64_t> ids;
  for (const auto& [id, c] : conns_) ids.push_back(id);
  for (std::uint64_t id : ids) {
    auto it = conns_.find(id);
    if (it == conns_.end()) continue;
    Connection& c = *it->second;
    if (c.phase == Phase::kReading) {
      Drop(id);
    } else if (c.phase == Phase::kHeld && c.hold == Hold::kLongPoll) {
      if (auth_completed_)
        Respond(c, 200, kTextHtml, "Authentication completed");
      else
        Respond(c, 202, kTextHtml, "Authentication in progress");
    } else if (c.phase == Phase::kHeld) {
      Respond(c, 502, kTextHtml,
              "Authorization failed. You may close this window and try again from the CLI.");
    }
  }
}

void CallbackServer::ExpectState(std::string state) {
  if (state.empty()) return;
  for (const auto& s : expected_states_)
    if (ConstantTimeEquals(s, state)) return;
  // A flow that never came back leaves its state behind; keep the newest.
  if (expected_states_.size() >= kMaxExpectedStates) expected_states_.erase(expected_states_.begin());
  expected_states_.push_back(std::move(state));
}

void CallbackServer::ForgetState(std::string_view state) {
  for (auto it = expected_states_.begin(); it != expected_states_.end(); ++it) {
    if (ConstantTimeEquals(*it, state)) {
      expected_states_.erase(it);
      return;
    }
  }
}

bool CallbackServer::TakeExpectedState(std::string_view state) {
  // Compare against every entry so the time does not depend on which matched.
  std::size_t match = expected_states_.size();
  for (std::size_t i = 0; i < expected_states_.size(); ++i)
    if (ConstantTimeEquals(expected_states_[i], state)) match = i;
  if (match == expected_states_.size()) return false;
  expected_states_.erase(expected_states_.begin() + static_cast<std::ptrdiff_t>(match));
  return true;
}

void CallbackServer::Complete(std::string_view state, bool ok) {
  if (ok) auth_completed_ = true;
  std::vector<std::uint64_t> ids;
  for (const auto& [id, c] : conns_)
    if (c->phase == Phase::kHeld) ids.push_back(id);
  for (std::uint64_t id : ids) {
    auto it = conns_.find(id);
    if (it == conns_.end()) continue;
    Connection& c = *it->second;
    if (c.hold == Hold::kLongPoll) {
      if (ok)
        Respond(c, 200, kTextHtml, "Authentication completed");
      else
        Respond(c, 500, kTextHtml, "Authentication failed");
    } else if (c.hold == Hold::kBrowser && ConstantTimeEquals(c.held_state, state)) {
      if (ok)
        Respond(c, 303, {}, {}, fmt::format("Location: {}\r\n", options_.auth_success_url));
      else
        Respond(c, 502, kTextHtml,
                "Authorization failed. You may close this window and try again from the CLI.");
    }
  }
}

void CallbackServer::OnAcceptable(int listener) {
  for (int i = 0; i < kAcceptBurst; ++i) {
    int err = 0;
    const int fd = loopback_net::Accept(listener, &err);
    if (fd < 0) {
      if (loopback_net::WouldBlock(err) || err == ECONNABORTED || err == EINTR) return;
      // EMFILE/ENFILE/ENOBUFS: the listener stays readable; stop polling it
      // for a moment instead of spinning.
      log_.Debug("Callback server: accept failed: {}", loopback_net::ErrorString(err));
      if (v4_.valid()) loop_.UnwatchFd(v4_.get());
      if (v6_.valid()) loop_.UnwatchFd(v6_.get());
      if (!accept_pause_timer_) {
        accept_pause_timer_ = loop_.AddTimer(kAcceptPause, [this] {
          accept_pause_timer_ = 0;
          WatchListeners();
        });
      }
      return;
    }
    loopback_net::Socket sock(fd);
    if (conns_.size() >= kMaxConnections) continue;  // closed by ~Socket
    const std::uint64_t id = next_conn_id_++;
    auto conn = std::make_unique<Connection>(options_.max_request_bytes);
    conn->id = id;
    conn->sock = std::move(sock);
    Connection& c = *conn;
    conns_.emplace(id, std::move(conn));
    loop_.WatchFd(fd, [this, id] { OnReadable(id); });
    c.watching = true;
    ArmTimer(c, options_.request_deadline);
  }
}

void CallbackServer::ArmTimer(Connection& c, Millis delay) {
  if (c.timer) loop_.CancelTimer(c.timer);
  const std::uint64_t id = c.id;
  c.timer = loop_.AddTimer(delay, [this, id] { OnDeadline(id); });
}

void CallbackServer::Drop(std::uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Connection& c = *it->second;
  if (c.timer) loop_.CancelTimer(c.timer);
  if (c.write_timer) loop_.CancelTimer(c.write_timer);
  if (c.watching) loop_.UnwatchFd(c.sock.get());
  conns_.erase(it);  // ~Socket closes
}

void CallbackServer::OnDeadline(std::uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Connection& c = *it->second;
  c.timer = 0;
  switch (c.phase) {
    case Phase::kReading:
      if (c.parser.bytes_seen() > 0) {
        Respond(c, 408, kTextPlain, "Request Timeout");
      } else {
        Drop(id);
      }
      return;
    case Phase::kHeld:
      if (c.hold == Hold::kLongPoll) {
        log_.Debug("Long poll timeout reached, responding with 202");
        Respond(c, 202, kTextHtml, "Authentication in progress");
      } else {
        Respond(c, 504, kTextHtml,
                "Authorization timed out. You may close this window and try again from the CLI.");
      }
      return;
    case Phase::kWriting:
    case Phase::kLingering:
      Drop(id);
      return;
  }
}

void CallbackServer::OnReadable(std::uint64_t id) {
  char buf[4096];
  for (int round = 0; round < 4; ++round) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    Connection& c = *it->second;
    int err = 0;
    const long n = loopback_net::Read(c.sock.get(), buf, sizeof buf, &err);
    if (n < 0) {
      if (!loopback_net::WouldBlock(err)) Drop(id);  // reset by peer
      return;
    }
    if (n == 0) {  // the peer closed (or half-closed) its side
      if (c.phase == Phase::kWriting) {
        c.peer_eof = true;  // finish writing, then close
        loop_.UnwatchFd(c.sock.get());
        c.watching = false;
      } else {
        Drop(id);  // an unfinished request, a gone long-poller, or the end of a linger
      }
      return;
    }
    if (c.phase != Phase::kReading) {
      c.discarded += static_cast<std::size_t>(n);
      if (c.discarded > kMaxDiscard) {
        Drop(id);
        return;
      }
      continue;
    }
    if (c.parser.Feed(std::string_view(buf, static_cast<std::size_t>(n))) ==
        HttpRequestParser::Result::kNeedMore)
      continue;
    Dispatch(c);  // may drop the connection; the loop looks it up again
  }
}

bool CallbackServer::HostAllowed(const HttpRequestHead& req) const {
  const std::string* host = req.Find("host");
  if (!host) return true;  // HTTP/1.0 without Host (the parser requires it for 1.1)
  std::string_view h = *host;
  if (!h.empty() && h.front() == '[') {
    const std::size_t close = h.find(']');
    if (close == std::string_view::npos) return false;
    h = h.substr(0, close + 1);
  } else {
    const std::size_t colon = h.rfind(':');
    if (colon != std::string_view::npos) h = h.substr(0, colon);
  }
  if (h.empty()) return false;
  if (IsLoopbackHost(h)) return true;
  return !options_.redirect_host.empty() && EqualsIgnoreCase(h, options_.redirect_host);
}

void CallbackServer::Dispatch(Connection& c) {
  if (c.parser.result() == HttpRequestParser::Result::kError) {
    const int status = c.parser.error_status();
    log_.Debug("Callback server: rejected a request ({} {})", status, c.parser.error_reason());
    Respond(c, status, kTextPlain, ReasonPhrase(status), status == 405 ? "Allow: GET\r\n" : "");
    return;
  }
  const HttpRequestHead& req = c.parser.request();
  if (!HostAllowed(req)) {
    log_.Debug("Callback server: rejected a request with a foreign Host header");
    Respond(c, 400, kTextPlain, "Invalid Host header");
    return;
  }
  if (req.path == kWaitForAuthPath) {
    HandleWaitForAuth(c, req);
  } else if (req.path == kIdPath) {
    Respond(c, 200, "application/json; charset=utf-8",
            fmt::format("{{\"mcpRemote\":true,\"serverUrlHash\":{}}}",
                        JsJsonQuote(options_.server_url_hash)));
  } else if (req.path == options_.callback_path) {
    HandleCallback(c, req);
  } else {
    Respond(c, 404, kTextPlain, "Not Found");
  }
}

void CallbackServer::HandleWaitForAuth(Connection& c, const HttpRequestHead& req) {
  if (auth_completed_) {
    log_.Debug("Auth already completed, returning 200");
    Respond(c, 200, kTextHtml, "Authentication completed");
    return;
  }
  bool no_poll = false;
  for (const auto& [key, value] : ParseFormUrlEncoded(req.query)) {
    if (key == "poll") {
      no_poll = value == "false";
      break;  // the first occurrence counts
    }
  }
  if (no_poll) {
    log_.Debug("Client requested no long poll, responding with 202");
    Respond(c, 202, kTextHtml, "Authentication in progress");
    return;
  }
  c.phase = Phase::kHeld;
  c.hold = Hold::kLongPoll;
  ArmTimer(c, options_.auth_timeout);
}

void CallbackServer::HandleCallback(Connection& c, const HttpRequestHead& req) {
  CallbackParams p = ParseCallbackQuery(req.query);
  bool expected = false;
  if (!p.state.empty()) {
    for (const auto& s : expected_states_) expected = ConstantTimeEquals(s, p.state) || expected;
  }
  if (!expected) {
    log_.Info("Ignoring an OAuth callback whose state is unknown or already used");
    Respond(c, 400, kTextPlain, "Invalid or expired state");
    return;
  }
  if (!p.error.empty()) {
    CallbackError failure;
    failure.error = std::move(p.error);
    failure.description =
        p.error_description.empty() ? failure.error : std::move(p.error_description);
    failure.state = p.state;
    log_.Info("Authorization failed: {} - {}", LogSafe(failure.error),
              LogSafe(failure.description));
    TakeExpectedState(p.state);
    Respond(c, 400, kTextPlain,
            options_.auth_success_url.empty()
                ? fmt::format("Authorization failed: {}\n\nYou may close this window and return "
                              "to the CLI.",
                              failure.description)
                : std::string("Authorization failed. You may close this window and return to "
                              "the CLI."));
    std::weak_ptr<int> alive = alive_;
    loop_.Post([this, alive, failure = std::move(failure)] {
      if (alive.expired() || !on_error_) return;
      auto handler = on_error_;  // may replace the handler or destroy the server
      handler(failure);
    });
    return;
  }
  if (p.code.empty()) {
    Respond(c, 400, kTextHtml, "Error: No authorization code received");
    return;
  }
  TakeExpectedState(p.state);
  log_.Info("Auth code received");
  CallbackResult result;
  result.code = std::move(p.code);
  result.state = p.state;
  result.iss = std::move(p.iss);
  result.has_iss = p.has_iss;
  if (options_.auth_success_url.empty()) {
    Respond(c, 200, kTextHtml, kSuccessHtml);
  } else {
    c.phase = Phase::kHeld;
    c.hold = Hold::kBrowser;
    c.held_state = p.state;
    ArmTimer(c, options_.auth_timeout);
  }
  std::weak_ptr<int> alive = alive_;
  loop_.Post([this, alive, result = std::move(result)] {
    if (alive.expired() || !on_code_) return;
    auto handler = on_code_;
    handler(result);
  });
}

void CallbackServer::Respond(Connection& c, int status, std::string_view content_type,
                             std::string_view body, std::string_view extra_headers) {
  c.out = fmt::format("HTTP/1.1 {} {}\r\n", status, ReasonPhrase(status));
  if (!content_type.empty()) c.out += fmt::format("Content-Type: {}\r\n", content_type);
  c.out += fmt::format(
      "Content-Length: {}\r\n"
      "Cache-Control: no-store\r\n"
      "Referrer-Policy: no-referrer\r\n"
      "X-Content-Type-Options: nosniff\r\n"
      "Connection: close\r\n",
      body.size());
  c.out += extra_headers;
  c.out += "\r\n";
  c.out += body;
  c.out_pos = 0;
  c.phase = Phase::kWriting;
  c.hold = Hold::kNone;
  c.held_state.clear();
  ArmTimer(c, options_.linger);  // bounds the write and the drain together
  TryWrite(c.id);
}

void CallbackServer::TryWrite(std::uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Connection& c = *it->second;
  c.write_timer = 0;
  while (c.out_pos < c.out.size()) {
    int err = 0;
    const long n = loopback_net::Write(c.sock.get(), c.out.data() + c.out_pos,
                                       c.out.size() - c.out_pos, &err);
    if (n < 0) {
      if (!loopback_net::WouldBlock(err)) {
        Drop(id);
        return;
      }
      c.write_timer = loop_.AddTimer(kWriteRetry, [this, id] { TryWrite(id); });
      return;
    }
    c.out_pos += static_cast<std::size_t>(n);
  }
  c.out.clear();
  c.out.shrink_to_fit();
  loopback_net::ShutdownWrite(c.sock.get());
  c.phase = Phase::kLingering;
  if (c.peer_eof) {
    Drop(id);
    return;
  }
  ArmTimer(c, options_.linger);
}

}  // namespace mcpr
