#include "log.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"

namespace mcpr {
namespace {

std::string Pid() { return std::to_string(static_cast<long>(getpid())); }

using test_util::Lines;
using test_util::ReadFile;

// A scratch directory removed (recursively) at the end of the test.
struct TempDir : test_util::TempDir {
  TempDir() : test_util::TempDir("mcpr_log") {}
};

mode_t Mode(const std::string& path) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// Restores the umask on scope exit.
class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t m) : old_(umask(m)) {}
  ~UmaskGuard() { umask(old_); }
  UmaskGuard(const UmaskGuard&) = delete;
  UmaskGuard& operator=(const UmaskGuard&) = delete;

 private:
  mode_t old_;
};

// Switches the local time zone so that a localtime-for-gmtime mistake shows.
class TzGuard {
 public:
  explicit TzGuard(const char* tz) {
    const char* old = std::getenv("TZ");
    had_ = old != nullptr;
    if (had_) old_ = old;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~TzGuard() {
    if (had_) {
      setenv("TZ", old_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  TzGuard(const TzGuard&) = delete;
  TzGuard& operator=(const TzGuard&) = delete;

 private:
  bool had_ = false;
  std::string old_;
};

const std::regex kStamped(R"(^\[(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z\]\[(\d+)\] (.*)$)");

TEST(LogTest, InfoWarnErrorArePidPrefixed) {
  Logger log;
  std::string sink;
  log.CaptureForTest(&sink);
  log.Info("Using callback port {}", 41409);
  log.Warn("careful: {}", "x");
  log.Error("Fatal error: {}", "boom");
  EXPECT_EQ(sink, "[" + Pid() + "] Using callback port 41409\n[" + Pid() + "] careful: x\n[" + Pid() +
                      "] Fatal error: boom\n");
}

TEST(LogTest, DebugIsOffByDefault) {
  Logger log;
  std::string sink;
  log.CaptureForTest(&sink);
  EXPECT_FALSE(log.debug());
  log.Debug("hidden {}", 1);
  EXPECT_EQ(sink, "");
}

TEST(LogTest, DebugLineHasIsoUtcTimestamp) {
  TzGuard tz("America/New_York");  // a UTC-vs-local mix-up would be off by hours
  Logger log;
  std::string sink;
  log.CaptureForTest(&sink);
  log.set_debug(true);
  const auto before = std::chrono::system_clock::now();
  log.Debug("Starting mcp-remote with server URL: {}", "https://x");
  const auto after = std::chrono::system_clock::now();

  std::smatch m;
  const std::string line = sink.substr(0, sink.size() - 1);
  ASSERT_EQ(sink.back(), '\n');
  ASSERT_TRUE(std::regex_match(line, m, kStamped)) << sink;
  EXPECT_EQ(m[8].str(), Pid());
  EXPECT_EQ(m[9].str(), "Starting mcp-remote with server URL: https://x");

  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  const auto stamp = std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::milliseconds(std::stoi(m[7]));
  EXPECT_GE(stamp, std::chrono::time_point_cast<std::chrono::milliseconds>(before));
  EXPECT_LE(stamp, after);
}

TEST(LogTest, SilentSuppressesStderrButNotDebug) {
  Logger log;
  std::string sink;
  log.CaptureForTest(&sink);
  log.set_silent(true);
  log.Info("info");
  log.Warn("warn");
  log.Error("error");
  EXPECT_EQ(sink, "");
  // npm: "stderr output will be suppressed, except when --debug is also enabled".
  log.set_debug(true);
  log.Debug("dbg");
  EXPECT_TRUE(std::regex_match(sink.substr(0, sink.size() - 1), kStamped)) << sink;
}

TEST(LogTest, BracesInArgumentsAreNotFormatted) {
  Logger log;
  std::string sink;
  log.CaptureForTest(&sink);
  log.Info("{}", "{\"jsonrpc\":\"2.0\"} {}");
  EXPECT_EQ(sink, "[" + Pid() + "] {\"jsonrpc\":\"2.0\"} {}\n");
}

TEST(LogTest, DebugFileCreatedPrivateWithParents) {
  UmaskGuard mask(022);  // would give 0755/0644 if modes were left to defaults
  TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  const std::string store = tmp.path() + "/cfg/mcp-remote-v1";
  const std::string path = store + "/94baabe3c3fadb285b26c035e4e86046_debug.log";
  Logger log;
  std::string sink;
  log.CaptureForTest(&sink);
  log.set_debug(true);
  ASSERT_TRUE(log.OpenDebugFile(path)) << sink;
  EXPECT_EQ(Mode(tmp.path() + "/cfg"), 0700u);
  EXPECT_EQ(Mode(store), 0700u);
  EXPECT_EQ(Mode(path), 0600u);

  log.Info("an info line");
  log.Debug("a debug line {}", 2);
  const auto lines = Lines(ReadFile(path));
  ASSERT_EQ(lines.size(), 2u) << ReadFile(path);
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines[0], m, kStamped)) << lines[0];
  EXPECT_EQ(m[9].str(), "an info line");
  ASSERT_TRUE(std::regex_match(lines[1], m, kStamped)) << lines[1];
  EXPECT_EQ(m[9].str(), "a debug line 2");
  // stderr got the info line in its plain form and the debug line stamped.
  const auto err_lines = Lines(sink);
  ASSERT_EQ(err_lines.size(), 2u) << sink;
  EXPECT_EQ(err_lines[0], "[" + Pid() + "] an info line");
  EXPECT_TRUE(std::regex_match(err_lines[1], kStamped));
}

TEST(LogTest, SilentInfoStillReachesTheDebugFile) {
  TempDir tmp;
  const std::string path = tmp.path() + "/x_debug.log";
  Logger log;
  std::string sink;
  log.CaptureForTest(&sink);
  log.set_silent(true);
  ASSERT_TRUE(log.OpenDebugFile(path));
  log.Info("quiet");
  EXPECT_EQ(sink, "");
  const auto lines = Lines(ReadFile(path));
  ASSERT_EQ(lines.size(), 1u);
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines[0], m, kStamped));
  EXPECT_EQ(m[9].str(), "quiet");
}

TEST(LogTest, DebugFileAppendsAndTightensExistingMode) {
  TempDir tmp;
  const std::string path = tmp.path() + "/h_debug.log";
  {
    std::ofstream out(path);
    out << "earlier line\n";
  }
  chmod(path.c_str(), 0644);
  {
    Logger log;
    std::string sink;
    log.CaptureForTest(&sink);
    ASSERT_TRUE(log.OpenDebugFile(path));
    log.Info("later line");
  }  // the destructor closes the file
  EXPECT_EQ(Mode(path), 0600u);
  const auto lines = Lines(ReadFile(path));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "earlier line");
  EXPECT_NE(lines[1].find("] later line"), std::string::npos);
}

TEST(LogTest, ExistingDirectoryModeIsLeftAlone) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/shared";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  chmod(dir.c_str(), 0755);
  Logger log;
  std::string sink;
  log.CaptureForTest(&sink);
  ASSERT_TRUE(log.OpenDebugFile(dir + "/h_debug.log"));
  EXPECT_EQ(Mode(dir), 0755u);
}

TEST(LogTest, OpenFailureWarnsAndReturnsFalse) {
  TempDir tmp;
  const std::string blocker = tmp.path() + "/not-a-dir";
  {
    std::ofstream out(blocker);
    out << "x";
  }
  Logger log;
  std::string sink;
  log.CaptureForTest(&sink);
  EXPECT_FALSE(log.OpenDebugFile(blocker + "/sub/h_debug.log"));
  EXPECT_NE(sink.find("Could not open the debug log"), std::string::npos) << sink;
  EXPECT_NE(sink.find(blocker), std::string::npos) << sink;
  // Logging keeps working without the file.
  sink.clear();
  log.Info("still here");
  EXPECT_EQ(sink, "[" + Pid() + "] still here\n");
}

TEST(LogTest, ReopeningSwitchesFiles) {
  TempDir tmp;
  Logger log;
  std::string sink;
  log.CaptureForTest(&sink);
  ASSERT_TRUE(log.OpenDebugFile(tmp.path() + "/a_debug.log"));
  log.Info("one");
  ASSERT_TRUE(log.OpenDebugFile(tmp.path() + "/b_debug.log"));
  log.Info("two");
  EXPECT_EQ(Lines(ReadFile(tmp.path() + "/a_debug.log")).size(), 1u);
  const auto b = Lines(ReadFile(tmp.path() + "/b_debug.log"));
  ASSERT_EQ(b.size(), 1u);
  EXPECT_NE(b[0].find("] two"), std::string::npos);
}

}  // namespace
}  // namespace mcpr
