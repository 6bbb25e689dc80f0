// Confinement is irreversible, so every test confines a forked child and
// reads the verdicts back through a pipe. These run against the real kernel:
// if it has no Landlock the tests are skipped with the reason, never passed.
#include "sandbox.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "test_util.h"

namespace mcpr {
namespace {

namespace stdfs = std::filesystem;

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mcpr-sandbox-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    store_ = root_ + "/store";
    outside_ = root_ + "/outside";
    ASSERT_EQ(mkdir(store_.c_str(), 0700), 0);
    ASSERT_EQ(mkdir(outside_.c_str(), 0700), 0);
    WriteFile(store_ + "/old.json", "old");
    WriteFile(outside_ + "/existing", "keep");
  }
  void TearDown() override {
    std::error_code ec;
    stdfs::remove_all(root_, ec);
  }

  static void WriteFile(const std::string& path, const std::string& text) {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr) << path;
    std::fputs(text.c_str(), f);
    std::fclose(f);
  }

  // Runs `body` in a child after Confine(policy); returns the child's report:
  // a line per check ("name=errno"), or "UNCONFINED <why>".
  template <typename Body>
  std::string InConfinedChild(const SandboxPolicy& policy, Body body) {
    return test_util::ReportFromChild([&] {
      const SandboxResult r = Confine(policy);
      return r.confined ? std::string(body()) : "UNCONFINED " + r.detail + "\n";
    });
  }

  static std::string Errno(const char* name, int rc) {
    return std::string(name) + "=" + (rc == 0 ? "ok" : std::to_string(errno)) + "\n";
  }
  static int CreateAndWrite(const std::string& path) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    const bool ok = write(fd, "x", 1) == 1;
    close(fd);
    return ok ? 0 : -1;
  }

  std::string root_, store_, outside_;
};

#define SKIP_IF_UNCONFINED(report)                                          \
  if ((report).rfind("UNCONFINED ", 0) == 0) GTEST_SKIP() << (report)

TEST_F(SandboxTest, WritesOnlyBeneathTheStoreDirectory) {
  SandboxPolicy policy;
  policy.writable_dirs = {store_};
  policy.writable_files = {"/dev/null"};
  const std::string store = store_, outside = outside_, root = root_;
  const std::string report = InConfinedChild(policy, [&] {
    std::string r;
    r += Errno("store_create", CreateAndWrite(store + "/tokens.json.tmp"));
    r += Errno("store_rename", rename((store + "/tokens.json.tmp").c_str(), (store + "/tokens.json").c_str()));
    r += Errno("store_mkdir", mkdir((store + "/sub").c_str(), 0700));
    r += Errno("store_unlink", unlink((store + "/old.json").c_str()));
    r += Errno("outside_create", CreateAndWrite(outside + "/stolen"));
    r += Errno("outside_overwrite", CreateAndWrite(outside + "/existing"));
    r += Errno("outside_unlink", unlink((outside + "/existing").c_str()));
    r += Errno("outside_mkdir", mkdir((root + "/newdir").c_str(), 0700));
    r += Errno("rename_out_of_store",
               rename((store + "/tokens.json").c_str(), (outside + "/tokens.json").c_str()));
    r += Errno("tmp_create", CreateAndWrite("/tmp/mcpr-sandbox-escape-" + std::to_string(getpid())));
    const int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    r += Errno("devnull", null_fd >= 0 ? 0 : -1);
    if (null_fd >= 0) close(null_fd);
    const int read_fd = open((outside + "/existing").c_str(), O_RDONLY | O_CLOEXEC);
    r += Errno("outside_read", read_fd >= 0 ? 0 : -1);
    if (read_fd >= 0) close(read_fd);
    return r;
  });
  SKIP_IF_UNCONFINED(report);
  const std::string eacces = std::to_string(EACCES);
  EXPECT_NE(report.find("store_create=ok\n"), std::string::npos) << report;
  EXPECT_NE(report.find("store_rename=ok\n"), std::string::npos) << report;
  EXPECT_NE(report.find("store_mkdir=ok\n"), std::string::npos) << report;
  EXPECT_NE(report.find("store_unlink=ok\n"), std::string::npos) << report;
  EXPECT_NE(report.find("outside_create=" + eacces + "\n"), std::string::npos) << report;
  EXPECT_NE(report.find("outside_overwrite=" + eacces + "\n"), std::string::npos) << report;
  EXPECT_NE(report.find("outside_unlink=" + eacces + "\n"), std::string::npos) << report;
  EXPECT_NE(report.find("outside_mkdir=" + eacces + "\n"), std::string::npos) << report;
  EXPECT_EQ(report.find("rename_out_of_store=ok\n"), std::string::npos) << report;
  EXPECT_NE(report.find("tmp_create=" + eacces + "\n"), std::string::npos) << report;
  EXPECT_NE(report.find("devnull=ok\n"), std::string::npos) << report;
  EXPECT_NE(report.find("outside_read=ok\n"), std::string::npos) << report;
  // And the parent (unconfined) sees the outside untouched.
  EXPECT_FALSE(stdfs::exists(outside_ + "/stolen"));
  EXPECT_TRUE(stdfs::exists(outside_ + "/existing"));
  EXPECT_TRUE(stdfs::exists(store_ + "/tokens.json"));
}

TEST_F(SandboxTest, ExecutingAnythingIsRefused) {
  SandboxPolicy policy;
  policy.writable_dirs = {store_};
  const std::string report = InConfinedChild(policy, [] {
    std::string r;
    const pid_t pid = fork();
    if (pid == 0) {
      execl("/bin/sh", "sh", "-c", "exit 0", static_cast<char*>(nullptr));
      _exit(errno == EACCES ? 42 : 43);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    r += "exec_status=" + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + "\n";
    return r;
  });
  SKIP_IF_UNCONFINED(report);
  EXPECT_NE(report.find("exec_status=42\n"), std::string::npos) << report;
}

TEST_F(SandboxTest, AMissingStoreDirectoryIsAnErrorNotAnOpenDoor) {
  SandboxPolicy policy;
  policy.writable_dirs = {root_ + "/does-not-exist"};
  const std::string report = InConfinedChild(policy, [] { return std::string("confined anyway\n"); });
  if (report.find("Landlock") != std::string::npos) GTEST_SKIP() << report;
  EXPECT_EQ(report.rfind("UNCONFINED cannot open " + root_ + "/does-not-exist", 0), 0u) << report;
}

}  // namespace
}  // namespace mcpr
