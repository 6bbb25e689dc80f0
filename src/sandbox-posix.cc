// POSIX confinement (see sandbox.h): Landlock on Linux; elsewhere nothing.
#include "sandbox.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#if defined(__linux__)
#include <dirent.h>
#include <fcntl.h>
#if __has_include(<linux/landlock.h>)
#include <linux/landlock.h>
#endif
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#endif

namespace mcpr {

#if defined(__linux__)

namespace {

// Older kernel headers lack some or all of these (Linux < 5.13 has no
// <linux/landlock.h> at all); the values are ABI.
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif
#ifndef LANDLOCK_ACCESS_FS_EXECUTE
#define LANDLOCK_ACCESS_FS_EXECUTE (1ULL << 0)
#define LANDLOCK_ACCESS_FS_WRITE_FILE (1ULL << 1)
#define LANDLOCK_ACCESS_FS_READ_FILE (1ULL << 2)
#define LANDLOCK_ACCESS_FS_READ_DIR (1ULL << 3)
#define LANDLOCK_ACCESS_FS_REMOVE_DIR (1ULL << 4)
#define LANDLOCK_ACCESS_FS_REMOVE_FILE (1ULL << 5)
#define LANDLOCK_ACCESS_FS_MAKE_CHAR (1ULL << 6)
#define LANDLOCK_ACCESS_FS_MAKE_DIR (1ULL << 7)
#define LANDLOCK_ACCESS_FS_MAKE_REG (1ULL << 8)
#define LANDLOCK_ACCESS_FS_MAKE_SOCK (1ULL << 9)
#define LANDLOCK_ACCESS_FS_MAKE_FIFO (1ULL << 10)
#define LANDLOCK_ACCESS_FS_MAKE_BLOCK (1ULL << 11)
#define LANDLOCK_ACCESS_FS_MAKE_SYM (1ULL << 12)
#endif
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#endif
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule 445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif

// Our own copies of the ABI structs, so that the size we pass matches the
// fields we fill whatever the installed headers know.
struct RulesetAttr {
  std::uint64_t handled_access_fs;
  std::uint64_t handled_access_net;  // ABI >= 4
  std::uint64_t scoped;              // ABI >= 6
};
struct __attribute__((packed)) PathBeneathAttr {
  std::uint64_t allowed_access;
  std::int32_t parent_fd;
};
constexpr int kRulePathBeneath = 1;  // LANDLOCK_RULE_PATH_BENEATH

int CreateRuleset(const RulesetAttr* attr, std::size_t size, std::uint32_t flags) {
  return static_cast<int>(syscall(SYS_landlock_create_ruleset, attr, size, flags));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

constexpr std::uint64_t kFileRights = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE;

// Grants `rights` (limited to what the ruleset handles) beneath `path`.
bool AddPathRule(int ruleset, const std::string& path, std::uint64_t rights, std::uint64_t handled,
                 std::string* why) {
  Fd fd(open(path.c_str(), O_PATH | O_CLOEXEC));
  if (fd.get() < 0) {
    *why = fmt::format("cannot open {}: {}", path, std::strerror(errno));
    return false;
  }
  PathBeneathAttr rule{rights & handled, fd.get()};
  if (syscall(SYS_landlock_add_rule, ruleset, kRulePathBeneath, &rule, 0) != 0) {
    *why = fmt::format("landlock_add_rule({}): {}", path, std::strerror(errno));
    return false;
  }
  return true;
}

// Threads other than the caller would stay unconfined (Landlock binds the
// calling thread and its future children only).
int CountThreads() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    closedir(d);
  }
  return n;
}

// The Landlock ABI version if this process can be confined now, else 0
// with *why.
int UsableAbi(std::string* why) {
  const int abi = CreateRuleset(nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 1) {
    const int e = errno;
    if (why) {
      *why = e == ENOSYS       ? "this kernel has no Landlock (Linux 5.13+ needed)"
             : e == EOPNOTSUPP ? "Landlock is disabled on this system (lsm= boot parameter)"
                               : fmt::format("Landlock is unavailable: {}", std::strerror(e));
    }
    return 0;
  }
  if (const int threads = CountThreads(); threads > 1) {
    if (why) *why = fmt::format("the process already runs {} threads, which would stay unconfined", threads);
    return 0;
  }
  return abi;
}

}  // namespace

bool CanConfine(std::string* why) { return UsableAbi(why) > 0; }

SandboxResult Confine(const SandboxPolicy& policy) {
  SandboxResult result;
  const int abi = UsableAbi(&result.detail);
  if (abi == 0) return result;

  std::uint64_t handled = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                          LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
                          LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                          LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                          LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
  if (abi >= 2) handled |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) handled |= LANDLOCK_ACCESS_FS_TRUNCATE;
  RulesetAttr attr{handled, 0, 0};
  std::size_t attr_size = sizeof(std::uint64_t);  // ABI 1-3 know only the first field
  if (abi >= 6) {
    attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET;
    attr_size = sizeof(RulesetAttr);
  }
  Fd ruleset(CreateRuleset(&attr, attr_size, 0));
  if (ruleset.get() < 0) {
    result.detail = fmt::format("landlock_create_ruleset: {}", std::strerror(errno));
    return result;
  }

  constexpr std::uint64_t kDirRights = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
                                       LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                                       LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_DIR |
                                       LANDLOCK_ACCESS_FS_REFER;
  std::string why;
  for (const auto& dir : policy.writable_dirs) {
    if (!AddPathRule(ruleset.get(), dir, kDirRights, handled, &why)) {
      result.detail = why;
      return result;
    }
  }
  for (const auto& file : policy.writable_files) {
    if (access(file.c_str(), F_OK) != 0) continue;  // no /dev/null in a chroot: just no grant
    if (!AddPathRule(ruleset.get(), file, kFileRights, handled, &why)) {
      result.detail = why;
      return result;
    }
  }

  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    result.detail = fmt::format("prctl(PR_SET_NO_NEW_PRIVS): {}", std::strerror(errno));
    return result;
  }
  if (syscall(SYS_landlock_restrict_self, ruleset.get(), 0) != 0) {
    result.detail = fmt::format("landlock_restrict_self: {}", std::strerror(errno));
    return result;
  }
  result.confined = true;
  result.abi = abi;
  std::string where;
  for (const auto& dir : policy.writable_dirs) where += (where.empty() ? "" : ", ") + dir;
  result.detail = fmt::format("Landlock ABI {}: writes only beneath {}; executing files refused", abi,
                              where.empty() ? "nothing" : where);
  return result;
}

#else  // !__linux__

bool CanConfine(std::string* why) {
  if (why) *why = "confinement is not implemented on this platform";
  return false;
}

SandboxResult Confine(const SandboxPolicy&) {
  SandboxResult result;
  result.detail = "confinement is not implemented on this platform";
  return result;
}

#endif

}  // namespace mcpr
