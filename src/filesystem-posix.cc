// RealFileSystem on POSIX (Linux, macOS). See filesystem.h for the contract.
#include "filesystem.h"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <system_error>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

namespace mcpr {

namespace {

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

void Fail(FsStatus* status, int err, std::string_view what, const std::string& path) {
  if (status != nullptr) status->Set(err == 0 ? EIO : err, fmt::format("{} {}: {}", what, path, ErrnoText(err)));
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// close(2) once, even on EINTR (retrying may close a descriptor another
// thread just opened).
int CloseFd(int fd) { return close(fd); }

std::string DirName(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Makes a rename or link inside `dir` durable. Best effort: some file
// systems refuse fsync on a directory, and the rename has happened anyway.
void SyncDir(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)fsync(fd);
  CloseFd(fd);
}

// link(2) failures that mean "this file system has no hard links" rather
// than "the name exists" or a real I/O problem.
bool LinkUnsupported(int err) {
  return err == EPERM || err == ENOTSUP || err == EOPNOTSUPP || err == EMLINK || err == ENOSYS ||
         err == EXDEV;
}

}  // namespace

bool FsStatus::not_found() const { return err_no == ENOENT; }
bool FsStatus::exists() const { return err_no == EEXIST; }

// ---- syscall hooks ----

int RealFileSystem::SysOpen(const char* path, int flags, int mode) {
  return open(path, flags, static_cast<mode_t>(mode));
}
long long RealFileSystem::SysWrite(int fd, const void* buf, std::size_t n) { return write(fd, buf, n); }
int RealFileSystem::SysFsync(int fd) { return fsync(fd); }
int RealFileSystem::SysRename(const char* from, const char* to) { return rename(from, to); }
int RealFileSystem::SysLink(const char* from, const char* to) { return link(from, to); }

// ---- reads ----

std::optional<std::string> RealFileSystem::ReadFile(const std::string& path, FsStatus* status) {
  // O_NONBLOCK: a FIFO planted at a store path must not hang us in open().
  const int fd = SysOpen(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0) {
    Fail(status, errno, "cannot open", path);
    return std::nullopt;
  }
  struct stat st{};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    CloseFd(fd);
    Fail(status, err, "cannot stat", path);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    CloseFd(fd);
    Fail(status, S_ISDIR(st.st_mode) ? EISDIR : EINVAL, "not a regular file:", path);
    return std::nullopt;
  }
  std::string data;
  char buf[16384];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      CloseFd(fd);
      Fail(status, err, "cannot read", path);
      return std::nullopt;
    }
    if (n == 0) break;
    if (data.size() + static_cast<std::size_t>(n) > kMaxReadBytes) {
      CloseFd(fd);
      Fail(status, EFBIG, "file too large:", path);
      return std::nullopt;
    }
    data.append(buf, static_cast<std::size_t>(n));
  }
  CloseFd(fd);
  if (status != nullptr) *status = FsStatus{};
  return data;
}

std::optional<std::vector<std::string>> RealFileSystem::ListDir(const std::string& dir, FsStatus* status) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    Fail(status, errno, "cannot list", dir);
    return std::nullopt;
  }
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = readdir(d)) {
    const std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  const int err = errno;
  closedir(d);
  if (err != 0) {
    Fail(status, err, "cannot list", dir);
    return std::nullopt;
  }
  if (status != nullptr) *status = FsStatus{};
  return names;
}

std::optional<int64_t> RealFileSystem::ModifiedTimeMs(const std::string& path, FsStatus* status) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) {
    Fail(status, errno, "cannot stat", path);
    return std::nullopt;
  }
  if (status != nullptr) *status = FsStatus{};
#ifdef __APPLE__
  const struct timespec& t = st.st_mtimespec;
#else
  const struct timespec& t = st.st_mtim;
#endif
  return static_cast<int64_t>(t.tv_sec) * 1000 + static_cast<int64_t>(t.tv_nsec) / 1000000;
}

// ---- writes ----

std::optional<std::string> RealFileSystem::WriteTempFile(const std::string& path, std::string_view data,
                                                         int mode, FsStatus* status) {
  const long pid = static_cast<long>(getpid());
  const int64_t ms = NowMs();
  std::string tmp;
  int fd = -1;
  // Two writes of one file in the same millisecond (two threads) must not
  // share a temp file: O_EXCL refuses the second name, so try the next.
  for (int i = 0; i < 64 && fd < 0; ++i) {
    tmp = fmt::format("{}.{}.{}.tmp", path, pid, ms + i);
    fd = SysOpen(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    Fail(status, errno, "cannot create", tmp);
    return std::nullopt;
  }
  // The umask may have removed bits we want or (with a permissive mode
  // argument) we may want fewer: make the mode exact.
  (void)fchmod(fd, static_cast<mode_t>(mode));
  int err = 0;
  std::string_view what;
  std::size_t done = 0;
  while (done < data.size()) {
    const long long n = SysWrite(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      what = "cannot write";
      break;
    }
    if (n == 0) {  // no progress and no error: treat as a full device
      err = ENOSPC;
      what = "cannot write";
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (err == 0 && SysFsync(fd) != 0) {
    err = errno;
    what = "cannot fsync";
  }
  if (CloseFd(fd) != 0 && err == 0) {  // NFS reports write-back errors here
    err = errno;
    what = "cannot close";
  }
  if (err != 0) {
    unlink(tmp.c_str());
    Fail(status, err, what, tmp);
    return std::nullopt;
  }
  return tmp;
}

bool RealFileSystem::WriteFileAtomic(const std::string& path, std::string_view data, FsStatus* status,
                                     int mode) {
  const std::optional<std::string> tmp = WriteTempFile(path, data, mode, status);
  if (!tmp) return false;
  if (SysRename(tmp->c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp->c_str());
    Fail(status, err, "cannot rename over", path);
    return false;
  }
  SyncDir(DirName(path));
  if (status != nullptr) *status = FsStatus{};
  return true;
}

bool RealFileSystem::CreateExclusive(const std::string& path, std::string_view data, FsStatus* status) {
  const std::optional<std::string> tmp = WriteTempFile(path, data, 0600, status);
  if (!tmp) return false;
  if (SysLink(tmp->c_str(), path.c_str()) == 0) {
    unlink(tmp->c_str());
    SyncDir(DirName(path));
    if (status != nullptr) *status = FsStatus{};
    return true;
  }
  const int link_err = errno;
  unlink(tmp->c_str());
  if (!LinkUnsupported(link_err)) {
    if (status != nullptr) {
      status->Set(link_err, link_err == EEXIST ? fmt::format("{} exists", path)
                                               : fmt::format("cannot create {}: {}", path, ErrnoText(link_err)));
    }
    return false;
  }
  // No hard links here: create in place. A reader may briefly see the file
  // empty, as with npm's own "wx" write.
  const int fd = SysOpen(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    if (status != nullptr) {
      status->Set(err, err == EEXIST ? fmt::format("{} exists", path)
                                     : fmt::format("cannot create {}: {}", path, ErrnoText(err)));
    }
    return false;
  }
  (void)fchmod(fd, 0600);
  int err = 0;
  std::size_t done = 0;
  while (done < data.size()) {
    const long long n = SysWrite(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : ENOSPC;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (err == 0 && SysFsync(fd) != 0) err = errno;
  if (CloseFd(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    unlink(path.c_str());
    Fail(status, err, "cannot write", path);
    return false;
  }
  if (status != nullptr) *status = FsStatus{};
  return true;
}

bool RealFileSystem::Rename(const std::string& from, const std::string& to, FsStatus* status) {
  if (SysRename(from.c_str(), to.c_str()) != 0) {
    Fail(status, errno, "cannot rename", from);
    return false;
  }
  if (status != nullptr) *status = FsStatus{};
  return true;
}

bool RealFileSystem::Remove(const std::string& path, FsStatus* status) {
  if (unlink(path.c_str()) != 0) {
    Fail(status, errno, "cannot remove", path);
    return false;
  }
  if (status != nullptr) *status = FsStatus{};
  return true;
}

bool RealFileSystem::MakeDirs(const std::string& path, FsStatus* status, int mode) {
  if (path.empty()) {
    Fail(status, ENOENT, "cannot create directory", path);
    return false;
  }
  for (std::size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    if (path[i - 1] == '/') continue;  // "//" or the root
    const std::string prefix = path.substr(0, i);
    if (mkdir(prefix.c_str(), static_cast<mode_t>(mode)) == 0) {
      (void)chmod(prefix.c_str(), static_cast<mode_t>(mode));  // exact, whatever the umask
      continue;
    }
    if (errno == EEXIST) continue;
    Fail(status, errno, "cannot create directory", prefix);
    return false;
  }
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) {
    Fail(status, errno, "cannot stat", path);
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    Fail(status, ENOTDIR, "cannot create directory", path);
    return false;
  }
  if (status != nullptr) *status = FsStatus{};
  return true;
}

// ---- processes ----

bool RealFileSystem::ProcessAlive(int64_t pid) {
  if (pid <= 0 || pid > INT_MAX) return false;  // kill(0 or -n) would address a process group
  if (kill(static_cast<pid_t>(pid), 0) == 0) return true;
  return errno == EPERM;
}

int64_t RealFileSystem::CurrentPid() { return static_cast<int64_t>(getpid()); }

}  // namespace mcpr
