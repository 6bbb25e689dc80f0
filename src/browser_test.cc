// OpenBrowser with fake browsers: small /bin/sh scripts in a temp dir that
// record the argv they received (and where their stdin/stdout point) into a
// file. The URLs that would do damage if a shell ever saw them must either
// be rejected or arrive verbatim as one argument.
#include "browser.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "oauth_messages.h"
#include "sandbox.h"
#include "test_util.h"

namespace mcpr {
namespace {

namespace fs = std::filesystem;

// Sets (or unsets) an environment variable for the scope of a test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      setenv(name, value->c_str(), 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

using test_util::Lines;
using test_util::ReadFile;

class BrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mcpr-browser-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    log_.CaptureForTest(&logged_);
    // The fake browser: argc, each argument on its own line, then where
    // its stdin and stdout point and every descriptor it inherited.
    script_ = WriteScript("fake-browser");
  }
  void TearDown() override {
    for (int i = 0; i < 500 && ReapBrowserChildren() > 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path WriteScript(const std::string& name) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << "#!/bin/sh\n"
                        "PATH=/usr/bin:/bin; export PATH\n"  // tests narrow PATH to find us
                        "out=\"$ARGV_OUT\"\n"
                        "{ printf '%s\\n' \"$#\"; for a in \"$@\"; do printf '%s\\n' \"$a\"; done; }"
                        " > \"$out.tmp\"\n"
                        "if [ -d /proc/$$/fd ]; then\n"
                        "  echo \"fd0=$(readlink /proc/$$/fd/0)\" >> \"$out.tmp\"\n"
                        "  echo \"fd1=$(readlink /proc/$$/fd/1)\" >> \"$out.tmp\"\n"
                        "  for f in /proc/$$/fd/*; do echo \"inherited=$(readlink $f)\"; done"
                        " >> \"$out.tmp\"\n"
                        "fi\n"
                        "echo 'this must not reach the MCP channel'\n"
                        "mv \"$out.tmp\" \"$out\"\n";
    chmod(p.c_str(), 0700);
    return p;
  }

  // Waits for the fake browser's record and returns its lines.
  std::vector<std::string> WaitForRecord() {
    const fs::path out = dir_ / "argv.txt";
    for (int i = 0; i < 500 && !fs::exists(out); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_TRUE(fs::exists(out)) << "the fake browser did not run";
    return Lines(ReadFile(out));
  }

  // The argv part of a record: {argc, args...}.
  static std::vector<std::string> Argv(const std::vector<std::string>& record) {
    std::vector<std::string> out;
    if (record.empty()) return out;
    const std::size_t n = std::stoul(record[0]);
    for (std::size_t i = 0; i <= n && i < record.size(); ++i) out.push_back(record[i]);
    return out;
  }

  fs::path dir_;
  fs::path script_;
  std::string logged_;
  Logger log_;
};

TEST_F(BrowserTest, RejectsDangerousUrlsWithoutSpawning) {
  ScopedEnv browser("BROWSER", script_.string());
  ScopedEnv out("ARGV_OUT", (dir_ / "argv.txt").string());
  const std::vector<std::string> bad = {
      "",
      "http://as.example/authorize",           // http to a non-loopback host
      "javascript:alert(1)",
      "file:///etc/passwd",
      "data:text/html,<script>alert(1)</script>",
      "vbscript:msgbox",
      "ms-settings:",
      "https://as.example/authorize?x=$(touch x)",  // space
      "https://as.example/authorize?x=`touch x`",   // backticks
      "https://as.example/authorize?x=\"y\"",
      "https://as.example/authorize?x='y'",
      "https://as.example/authorize?x=<y>",
      "https://as.example/a\\b",
      "https://as.example/a|b",
      "https://as.example/a^b",
      "https://as.example/a{b}",
      "https://as.example/a\nb",
      "https://as.example/a\rb",
      "https://as.example/a\tb",
      std::string("https://as.example/a\0b", 22),
      "https://as.example/\x1b[31mred",
      "https://as.example/caf\xC3\xA9",
      "https://user:pass@as.example/authorize",
      "https://trusted.example@evil.example/",
      " https://as.example/",
      "https://as.example/" + std::string(20000, 'a'),
  };
  for (const auto& url : bad) {
    SCOPED_TRACE(url);
    std::string err;
    logged_.clear();
    EXPECT_FALSE(OpenBrowser(url, log_, &err));
    EXPECT_FALSE(err.empty());
    EXPECT_EQ(logged_.find("Please authorize"), std::string::npos);
    if (url.size() > 8) {
      EXPECT_EQ(logged_.find(url.substr(8)), std::string::npos)
          << "a rejected URL was echoed: " << logged_;
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(fs::exists(dir_ / "argv.txt")) << "a rejected URL reached the browser";
  EXPECT_EQ(BrowserChildrenPending(), 0u);
}

TEST_F(BrowserTest, ShellMetacharactersArriveVerbatimAsOneArgument) {
  ScopedEnv browser("BROWSER", script_.string());
  ScopedEnv out("ARGV_OUT", (dir_ / "argv.txt").string());
  // Valid URL characters that a shell would act on: ; $( ) & * and $IFS.
  const std::string pwned = (dir_ / "PWNED").string();
  const std::string url = "https://as.example/authorize?a=1;touch$IFS" + pwned +
                          ";b=$(touch$IFS" + pwned + "2)&c=*&redirect_uri=http%3A%2F%2F" +
                          "localhost%3A3334%2Foauth%2Fcallback&state=abc-123";
  std::string normalized, why;
  ASSERT_TRUE(ValidateBrowserUrl(url, true, &why, &normalized)) << why;

  // A socket without close-on-exec: the browser must not inherit it.
  const int leaky = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(leaky, 0);
  std::string err;
  const bool opened = OpenBrowser(url, log_, &err);
  close(leaky);
  ASSERT_TRUE(opened) << err;
  const auto record = WaitForRecord();
  EXPECT_EQ(Argv(record), (std::vector<std::string>{"1", normalized}));
  EXPECT_FALSE(fs::exists(pwned));
  EXPECT_FALSE(fs::exists(pwned + "2"));
  EXPECT_NE(logged_.find("Please authorize this client by visiting:\n" + normalized + "\n"),
            std::string::npos)
      << logged_;
#if defined(__linux__)
  std::vector<std::string> fds;
  for (const auto& line : record) {
    if (line.rfind("fd0=", 0) == 0) {
      EXPECT_EQ(line, "fd0=/dev/null");
    } else if (line.rfind("fd1=", 0) == 0) {
      EXPECT_EQ(line, "fd1=/dev/null");
    } else if (line.rfind("inherited=", 0) == 0) {
      fds.push_back(line);
    }
  }
  EXPECT_FALSE(fds.empty());
  for (const auto& fd : fds) EXPECT_EQ(fd.find("socket:"), std::string::npos) << fd;
#endif
}

TEST_F(BrowserTest, LoopbackHttpIsAllowed) {
  ScopedEnv browser("BROWSER", script_.string());
  ScopedEnv out("ARGV_OUT", (dir_ / "argv.txt").string());
  std::string err;
  ASSERT_TRUE(OpenBrowser("http://127.0.0.1:8080/authorize?x=1", log_, &err)) << err;
  EXPECT_EQ(Argv(WaitForRecord()),
            (std::vector<std::string>{"1", "http://127.0.0.1:8080/authorize?x=1"}));
}

TEST_F(BrowserTest, BrowserValueIsOneProgramNeverSplit) {
  // "<script> --flag" is not split into a program and an argument: no
  // program has that name, so the platform openers follow (none exist in
  // our PATH), and the fake browser never runs.
  ScopedEnv browser("BROWSER", script_.string() + " --new-window");
  ScopedEnv out("ARGV_OUT", (dir_ / "argv.txt").string());
  ScopedEnv path("PATH", dir_.string() + "/empty-bin");
  std::string err;
  EXPECT_FALSE(OpenBrowser("https://as.example/authorize", log_, &err));
  EXPECT_NE(err.find("no browser opener could be started"), std::string::npos) << err;
  // The URL was still logged for copying by hand.
  EXPECT_NE(logged_.find("https://as.example/authorize"), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(fs::exists(dir_ / "argv.txt"));
}

#if !defined(__APPLE__)
TEST_F(BrowserTest, FallsBackToGioOpenWhenBrowserAndXdgOpenAreMissing) {
  const fs::path bin = dir_ / "bin";
  fs::create_directory(bin);
  fs::rename(script_, bin / "gio");
  ScopedEnv browser("BROWSER", (dir_ / "no-such-browser").string());
  ScopedEnv out("ARGV_OUT", (dir_ / "argv.txt").string());
  ScopedEnv path("PATH", bin.string());
  std::string err;
  ASSERT_TRUE(OpenBrowser("https://as.example/authorize?x=1", log_, &err)) << err;
  EXPECT_EQ(Argv(WaitForRecord()),
            (std::vector<std::string>{"2", "open", "https://as.example/authorize?x=1"}));
}
#endif

TEST_F(BrowserTest, ChildrenAreReapedFromTheLoop) {
  ScopedEnv browser("BROWSER", script_.string());
  ScopedEnv out("ARGV_OUT", (dir_ / "argv.txt").string());
  EventLoop loop;
  std::string err;
  ASSERT_TRUE(OpenBrowser("https://as.example/authorize", log_, &err, &loop)) << err;
  EXPECT_EQ(BrowserChildrenPending(), 1u);
  WaitForRecord();
  // The reaper polls with WNOHANG from loop timers (100 ms, 200 ms, ...).
  std::function<void()> check = [&] {
    if (BrowserChildrenPending() == 0) {
      loop.Stop();
      return;
    }
    loop.AddTimer(Millis(20), check);
  };
  loop.AddTimer(Millis(20), check);
  loop.AddTimer(Millis(5000), [&] {
    ADD_FAILURE() << "the child was not reaped";
    loop.Stop();
  });
  loop.Run();
  EXPECT_EQ(BrowserChildrenPending(), 0u);
}

// ------------------------------------------------------------ BrowserBroker

TEST_F(BrowserTest, BrokerOpensThroughItsHelper) {
  ScopedEnv browser("BROWSER", script_.string());  // the helper inherits the environment at fork
  ScopedEnv out("ARGV_OUT", (dir_ / "argv.txt").string());
  std::string err;
  auto broker = BrowserBroker::Start(&err);
  ASSERT_TRUE(broker) << err;
  ASSERT_TRUE(OpenBrowser("https://as.example/authorize?x=1", log_, &err, nullptr, broker.get())) << err;
  const auto record = WaitForRecord();
  EXPECT_EQ(Argv(record), (std::vector<std::string>{"1", "https://as.example/authorize?x=1"}));
  EXPECT_NE(logged_.find("Please authorize this client by visiting:\nhttps://as.example/authorize?x=1"),
            std::string::npos)
      << logged_;
  // Spawned by the helper, so nothing of ours is inherited: 0 and 1 on
  // /dev/null, 2 kept, plus the descriptor the shell opens for the listing.
  for (const auto& line : record) {
    if (line.rfind("fd1=", 0) == 0) {
      EXPECT_EQ(line, "fd1=/dev/null");
    }
    if (line.rfind("inherited=", 0) == 0) {
      EXPECT_EQ(line.find("socket:"), std::string::npos) << line;
    }
  }
  EXPECT_EQ(BrowserChildrenPending(), 0u);  // the helper reaps, not us
}

TEST_F(BrowserTest, BrokerHelperValidatesAgain) {
  ScopedEnv browser("BROWSER", script_.string());
  ScopedEnv out("ARGV_OUT", (dir_ / "argv.txt").string());
  std::string err, opener;
  auto broker = BrowserBroker::Start(&err);
  ASSERT_TRUE(broker) << err;
  // Straight to the helper, as a compromised confined process could.
  EXPECT_FALSE(broker->Open("javascript:alert(1)", &opener, &err));
  EXPECT_NE(err.find("rejected"), std::string::npos) << err;
  EXPECT_FALSE(broker->Open("https://as.example/a b", &opener, &err));
  EXPECT_FALSE(broker->Open(std::string(9000, 'a'), &opener, &err));
  // Still serving afterwards.
  ASSERT_TRUE(broker->Open("https://as.example/ok", &opener, &err)) << err;
  EXPECT_EQ(opener, script_.string());
  EXPECT_EQ(Argv(WaitForRecord()), (std::vector<std::string>{"1", "https://as.example/ok"}));
}

TEST_F(BrowserTest, BrokerHelperExitsWhenTheBrokerGoes) {
  std::string err;
  auto broker = BrowserBroker::Start(&err);
  ASSERT_TRUE(broker) << err;
  const pid_t pid = broker->helper_pid();
  broker.reset();
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    gone = r == pid || (r < 0 && errno == ECHILD);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone) << "the helper did not exit on EOF";
}

// The reason the broker exists: a confined process cannot exec, the helper
// forked before confinement can.
TEST_F(BrowserTest, AConfinedProcessOpensTheBrowserOnlyThroughTheBroker) {
  ScopedEnv browser("BROWSER", script_.string());
  ScopedEnv out("ARGV_OUT", (dir_ / "argv.txt").string());
  const std::string report = test_util::ReportFromChild([&] {
    std::string err, lines;
    auto broker = BrowserBroker::Start(&err);
    SandboxPolicy policy;
    policy.writable_dirs = {dir_.string()};
    const SandboxResult r = Confine(policy);
    if (!broker || !r.confined) return "UNCONFINED " + r.detail + err;
    Logger quiet;
    std::string sink;
    quiet.CaptureForTest(&sink);
    const bool direct = OpenBrowser("https://as.example/direct", quiet, &err, nullptr, nullptr);
    lines += std::string("direct=") + (direct ? "opened" : "refused") + "\n";
    const bool brokered = OpenBrowser("https://as.example/brokered", quiet, &err, nullptr, broker.get());
    lines += std::string("brokered=") + (brokered ? "opened" : "refused: " + err) + "\n";
    return lines;
  });
  if (report.rfind("UNCONFINED ", 0) == 0) GTEST_SKIP() << report;
  EXPECT_NE(report.find("direct=refused\n"), std::string::npos) << report;
  EXPECT_NE(report.find("brokered=opened\n"), std::string::npos) << report;
  EXPECT_EQ(Argv(WaitForRecord()), (std::vector<std::string>{"1", "https://as.example/brokered"}));
}

}  // namespace
}  // namespace mcpr
