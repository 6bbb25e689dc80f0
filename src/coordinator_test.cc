// Coordinator elections between real CallbackServers on 127.0.0.1, probed
// through the real CurlHttpClient, in one process and one EventLoop (two
// coordinators with the same hash behave exactly like two processes: they
// share nothing but the ports). Every test runs the loop once under a
// guard timer that fails the test and stops the loop.
#include "coordinator.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "http_curl.h"

namespace mcpr {
namespace {

constexpr const char* kHash = "5c1e8f0a9b2d4c6e8f0a1b2c3d4e5f60";

// A base port P with P..P+n-1 free on 127.0.0.1 (and ::1 where it exists),
// below the usual ephemeral range so our own client connections cannot
// take one of them during the test.
int FreePortRange(int n) {
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pick(20000, 32000);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int base = pick(rng);
    bool all_free = true;
    for (int i = 0; i < n && all_free; ++i) {
      int bound = 0, err = 0;
      loopback_net::Socket v4(loopback_net::ListenLoopback(false, base + i, &bound, &err));
      loopback_net::Socket v6(loopback_net::ListenLoopback(true, base + i, &bound, &err));
      all_free = v4.valid() && (v6.valid() || err != EADDRINUSE);
    }
    if (all_free) return base;
  }
  return 0;
}

// Forwards to a real client and runs a hook after each transfer ends,
// before the caller hears about it.
class HookedHttp : public HttpClient {
 public:
  explicit HookedHttp(HttpClient& inner) : inner_(inner) {}
  std::function<void(const std::string& url)> after_done;
  std::function<void(const std::string& url)> before_start;

  Id Start(HttpRequest request, HttpCallbacks callbacks) override {
    if (before_start) before_start(request.url);
    auto done = std::move(callbacks.on_done);
    callbacks.on_done = [this, url = request.url, done](const HttpError& e) {
      if (after_done) after_done(url);
      done(e);
    };
    return inner_.Start(std::move(request), std::move(callbacks));
  }
  void Cancel(Id id) override { inner_.Cancel(id); }
  void SetIdleTimeout(Id id, Millis idle) override { inner_.SetIdleTimeout(id, idle); }
  std::size_t active() const override { return inner_.active(); }

 private:
  HttpClient& inner_;
};

class CoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_.CaptureForTest(&logged_);
    base_ = FreePortRange(8);
    ASSERT_NE(base_, 0) << "no free port range";
  }

  CoordinatorOptions Options(int port, bool strict = false) {
    CoordinatorOptions o;
    o.server_url_hash = kHash;
    o.port = port;
    o.strict = strict;
    o.probe_timeout = Millis(300);
    return o;
  }
  std::unique_ptr<Coordinator> Make(CoordinatorOptions o, bool* tokens = nullptr,
                                    HttpClient* http = nullptr) {
    return std::make_unique<Coordinator>(loop_, http ? *http : http_, log_, std::move(o),
                                         [tokens] { return tokens != nullptr && *tokens; });
  }
  // Starts one election and runs the loop until its outcome.
  std::optional<CoordinatorOutcome> Elect(Coordinator& c) {
    std::optional<CoordinatorOutcome> r;
    c.Start([&](const CoordinatorOutcome& o) {
      r = o;
      loop_.Stop();
    });
    Run();
    return r;
  }
  void Run(Millis limit = Millis(15000)) {
    loop_.AddTimer(limit, [this] {
      ADD_FAILURE() << "test did not finish in time";
      loop_.Stop();
    });
    loop_.Run();
  }

  std::string logged_;
  Logger log_;
  EventLoop loop_;
  CurlHttpClient http_{loop_, NetConfig{}};
  int base_ = 0;
};

TEST_F(CoordinatorTest, TwoSiblingsElectOneLeaderAndOneFollower) {
  bool tokens_for_b = false;
  auto a = Make(Options(base_));
  auto b = Make(Options(base_), &tokens_for_b);
  std::optional<CoordinatorOutcome> ra, rb;
  a->Start([&](const CoordinatorOutcome& o) {
    ra = o;
    b->Start([&](const CoordinatorOutcome& o2) {
      rb = o2;
      loop_.Stop();
    });
    loop_.AddTimer(Millis(400), [&] {
      EXPECT_EQ(b->state(), Coordinator::State::kFollowing);
      EXPECT_EQ(b->port(), base_);
      EXPECT_FALSE(rb.has_value());
      tokens_for_b = true;  // the leader finished and wrote tokens
    });
  });
  Run();
  ASSERT_TRUE(ra.has_value());
  EXPECT_EQ(ra->role, CoordinatorRole::kLeader);
  EXPECT_EQ(ra->port, base_);
  EXPECT_FALSE(ra->took_over);
  EXPECT_TRUE(a->server().listening());
  ASSERT_TRUE(rb.has_value());
  EXPECT_EQ(rb->role, CoordinatorRole::kTokensAvailable);
  EXPECT_EQ(rb->port, base_);
  EXPECT_FALSE(b->server().listening());
  EXPECT_NE(logged_.find("This instance is running the sign-in for this server (callback port " +
                         std::to_string(base_) + ")"),
            std::string::npos)
      << logged_;
  EXPECT_NE(logged_.find("Another instance is running the sign-in for this server on port " +
                         std::to_string(base_)),
            std::string::npos);
  EXPECT_NE(logged_.find("The sign-in was completed by another instance"), std::string::npos);
}

TEST_F(CoordinatorTest, FollowerTakesOverWhenTheLeaderGoes) {
  auto a = Make(Options(base_));
  auto b = Make(Options(base_));
  std::optional<CoordinatorOutcome> rb;
  a->Start([&](const CoordinatorOutcome& o) {
    ASSERT_EQ(o.role, CoordinatorRole::kLeader);
    b->Start([&](const CoordinatorOutcome& o2) {
      rb = o2;
      loop_.Stop();
    });
    loop_.AddTimer(Millis(300), [&] {
      ASSERT_EQ(b->state(), Coordinator::State::kFollowing);
      a.reset();  // the leader process exits
    });
  });
  Run();
  ASSERT_TRUE(rb.has_value());
  EXPECT_EQ(rb->role, CoordinatorRole::kLeader);
  EXPECT_EQ(rb->port, base_);
  EXPECT_TRUE(rb->took_over);
  EXPECT_TRUE(b->server().listening());
  EXPECT_EQ(b->server().port(), base_);
  EXPECT_NE(logged_.find("The instance running the sign-in exited; taking it over on port " +
                         std::to_string(base_)),
            std::string::npos);
  // Release() frees the port.
  b->Release();
  EXPECT_EQ(b->state(), Coordinator::State::kReleased);
  int bound = 0, err = 0;
  loopback_net::Socket probe(loopback_net::ListenLoopback(false, base_, &bound, &err));
  EXPECT_TRUE(probe.valid());
}

TEST_F(CoordinatorTest, UnrelatedProcessOnFirstPortMeansNextPort) {
  // A plain listener that never answers (the probe times out) ...
  int bound = 0, err = 0;
  loopback_net::Socket mute(loopback_net::ListenLoopback(false, base_, &bound, &err));
  ASSERT_TRUE(mute.valid());
  // ... and a callback server for ANOTHER server hash on the next port.
  CallbackServerOptions other_opts;
  other_opts.server_url_hash = "ffffffffffffffffffffffffffffffff";
  CallbackServer other(loop_, log_, other_opts);
  std::string e;
  int eno = 0;
  ASSERT_TRUE(other.Listen(base_ + 1, &e, &eno)) << e;

  auto c = Make(Options(base_));
  const std::optional<CoordinatorOutcome> r = Elect(*c);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->role, CoordinatorRole::kLeader);
  EXPECT_EQ(r->port, base_ + 2);
  EXPECT_EQ(c->server().port(), base_ + 2);
}

// A sibling too busy to answer the first probes in time (a loaded machine,
// a sanitizer build starting up) is still recognised on a later, longer
// probe: one leader, not a second one elected on the next port. It stays
// silent on two connections, which is one more than the re-probe of an
// earlier candidate alone would cover.
TEST_F(CoordinatorTest, ASiblingSlowToAnswerIsStillFollowed) {
  int bound = 0, err = 0;
  loopback_net::Socket listener(loopback_net::ListenLoopback(false, base_, &bound, &err));
  ASSERT_TRUE(listener.valid());
  std::vector<loopback_net::Socket> conns;  // the first two are never answered
  std::string request;
  log_.set_debug(true);
  const int lfd = listener.get();
  loop_.WatchFd(lfd, [&, lfd] {
    int e = 0;
    const int fd = loopback_net::Accept(lfd, &e);
    if (fd < 0) return;
    conns.emplace_back(fd);
    if (conns.size() != 3) return;
    loop_.WatchFd(fd, [&, fd] {
      char buf[1024];
      int re = 0;
      const long n = loopback_net::Read(fd, buf, sizeof buf, &re);
      if (n <= 0) return;
      request.append(buf, static_cast<std::size_t>(n));
      if (request.find("\r\n\r\n") == std::string::npos) return;
      loop_.UnwatchFd(fd);
      const std::string body = std::string("{\"mcpRemote\":true,\"serverUrlHash\":\"") + kHash + "\"}";
      const std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      int we = 0;
      EXPECT_EQ(loopback_net::Write(fd, answer.data(), answer.size(), &we), static_cast<long>(answer.size()));
      loopback_net::ShutdownWrite(fd);
    });
  });
  bool tokens = false;
  auto c = Make(Options(base_), &tokens);
  std::optional<CoordinatorOutcome> r;
  c->Start([&](const CoordinatorOutcome& o) {
    r = o;
    loop_.Stop();
  });
  loop_.AddTimer(Millis(1500), [&] {
    EXPECT_EQ(c->state(), Coordinator::State::kFollowing);
    tokens = true;  // the slow sibling finished its sign-in
  });
  Run();
  loop_.UnwatchFd(lfd);
  for (auto& conn : conns) loop_.UnwatchFd(conn.get());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->role, CoordinatorRole::kTokensAvailable);
  EXPECT_EQ(r->port, base_);
  EXPECT_EQ(conns.size(), 3u);  // asked three times: two silent probes, the answered third
  EXPECT_NE(logged_.find("asking again"), std::string::npos) << logged_;
}

// With a headless browser a sign-in takes ~70 ms: a sibling can finish and
// release the port between our 401 and our election. Binding the freed
// port must not start a second sign-in when its tokens are in the store.
TEST_F(CoordinatorTest, TokensWrittenMeanwhileWinOverLeading) {
  bool tokens = true;
  auto c = Make(Options(base_), &tokens);
  const std::optional<CoordinatorOutcome> r = Elect(*c);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->role, CoordinatorRole::kTokensAvailable);
  EXPECT_FALSE(c->server().listening());
  int bound = 0, err = 0;
  loopback_net::Socket again(loopback_net::ListenLoopback(false, base_, &bound, &err));
  EXPECT_TRUE(again.valid()) << "the port is still held";
}

// The port is held when we bind and free when we probe (its holder, say a
// sibling that just finished, closed it): try it again, do not go on to the
// next port and end up with a different redirect URI (a second
// registration; seen under ASan in e2e 25).
TEST_F(CoordinatorTest, APortReleasedDuringTheProbeIsTriedAgain) {
  int bound = 0, err = 0;
  auto holder = std::make_unique<loopback_net::Socket>(loopback_net::ListenLoopback(false, base_, &bound, &err));
  ASSERT_TRUE(holder->valid());
  HookedHttp hooked(http_);
  hooked.before_start = [&](const std::string&) { holder.reset(); };
  auto c = Make(Options(base_), nullptr, &hooked);
  const std::optional<CoordinatorOutcome> r = Elect(*c);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->role, CoordinatorRole::kLeader);
  EXPECT_EQ(r->port, base_);
}

TEST_F(CoordinatorTest, StrictPortInUseFails) {
  int bound = 0, err = 0;
  loopback_net::Socket holder(loopback_net::ListenLoopback(false, base_, &bound, &err));
  ASSERT_TRUE(holder.valid());
  auto c = Make(Options(base_, /*strict=*/true));
  const std::optional<CoordinatorOutcome> r = Elect(*c);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->role, CoordinatorRole::kFailed);
  EXPECT_EQ(r->error, "Callback port " + std::to_string(base_) + " is already in use");
  EXPECT_FALSE(c->server().listening());
}

TEST_F(CoordinatorTest, AllCandidatesTakenFails) {
  int bound = 0, err = 0;
  loopback_net::Socket h0(loopback_net::ListenLoopback(false, base_, &bound, &err));
  loopback_net::Socket h1(loopback_net::ListenLoopback(false, base_ + 1, &bound, &err));
  ASSERT_TRUE(h0.valid() && h1.valid());
  CoordinatorOptions o = Options(base_);
  o.candidates = 2;
  auto c = Make(o);
  const std::optional<CoordinatorOutcome> r = Elect(*c);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->role, CoordinatorRole::kFailed);
  EXPECT_EQ(r->error, "Could not find a free callback port for this server (tried " +
                          std::to_string(base_) + "-" + std::to_string(base_ + 1) +
                          "). Close whatever is holding those ports, or pass a port as the "
                          "second argument to choose one.");
}

TEST_F(CoordinatorTest, FollowerGivesUpAfterItsPatience) {
  auto a = Make(Options(base_));
  CoordinatorOptions ob = Options(base_);
  ob.auth_timeout = Millis(100);
  ob.follower_patience = Millis(300);
  auto b = Make(ob);
  std::optional<CoordinatorOutcome> rb;
  TimePoint followed{};
  a->Start([&](const CoordinatorOutcome&) {
    followed = loop_.Now();
    b->Start([&](const CoordinatorOutcome& o) {
      rb = o;
      loop_.Stop();
    });
  });
  Run();
  ASSERT_TRUE(rb.has_value());
  EXPECT_EQ(rb->role, CoordinatorRole::kFailed);
  EXPECT_EQ(rb->error, "Authentication is still pending in another instance on port " +
                           std::to_string(base_) +
                           ". Complete that sign-in and retry, or close the other instance to "
                           "start a new sign-in.");
  EXPECT_GE(std::chrono::duration_cast<Millis>(loop_.Now() - followed).count(), 300);
}

TEST_F(CoordinatorTest, YieldsToASiblingOnAnEarlierCandidate) {
  // base_ is first held by an unrelated server; while we probe it, that
  // process exits and a sibling takes base_. We bind base_+1, then find the
  // sibling on the earlier candidate and yield to it.
  CallbackServerOptions xo;
  xo.server_url_hash = "00000000000000000000000000000000";
  auto unrelated = std::make_unique<CallbackServer>(loop_, log_, xo);
  std::string e;
  int eno = 0;
  ASSERT_TRUE(unrelated->Listen(base_, &e, &eno)) << e;
  CallbackServerOptions so;
  so.server_url_hash = kHash;
  CallbackServer sibling(loop_, log_, so);

  HookedHttp hooked(http_);
  bool swapped = false;
  hooked.after_done = [&](const std::string&) {
    if (swapped) return;
    swapped = true;
    unrelated.reset();
    EXPECT_TRUE(sibling.Listen(base_, &e, &eno)) << e;
  };
  auto c = Make(Options(base_), nullptr, &hooked);
  c->Start([&](const CoordinatorOutcome& o) { ADD_FAILURE() << "unexpected role " << static_cast<int>(o.role); });
  loop_.AddTimer(Millis(500), [&] { loop_.Stop(); });
  loop_.Run();
  EXPECT_TRUE(swapped);
  EXPECT_EQ(c->state(), Coordinator::State::kFollowing);
  EXPECT_EQ(c->port(), base_);
  EXPECT_FALSE(c->server().listening());
  int bound = 0, err = 0;
  loopback_net::Socket freed(loopback_net::ListenLoopback(false, base_ + 1, &bound, &err));
  EXPECT_TRUE(freed.valid()) << "the yielded port is still bound";
}

TEST_F(CoordinatorTest, ProbesBypassTheProxyOfEnableProxy) {
  // --enable-proxy with a proxy that does not exist and no NO_PROXY: the
  // sibling probe must still go straight to 127.0.0.1 (libcurl would send
  // it to the proxy, every probe would fail, and B would elect itself on
  // the next port: two browser tabs).
  struct Env {
    const char* name;
    std::optional<std::string> old;
  };
  std::vector<Env> saved;
  for (const char* name : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy",
                           "NO_PROXY"}) {
    const char* v = std::getenv(name);
    saved.push_back({name, v ? std::optional<std::string>(v) : std::nullopt});
    unsetenv(name);
  }
  setenv("http_proxy", "http://127.0.0.1:9", 1);
  setenv("HTTP_PROXY", "http://127.0.0.1:9", 1);
  NetConfig net;
  net.enable_proxy = true;
  CurlHttpClient proxied(loop_, net);

  auto a = Make(Options(base_), nullptr, &proxied);
  auto b = Make(Options(base_), nullptr, &proxied);
  a->Start([&](const CoordinatorOutcome& o) {
    EXPECT_EQ(o.role, CoordinatorRole::kLeader);
    b->Start([&](const CoordinatorOutcome& o2) {
      ADD_FAILURE() << "B should follow, got role " << static_cast<int>(o2.role) << " on port "
                    << o2.port;
      loop_.Stop();
    });
    loop_.AddTimer(Millis(500), [&] { loop_.Stop(); });
  });
  Run();
  for (const auto& e : saved) {
    if (e.old)
      setenv(e.name, e.old->c_str(), 1);
    else
      unsetenv(e.name);
  }
  EXPECT_EQ(b->state(), Coordinator::State::kFollowing);
  EXPECT_EQ(b->port(), base_);
}

TEST_F(CoordinatorTest, PortZeroPicksAnyFreePort) {
  auto c = Make(Options(0));
  const std::optional<CoordinatorOutcome> r = Elect(*c);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->role, CoordinatorRole::kLeader);
  EXPECT_GT(r->port, 0);
  EXPECT_EQ(c->server().port(), r->port);
}

TEST_F(CoordinatorTest, CancelStopsFollowingWithoutARole) {
  auto a = Make(Options(base_));
  auto b = Make(Options(base_));
  bool b_reported = false;
  a->Start([&](const CoordinatorOutcome&) {
    b->Start([&](const CoordinatorOutcome&) { b_reported = true; });
    loop_.AddTimer(Millis(300), [&] {
      EXPECT_EQ(b->state(), Coordinator::State::kFollowing);
      b->Cancel();
      a.reset();  // the port frees up; a cancelled follower must not take it
      loop_.AddTimer(Millis(600), [&] { loop_.Stop(); });
    });
  });
  Run();
  EXPECT_FALSE(b_reported);
  EXPECT_FALSE(b->server().listening());
}

TEST_F(CoordinatorTest, OnRoleMayDestroyTheCoordinator) {
  auto c = Make(Options(base_));
  c->Start([&](const CoordinatorOutcome&) {
    c.reset();
    loop_.AddTimer(Millis(50), [&] { loop_.Stop(); });
  });
  Run();
  EXPECT_EQ(c, nullptr);
}

}  // namespace
}  // namespace mcpr
