// CallbackServer against real sockets: a real EventLoop, the real
// CurlHttpClient (or a raw non-blocking socket where curl would hide what
// we check), the server on 127.0.0.1 port 0. Every test runs the loop once
// under a guard timer that fails the test and stops the loop.
#include "callback_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "http_curl.h"

namespace mcpr {
namespace {

struct Reply {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  HttpError error;
  std::string Header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return "<none>";
  }
};

void Fetch(HttpClient& http, HttpRequest req, std::function<void(Reply)> done) {
  auto reply = std::make_shared<Reply>();
  HttpCallbacks cb;
  cb.on_head = [reply](const HttpResponseHead& h) {
    reply->status = h.status;
    reply->headers = h.headers;
  };
  cb.on_body = [reply](std::string_view b) {
    reply->body.append(b);
    return true;
  };
  cb.on_done = [reply, done = std::move(done)](const HttpError& e) {
    reply->error = e;
    done(std::move(*reply));
  };
  http.Start(std::move(req), std::move(cb));
}

void Get(HttpClient& http, std::string url, std::function<void(Reply)> done,
         std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest req;
  req.url = std::move(url);
  req.headers = std::move(headers);
  req.follow_redirects = false;
  req.total_timeout = Millis(5000);
  Fetch(http, std::move(req), std::move(done));
}

// A raw client socket whose reads run on the loop.
class RawClient {
 public:
  RawClient(EventLoop& loop, int port) : loop_(loop) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL, 0) | O_NONBLOCK);
  }
  ~RawClient() {
    if (watching_) loop_.UnwatchFd(fd_);
    if (fd_ >= 0) close(fd_);
  }
  bool connected() const { return connected_; }
  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  // Reads until EOF or a reset, then calls on_closed(all bytes, reset?).
  void ReadUntilClosed(std::function<void(std::string, bool)> on_closed) {
    on_closed_ = std::move(on_closed);
    watching_ = true;
    loop_.WatchFd(fd_, [this] {
      char buf[4096];
      for (;;) {
        const ssize_t n = recv(fd_, buf, sizeof buf, 0);
        if (n > 0) {
          data_.append(buf, static_cast<std::size_t>(n));
          continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        loop_.UnwatchFd(fd_);
        watching_ = false;
        on_closed_(data_, n < 0);
        return;
      }
    });
  }

 private:
  EventLoop& loop_;
  int fd_ = -1;
  bool connected_ = false;
  bool watching_ = false;
  std::string data_;
  std::function<void(std::string, bool)> on_closed_;
};

class CallbackServerTest : public ::testing::Test {
 protected:
  void SetUp() override { log_.CaptureForTest(&logged_); }

  CallbackServer& Start(CallbackServerOptions o = {}) {
    if (o.server_url_hash.empty()) o.server_url_hash = "0123456789abcdef0123456789abcdef";
    server_ = std::make_unique<CallbackServer>(loop_, log_, std::move(o));
    std::string err;
    int eno = 0;
    EXPECT_TRUE(server_->Listen(0, &err, &eno)) << err;
    EXPECT_GT(server_->port(), 0);
    return *server_;
  }
  std::string Url(std::string_view path_and_query) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path_and_query);
  }
  // Runs the loop until Stop(), failing the test after `limit`.
  void Run(Millis limit = Millis(5000)) {
    loop_.AddTimer(limit, [this] {
      ADD_FAILURE() << "test did not finish in time";
      loop_.Stop();
    });
    loop_.Run();
  }
  // Calls loop_.Stop() once `n` events have happened.
  std::function<void()> StopAfter(int n) {
    auto left = std::make_shared<int>(n);
    return [this, left] {
      if (--*left == 0) loop_.Stop();
    };
  }

  std::string logged_;
  Logger log_;
  EventLoop loop_;
  CurlHttpClient http_{loop_, NetConfig{}};
  std::unique_ptr<CallbackServer> server_;
};

TEST_F(CallbackServerTest, ExpectedStateDeliversCodeOnce) {
  CallbackServer& s = Start();
  s.ExpectState("state-1");
  std::vector<CallbackResult> got;
  auto step = StopAfter(3);
  s.SetCodeHandler([&](const CallbackResult& r) {
    got.push_back(r);
    step();
  });
  Get(http_, Url("/oauth/callback?code=secret-code-42&state=state-1&iss=https%3A%2F%2Fas.example"),
      [&](Reply r) {
        EXPECT_TRUE(r.error.ok()) << r.error.message;
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.Header("content-type"), "text/html; charset=utf-8");
        EXPECT_EQ(r.Header("cache-control"), "no-store");
        EXPECT_EQ(r.Header("referrer-policy"), "no-referrer");
        EXPECT_EQ(r.Header("connection"), "close");
        EXPECT_NE(r.body.find("Authorization successful!"), std::string::npos);
        EXPECT_NE(r.body.find("You may close this window and return to the CLI."),
                  std::string::npos);
        EXPECT_NE(r.body.find("window.close()"), std::string::npos);
        step();
        // The state is used up: a replay (a reload of the tab) is refused.
        Get(http_, Url("/oauth/callback?code=secret-code-42&state=state-1"), [&](Reply r2) {
          EXPECT_EQ(r2.status, 400);
          EXPECT_EQ(r2.body, "Invalid or expired state");
          step();
        });
      });
  Run();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].code, "secret-code-42");
  EXPECT_EQ(got[0].state, "state-1");
  EXPECT_EQ(got[0].iss, "https://as.example");
  EXPECT_TRUE(got[0].has_iss);
  // Secrets never reach the log.
  EXPECT_EQ(logged_.find("secret-code-42"), std::string::npos) << logged_;
  EXPECT_EQ(logged_.find("state-1"), std::string::npos) << logged_;
  EXPECT_NE(logged_.find("Auth code received"), std::string::npos) << logged_;
}

TEST_F(CallbackServerTest, UnexpectedOrMissingStateIsRefusedAndNotHandedOn) {
  CallbackServer& s = Start();
  s.ExpectState("the-real-state");
  int codes = 0, errors = 0;
  s.SetCodeHandler([&](const CallbackResult&) { ++codes; });
  s.SetErrorHandler([&](const CallbackError&) { ++errors; });
  auto step = StopAfter(4);
  for (const char* q : {"/oauth/callback?code=c&state=the-real-statX",
                        "/oauth/callback?code=c&state=the-real-state-and-more",
                        "/oauth/callback?code=c",
                        "/oauth/callback?error=access_denied&state=forged"}) {
    Get(http_, Url(q), [&](Reply r) {
      EXPECT_EQ(r.status, 400);
      EXPECT_EQ(r.body, "Invalid or expired state");
      EXPECT_EQ(r.Header("content-type"), "text/plain; charset=utf-8");
      EXPECT_EQ(r.Header("cache-control"), "no-store");
      step();
    });
  }
  Run();
  EXPECT_EQ(codes, 0);
  EXPECT_EQ(errors, 0);
}

TEST_F(CallbackServerTest, ErrorParameterReachesTheWaiter) {
  CallbackServer& s = Start();
  s.ExpectState("st");
  std::vector<CallbackError> got;
  int codes = 0;
  auto step = StopAfter(2);
  s.SetCodeHandler([&](const CallbackResult&) { ++codes; });
  s.SetErrorHandler([&](const CallbackError& e) {
    got.push_back(e);
    step();
  });
  Get(http_, Url("/oauth/callback?error=access_denied&error_description=User+said+no&state=st"),
      [&](Reply r) {
        EXPECT_EQ(r.status, 400);
        EXPECT_EQ(r.Header("content-type"), "text/plain; charset=utf-8");
        EXPECT_EQ(r.body,
                  "Authorization failed: User said no\n\nYou may close this window and return to "
                  "the CLI.");
        step();
      });
  Run();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].error, "access_denied");
  EXPECT_EQ(got[0].description, "User said no");
  EXPECT_EQ(codes, 0);
}

TEST_F(CallbackServerTest, NoCodeIs400AndKeepsTheState) {
  CallbackServer& s = Start();
  s.ExpectState("st");
  int codes = 0;
  s.SetCodeHandler([&](const CallbackResult&) { ++codes; });
  Get(http_, Url("/oauth/callback?state=st"), [&](Reply r) {
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body, "Error: No authorization code received");
    Get(http_, Url("/oauth/callback?state=st&code=later"), [&](Reply r2) {
      EXPECT_EQ(r2.status, 200);
      loop_.Post([&] { loop_.Stop(); });  // after the posted code handler
    });
  });
  Run();
  EXPECT_EQ(codes, 1);
}

TEST_F(CallbackServerTest, IdRouteAnswersNpmJson) {
  CallbackServerOptions o;
  o.server_url_hash = "9b4f2a0c1d2e3f405162738495a6b7c8";
  Start(o);
  Get(http_, Url("/.mcp-remote/id"), [&](Reply r) {
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("content-type"), "application/json; charset=utf-8");
    EXPECT_EQ(r.body, R"({"mcpRemote":true,"serverUrlHash":"9b4f2a0c1d2e3f405162738495a6b7c8"})");
    EXPECT_EQ(r.Header("cache-control"), "no-store");
    loop_.Stop();
  });
  Run();
}

TEST_F(CallbackServerTest, UnknownPathIs404AndOtherMethodsAre405) {
  Start();
  auto step = StopAfter(3);
  Get(http_, Url("/favicon.ico"), [&](Reply r) {
    EXPECT_EQ(r.status, 404);
    step();
  });
  Get(http_, Url("/oauth/callback/extra"), [&](Reply r) {
    EXPECT_EQ(r.status, 404);
    step();
  });
  HttpRequest post;
  post.method = "POST";
  post.url = Url("/oauth/callback");
  post.body = std::string(20000, 'x');  // a body we never read must not turn into an RST
  post.headers = {{"Content-Type", "text/plain"}};
  Fetch(http_, post, [&](Reply r) {
    EXPECT_TRUE(r.error.ok()) << r.error.message;
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.Header("allow"), "GET");
    step();
  });
  Run();
}

TEST_F(CallbackServerTest, ForeignHostHeaderIsRefused) {
  CallbackServerOptions o;
  o.redirect_host = "my-laptop.local";
  Start(o);
  auto step = StopAfter(4);
  Get(http_, Url("/.mcp-remote/id"), [&](Reply r) {
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body, "Invalid Host header");
    step();
  }, {{"Host", "attacker.example:1234"}});
  Get(http_, Url("/.mcp-remote/id"), [&](Reply r) {
    EXPECT_EQ(r.status, 200);
    step();
  }, {{"Host", "LOCALHOST:1234"}});
  Get(http_, Url("/.mcp-remote/id"), [&](Reply r) {
    EXPECT_EQ(r.status, 200);
    step();
  }, {{"Host", "[::1]:1234"}});
  Get(http_, Url("/.mcp-remote/id"), [&](Reply r) {
    EXPECT_EQ(r.status, 200);
    step();
  }, {{"Host", "My-Laptop.local:1234"}});
  Run();
}

TEST_F(CallbackServerTest, OversizedRequestGets431AndIsClosed) {
  Start();
  auto c = std::make_unique<RawClient>(loop_, server_->port());
  ASSERT_TRUE(c->connected());
  ASSERT_TRUE(c->Send("GET /oauth/callback HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " +
                      std::string(9000, 'a') + "\r\n\r\n"));
  c->ReadUntilClosed([&](std::string data, bool reset) {
    // The server answered and shut its side down (EOF, not a reset, although
    // it never read the last bytes we sent).
    EXPECT_FALSE(reset);
    EXPECT_EQ(data.rfind("HTTP/1.1 431 Request Header Fields Too Large\r\n", 0), 0u) << data;
    EXPECT_NE(data.find("Connection: close\r\n"), std::string::npos);
    EXPECT_NE(data.find("Cache-Control: no-store\r\n"), std::string::npos);
    EXPECT_NE(data.find("Referrer-Policy: no-referrer\r\n"), std::string::npos);
    loop_.Post([&] {
      c.reset();  // our close ends the server's drain
      loop_.AddTimer(Millis(50), [&] {
        EXPECT_EQ(server_->connections(), 0u);
        loop_.Stop();
      });
    });
  });
  Run();
}

TEST_F(CallbackServerTest, LongTargetGets414) {
  Start();
  RawClient c(loop_, server_->port());
  ASSERT_TRUE(c.Send("GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n"));
  c.ReadUntilClosed([&](std::string data, bool) {
    EXPECT_EQ(data.rfind("HTTP/1.1 414 ", 0), 0u) << data;
    loop_.Stop();
  });
  Run();
}

TEST_F(CallbackServerTest, SilentClientIsClosedAfterTheDeadline) {
  CallbackServerOptions o;
  o.request_deadline = Millis(200);
  Start(o);
  RawClient c(loop_, server_->port());
  ASSERT_TRUE(c.connected());
  const TimePoint start = loop_.Now();
  c.ReadUntilClosed([&](std::string data, bool) {
    EXPECT_EQ(data, "");  // nothing was sent, so nothing is answered
    const auto waited = std::chrono::duration_cast<Millis>(loop_.Now() - start);
    EXPECT_GE(waited.count(), 150);
    EXPECT_LT(waited.count(), 2000);
    loop_.Stop();
  });
  Run();
  EXPECT_EQ(server_->connections(), 0u);
}

TEST_F(CallbackServerTest, PartialRequestGets408AfterTheDeadline) {
  CallbackServerOptions o;
  o.request_deadline = Millis(200);
  Start(o);
  RawClient c(loop_, server_->port());
  ASSERT_TRUE(c.Send("GET /oauth/callback HTTP/1.1\r\nHost: x\r\n"));  // no blank line
  c.ReadUntilClosed([&](std::string data, bool) {
    EXPECT_EQ(data.rfind("HTTP/1.1 408 ", 0), 0u) << data;
    loop_.Stop();
  });
  Run();
}

TEST_F(CallbackServerTest, ReachableOverIpv6Loopback) {
  Start();
  if (!server_->ipv6_listening()) GTEST_SKIP() << "no IPv6 loopback on this machine";
  Get(http_, "http://[::1]:" + std::to_string(server_->port()) + "/.mcp-remote/id", [&](Reply r) {
    EXPECT_TRUE(r.error.ok()) << r.error.message;
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("\"mcpRemote\":true"), std::string::npos);
    loop_.Stop();
  });
  Run();
}

TEST_F(CallbackServerTest, SecondListenerOnTheSamePortIsRefused) {
  Start();
  const int port = server_->port();
  CallbackServer other(loop_, log_, CallbackServerOptions{});
  std::string err;
  int eno = 0;
  EXPECT_FALSE(other.Listen(port, &err, &eno));
  EXPECT_EQ(eno, EADDRINUSE);
  EXPECT_EQ(err, "Callback port " + std::to_string(port) + " is already in use");
  EXPECT_FALSE(other.listening());
  // Close() frees the port (both families) at once.
  server_->Close();
  EXPECT_FALSE(server_->listening());
  EXPECT_TRUE(other.Listen(port, &err, &eno)) << err;
  EXPECT_EQ(other.port(), port);
  // Listening twice is refused.
  EXPECT_FALSE(other.Listen(0, &err, &eno));
  EXPECT_EQ(eno, EALREADY);
}

TEST_F(CallbackServerTest, Ipv6OnlyHolderMakesThePortBusy) {
  // Something else holds [::1]:P but not 127.0.0.1:P: the port counts as
  // in use and nothing of ours stays bound.
  int bound = 0, e = 0;
  loopback_net::Socket holder(loopback_net::ListenLoopback(true, 0, &bound, &e));
  if (!holder.valid()) GTEST_SKIP() << "no IPv6 loopback on this machine";
  CallbackServer s(loop_, log_, CallbackServerOptions{});
  std::string err;
  int eno = 0;
  EXPECT_FALSE(s.Listen(bound, &err, &eno));
  EXPECT_EQ(eno, EADDRINUSE);
  EXPECT_FALSE(s.listening());
  int b4 = 0;
  loopback_net::Socket probe(loopback_net::ListenLoopback(false, bound, &b4, &e));
  EXPECT_TRUE(probe.valid()) << "127.0.0.1:" << bound << " was left bound";
}

TEST_F(CallbackServerTest, WaitForAuthLongPollCompletes) {
  CallbackServerOptions o;
  o.auth_timeout = Millis(3000);
  CallbackServer& s = Start(o);
  auto step = StopAfter(3);
  Get(http_, Url("/wait-for-auth?poll=false"), [&](Reply r) {
    EXPECT_EQ(r.status, 202);
    EXPECT_EQ(r.body, "Authentication in progress");
    step();
  });
  const TimePoint start = loop_.Now();
  Get(http_, Url("/wait-for-auth"), [&](Reply r) {
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "Authentication completed");
    EXPECT_GE(std::chrono::duration_cast<Millis>(loop_.Now() - start).count(), 150);
    // Once completed, every later request is answered at once.
    Get(http_, Url("/wait-for-auth?poll=false"), [&](Reply r2) {
      EXPECT_EQ(r2.status, 200);
      step();
    });
    step();
  });
  loop_.AddTimer(Millis(200), [&] {
    EXPECT_EQ(s.connections(), 1u);  // the long poll is held
    s.Complete("any", true);
  });
  Run();
  EXPECT_TRUE(s.auth_completed());
}

TEST_F(CallbackServerTest, WaitForAuthTimesOutWith202AndFailsWith500) {
  CallbackServerOptions o;
  o.auth_timeout = Millis(200);
  CallbackServer& s = Start(o);
  auto step = StopAfter(2);
  Get(http_, Url("/wait-for-auth"), [&](Reply r) {
    EXPECT_EQ(r.status, 202);
    EXPECT_EQ(r.body, "Authentication in progress");
    // A second long poll ends with the failed exchange.
    Get(http_, Url("/wait-for-auth"), [&](Reply r2) {
      EXPECT_EQ(r2.status, 500);
      EXPECT_EQ(r2.body, "Authentication failed");
      step();
    });
    loop_.AddTimer(Millis(50), [&] { s.Complete("x", false); });
    step();
  });
  Run();
  EXPECT_FALSE(s.auth_completed());
}

TEST_F(CallbackServerTest, AuthSuccessUrlHoldsTheBrowserUntilComplete) {
  CallbackServerOptions o;
  o.auth_success_url = "https://example.com/signed-in";
  o.auth_timeout = Millis(300);
  CallbackServer& s = Start(o);
  s.ExpectState("ok-state");
  s.ExpectState("bad-state");
  s.ExpectState("slow-state");
  // The flow finishes its exchange a little later.
  s.SetCodeHandler([&](const CallbackResult& r) {
    if (r.state == "slow-state") return;  // never completed: 504
    loop_.AddTimer(Millis(50), [&s, state = r.state] { s.Complete(state, state == "ok-state"); });
  });
  auto step = StopAfter(3);
  Get(http_, Url("/oauth/callback?code=a&state=ok-state"), [&](Reply r) {
    EXPECT_EQ(r.status, 303);
    EXPECT_EQ(r.Header("location"), "https://example.com/signed-in");
    EXPECT_EQ(r.Header("cache-control"), "no-store");
    step();
  });
  Get(http_, Url("/oauth/callback?code=b&state=bad-state"), [&](Reply r) {
    EXPECT_EQ(r.status, 502);
    EXPECT_EQ(r.body,
              "Authorization failed. You may close this window and try again from the CLI.");
    step();
  });
  Get(http_, Url("/oauth/callback?code=c&state=slow-state"), [&](Reply r) {
    EXPECT_EQ(r.status, 504);
    EXPECT_EQ(r.body,
              "Authorization timed out. You may close this window and try again from the CLI.");
    step();
  });
  Run();
}

TEST_F(CallbackServerTest, HandlerMayDestroyTheServer) {
  CallbackServer& s = Start();
  s.ExpectState("st");
  s.SetCodeHandler([&](const CallbackResult&) {
    server_.reset();
    loop_.AddTimer(Millis(50), [&] { loop_.Stop(); });
  });
  Get(http_, Url("/oauth/callback?code=c&state=st"), [&](Reply r) { EXPECT_EQ(r.status, 200); });
  Run();
  EXPECT_EQ(server_, nullptr);
}

TEST_F(CallbackServerTest, CloseAnswersHeldLongPolls) {
  CallbackServer& s = Start();
  Get(http_, Url("/wait-for-auth"), [&](Reply r) {
    EXPECT_EQ(r.status, 202);
    loop_.Stop();
  });
  loop_.AddTimer(Millis(100), [&] { s.Close(); });
  Run();
}

}  // namespace
}  // namespace mcpr
