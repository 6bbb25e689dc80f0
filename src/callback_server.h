// CallbackServer: the loopback HTTP/1.1 server that receives the OAuth
// redirect (mcp-remote-behaviour.md §1.7), serves the sibling probe of the
// multi-instance election (§1.6) and the 0.1.x long poll. It runs on the
// EventLoop: its sockets are polled by curl_multi_poll with everything else,
// so there is no thread and no second HTTP stack (engineering-style §2.2).
//
// Sockets: Listen(port) binds 127.0.0.1:port AND [::1]:port, same number
// (the redirect URI says "localhost", which some browsers resolve to ::1
// first; npm listens on IPv4 only). Port 0 lets the kernel pick the IPv4
// port and then binds IPv6 to that number (retrying with a fresh pick if
// only the IPv6 side is taken). An IPv6 failure other than EADDRINUSE
// (no ::1 configured: EADDRNOTAVAIL; no IPv6 at all: EAFNOSUPPORT) is
// tolerated; EADDRINUSE on either family means "in use" and nothing stays
// bound. SO_REUSEADDR is set on POSIX exactly as libuv (Node) does: on
// Linux it never lets two live listeners share a port (the election relies
// on that), it only lets a successor bind over TIME_WAIT leftovers of a
// leader that just exited. SO_REUSEPORT is never set. A Winsock sibling
// (callback_server-win32.cc) must use SO_EXCLUSIVEADDRUSE instead. Every
// socket is non-blocking and close-on-exec (a spawned browser must not
// inherit the listener and keep the port alive after we exit).
//
// Connections: at most kMaxConnections at once (more are accepted and closed
// at once). Each request head is capped at 8 KiB (431/414 beyond) and must
// arrive within request_deadline (10 s; then 408 if some bytes came, else
// a silent close). One request per connection: every response carries
// `Connection: close`, `Cache-Control: no-store`, `Referrer-Policy:
// no-referrer` and `X-Content-Type-Options: nosniff`. After the response
// the write side is shut down and the socket is drained until the peer
// closes (or `linger` passes), so unread request bytes never turn the
// close into an RST that would swallow the response. Responses are small;
// a short write is retried from a 10 ms timer (the EventLoop only reports
// readability).
//
// Routes (GET only; another method is 405 with `Allow: GET`; a Host header
// that is not loopback or the configured redirect host is 400, which stops
// DNS-rebinding pages from reaching us through a hostile name):
//   /wait-for-auth        200 "Authentication completed" once Complete(_, true)
//                         ran; else with ?poll=false 202 "Authentication in
//                         progress"; else held until completion (200), a
//                         failed Complete (500 "Authentication failed") or
//                         auth_timeout (202). For 0.1.x siblings.
//   /.mcp-remote/id       200 application/json {"mcpRemote":true,
//                         "serverUrlHash":"<hash>"} (npm's res.json bytes).
//   <callback_path>       (default /oauth/callback; the two paths above win
//                         if it collides with them, like npm's route order)
//     state not one of the ExpectState() values (constant-time compare;
//       missing counts as unexpected) -> 400 "Invalid or expired state";
//       nothing is handed on (npm has no such check; a forged or replayed
//       redirect cannot inject a code or abort a sign-in).
//     error=...      -> 400 text/plain "Authorization failed: <desc>\n\nYou
//       may close this window and return to the CLI." (without the desc
//       when auth_success_url is set); the state is used up and on_error
//       runs.
//     no code        -> 400 "Error: No authorization code received".
//     otherwise the state is used up (a reload gets the 400 above), on_code
//       runs with {code, state, iss}, and the browser gets 200 HTML
//       "Authorization successful! ..." + <script>window.close()</script>;
//       with auth_success_url the response is held until the flow calls
//       Complete(state, ok): 303 Location: <url> / 502, or 504 after
//       auth_timeout.
//   anything else         404.
// Handlers (on_code, on_error) run from a posted task, after the response
// is queued, so they may call Close(), Complete() or destroy the server.
// Codes and states are secrets: logs say that a callback arrived, never
// what it carried.
//
// The flow must call Complete(state, ok) after every token exchange, in
// both modes: it releases a held browser response and is what /wait-for-auth
// reports as "completed".
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "event_loop.h"
#include "http_request_parser.h"
#include "log.h"

namespace mcpr {

// ---- platform layer: callback_server-posix.cc (Winsock: -win32.cc) ----
namespace loopback_net {

/// Binds and listens on 127.0.0.1:port (v6 = false) or [::1]:port (v6 =
/// true, IPV6_V6ONLY). Returns the socket or -1 with *err = errno.
/// *bound_port receives the port actually bound (useful for port 0).
int ListenLoopback(bool v6, int port, int* bound_port, int* err);
/// Accepts one pending connection (non-blocking, close-on-exec). -1 with
/// *err = errno (EAGAIN/EWOULDBLOCK when none is pending).
int Accept(int listener, int* err);
/// >0 bytes read, 0 on EOF, -1 with *err (EAGAIN when nothing is ready).
long Read(int fd, char* buf, std::size_t n, int* err);
/// Bytes written (never raises SIGPIPE), -1 with *err.
long Write(int fd, const char* buf, std::size_t n, int* err);
void ShutdownWrite(int fd);
void Close(int fd);
bool WouldBlock(int err);
std::string ErrorString(int err);

/// Owns one socket; closes it on destruction.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() { Reset(); }
  Socket(Socket&& o) noexcept : fd_(o.Release()) {}
  Socket& operator=(Socket&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = o.Release();
    }
    return *this;
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset() {
    if (fd_ >= 0) Close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

}  // namespace loopback_net

struct CallbackResult {
  std::string code;
  std::string state;
  std::string iss;  // "" if absent
  bool has_iss = false;
};

struct CallbackError {
  std::string error;        // the `error` parameter
  std::string description;  // error_description, or error when absent
  std::string state;
};

struct CallbackServerOptions {
  std::string callback_path = "/oauth/callback";
  std::string server_url_hash;   // for /.mcp-remote/id
  std::string auth_success_url;  // "" = answer the browser at once
  std::string redirect_host;     // --host; accepted in Host besides loopback names
  Millis auth_timeout{30000};    // long poll and held-response limit
  Millis request_deadline{10000};
  Millis linger{2000};           // drain after the response, then close
  std::size_t max_request_bytes = HttpRequestParser::kDefaultMaxBytes;
};

class CallbackServer {
 public:
  static constexpr std::size_t kMaxConnections = 32;

  CallbackServer(EventLoop& loop, Logger& log, CallbackServerOptions options);
  ~CallbackServer();
  CallbackServer(const CallbackServer&) = delete;
  CallbackServer& operator=(const CallbackServer&) = delete;

  /// Binds 127.0.0.1:port and [::1]:port and starts accepting. On failure
  /// nothing stays bound, *err gets a message and *errno_out the errno
  /// (EADDRINUSE, EACCES, ...). Fails with EALREADY while listening.
  bool Listen(int port, std::string* err, int* errno_out);
  /// Stops listening (the port is free on return). Requests still being
  /// read are dropped; held ones are answered (long poll: 200/202; a held
  /// browser response: 502); responses being written finish on their own.
  /// Listen may be called again afterwards.
  void Close();

  bool listening() const { return v4_.valid(); }
  int port() const { return port_; }
  bool ipv6_listening() const { return v6_.valid(); }
  std::size_t connections() const { return conns_.size(); }

  /// Adds a state the callback will accept (one use each; the 16 newest
  /// are kept).
  void ExpectState(std::string state);
  /// Stops accepting a state (the flow gave up on it).
  void ForgetState(std::string_view state);

  void SetCodeHandler(std::function<void(const CallbackResult&)> on_code) {
    on_code_ = std::move(on_code);
  }
  void SetErrorHandler(std::function<void(const CallbackError&)> on_error) {
    on_error_ = std::move(on_error);
  }

  /// The token exchange for `state` finished. Answers a held browser
  /// response (303 to auth_success_url / 502) and, when ok, marks the
  /// sign-in completed for /wait-for-auth (200 to current and future long
  /// polls); when not ok, current long polls get 500.
  void Complete(std::string_view state, bool ok);
  bool auth_completed() const { return auth_completed_; }

  const CallbackServerOptions& options() const { return options_; }

 private:
  struct Connection;
  enum class Phase { kReading, kHeld, kWriting, kLingering };
  enum class Hold { kNone, kLongPoll, kBrowser };

  void OnAcceptable(int listener);
  void OnReadable(std::uint64_t id);
  void OnDeadline(std::uint64_t id);
  void Dispatch(Connection& c);
  void HandleCallback(Connection& c, const HttpRequestHead& req);
  void HandleWaitForAuth(Connection& c, const HttpRequestHead& req);
  bool HostAllowed(const HttpRequestHead& req) const;
  bool TakeExpectedState(std::string_view state);
  void Respond(Connection& c, int status, std::string_view content_type, std::string_view body,
               std::string_view extra_headers = {});
  void TryWrite(std::uint64_t id);
  void ArmTimer(Connection& c, Millis delay);
  void Drop(std::uint64_t id);
  void StopListening();
  void WatchListeners();

  EventLoop& loop_;
  Logger& log_;
  CallbackServerOptions options_;
  loopback_net::Socket v4_;
  loopback_net::Socket v6_;
  int port_ = 0;
  EventLoop::TimerId accept_pause_timer_ = 0;  // accept() failed (EMFILE): retry later
  std::uint64_t next_conn_id_ = 1;
  std::map<std::uint64_t, std::unique_ptr<Connection>> conns_;
  std::vector<std::string> expected_states_;
  bool auth_completed_ = false;
  std::function<void(const CallbackResult&)> on_code_;
  std::function<void(const CallbackError&)> on_error_;
  // Posted tasks check this so they never touch a destroyed server.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace mcpr
