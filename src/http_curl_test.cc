// CurlHttpClient against a real loopback socket: how a big body reaches the
// receiver. A server thread answers one request with a large body written
// as fast as the socket takes it; the client runs on the test's thread.
#include "http_curl.h"

#include <poll.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <cstdint>
#include <string>
#include <thread>

#include "callback_server.h"  // loopback_net

namespace mcpr {
namespace {

// The most the client may hold before handing bytes out: the pause
// threshold plus one libcurl write (CURL_MAX_WRITE_SIZE, 16 KiB).
constexpr std::size_t kMaxPiece = (256 + 16) << 10;

// Answers `connections` requests, one connection after the other.
class OneShotServer {
 public:
  explicit OneShotServer(std::string body, int connections = 1) : body_(std::move(body)), connections_(connections) {
    int err = 0;
    listener_ = loopback_net::Socket(loopback_net::ListenLoopback(false, 0, &port_, &err));
    if (!listener_.valid()) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1: " << loopback_net::ErrorString(err);
      return;
    }
    thread_ = std::thread([this] {
      for (int i = 0; i < connections_; ++i) Serve();
    });
  }
  ~OneShotServer() {
    if (thread_.joinable()) thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/big"; }

 private:
  // Every wait is bounded (10 s), so a broken client cannot hang the test.
  static bool WaitFor(int fd, short events) {
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, 10000) == 1;
  }
  void Serve() {
    int err = 0;
    if (!WaitFor(listener_.get(), POLLIN)) return;
    loopback_net::Socket c(loopback_net::Accept(listener_.get(), &err));
    if (!c.valid()) return;
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos && WaitFor(c.get(), POLLIN)) {
      const long n = loopback_net::Read(c.get(), buf, sizeof buf, &err);
      if (n < 0 && loopback_net::WouldBlock(err)) continue;
      if (n <= 0) break;
      request.append(buf, static_cast<std::size_t>(n));
    }
    const std::string out = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                            std::to_string(body_.size()) + "\r\nConnection: close\r\n\r\n" + body_;
    std::size_t sent = 0;
    while (sent < out.size() && WaitFor(c.get(), POLLOUT)) {
      const long n = loopback_net::Write(c.get(), out.data() + sent, out.size() - sent, &err);
      if (n < 0 && loopback_net::WouldBlock(err)) continue;
      if (n <= 0) break;  // the client went away (the abort tests)
      sent += static_cast<std::size_t>(n);
    }
  }

  std::string body_;
  int connections_;
  int port_ = 0;
  loopback_net::Socket listener_;
  std::thread thread_;
};

std::string Pattern(std::size_t n) {
  std::string s(n, '\0');
  std::uint32_t x = 2463534242u;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>('a' + x % 26);
  }
  return s;
}

struct Received {
  long status = 0;
  std::string body;
  std::size_t pieces = 0;
  std::size_t largest = 0;
  bool done = false;
  HttpError error;
  // on_done: records the outcome and ends the run.
  std::function<void(const HttpError&)> DoneStopping(EventLoop& loop) {
    return [this, &loop](const HttpError& e) {
      done = true;
      error = e;
      loop.Stop();
    };
  }
};

class CurlHttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override { curl_global_init(CURL_GLOBAL_DEFAULT); }
  void TearDown() override { curl_global_cleanup(); }

  // Runs the loop until a callback stops it, at most 30 s.
  void Run(EventLoop& loop) {
    const auto guard = loop.AddTimer(Millis(30000), [&] {
      ADD_FAILURE() << "transfer did not finish in 30 s";
      loop.Stop();
    });
    loop.Run();
    loop.CancelTimer(guard);
  }
};

TEST_F(CurlHttpClientTest, BigBodyArrivesWholeInBoundedPieces) {
  const std::string body = Pattern(6u << 20);
  OneShotServer server(body);
  EventLoop loop;
  Received got;
  {
    CurlHttpClient http(loop, NetConfig{});
    HttpRequest req;
    req.url = server.url();
    HttpCallbacks cb;
    cb.on_head = [&](const HttpResponseHead& h) { got.status = h.status; };
    cb.on_body = [&](std::string_view piece) {
      got.body.append(piece);
      ++got.pieces;
      got.largest = std::max(got.largest, piece.size());
      return true;
    };
    cb.on_done = got.DoneStopping(loop);
    http.Start(std::move(req), std::move(cb));
    Run(loop);
  }
  ASSERT_TRUE(got.done);
  EXPECT_TRUE(got.error.ok()) << got.error.message;
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body.size(), body.size());
  EXPECT_TRUE(got.body == body) << "bytes lost, duplicated or reordered across pauses";
  // Held back at the pause threshold: many pieces, none of them big.
  EXPECT_LE(got.largest, kMaxPiece);
  EXPECT_GE(got.pieces, body.size() / kMaxPiece);
}

// The receiver refuses more while the transfer is paused: it ends as
// kAborted, and no body is delivered after the refusal.
TEST_F(CurlHttpClientTest, RefusingWhilePausedAborts) {
  OneShotServer server(Pattern(4u << 20));
  EventLoop loop;
  Received got;
  std::size_t after_refusal = 0;
  bool refused = false;
  {
    CurlHttpClient http(loop, NetConfig{});
    HttpRequest req;
    req.url = server.url();
    HttpCallbacks cb;
    cb.on_body = [&](std::string_view piece) {
      if (refused) ++after_refusal;
      got.body.append(piece);
      if (got.body.size() >= (1u << 20)) refused = true;
      return !refused;
    };
    cb.on_done = got.DoneStopping(loop);
    http.Start(std::move(req), std::move(cb));
    Run(loop);
    EXPECT_EQ(http.active(), 0u);
  }
  ASSERT_TRUE(got.done);
  EXPECT_EQ(got.error.kind, HttpError::Kind::kAborted);
  EXPECT_EQ(after_refusal, 0u);
  EXPECT_LT(got.body.size(), 2u << 20);
}

// Cancel() from inside on_body (the transports do this when a stream has
// what they wanted): no callback runs afterwards, the callback itself may go
// on using what it captured, and the client stays usable: the next request
// (on the recycled easy handle of the paused one) arrives whole.
TEST_F(CurlHttpClientTest, CancelFromTheBodyCallbackWhilePaused) {
  const std::string body = Pattern(4u << 20);
  OneShotServer server(body, 2);
  EventLoop loop;
  std::size_t calls_after_cancel = 0;
  bool cancelled = false;
  bool done_called = false;
  Received second;
  {
    CurlHttpClient http(loop, NetConfig{});
    HttpClient::Id id = 0;
    std::size_t seen = 0;
    auto start_second = [&] {
      HttpRequest again;
      again.url = server.url();
      HttpCallbacks cb2;
      cb2.on_body = [&](std::string_view piece) {
        second.body.append(piece);
        return true;
      };
      cb2.on_done = second.DoneStopping(loop);
      http.Start(std::move(again), std::move(cb2));
    };
    HttpRequest req;
    req.url = server.url();
    HttpCallbacks cb;
    cb.on_body = [&, start_second](std::string_view piece) {
      if (cancelled) ++calls_after_cancel;
      seen += piece.size();
      if (!cancelled && seen >= (1u << 20)) {
        cancelled = true;
        http.Cancel(id);
        EXPECT_EQ(http.active(), 0u);
        loop.AddTimer(Millis(100), start_second);  // uses this lambda's captures after the Cancel
      }
      return true;
    };
    cb.on_done = [&](const HttpError&) { done_called = true; };
    id = http.Start(std::move(req), std::move(cb));
    Run(loop);
    EXPECT_EQ(http.active(), 0u);
  }
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(calls_after_cancel, 0u);
  EXPECT_FALSE(done_called);
  ASSERT_TRUE(second.done);
  EXPECT_TRUE(second.error.ok()) << second.error.message;
  EXPECT_TRUE(second.body == body);
}

}  // namespace
}  // namespace mcpr
