// FileSystem: the seam between the token store and the disk (ninja's
// DiskInterface idea). TokenStore talks only to this interface, so tests can
// run it against an in-memory fake that fails on demand (full disk,
// read-only directory) and against the real implementation in a temp dir.
//
// Contracts every implementation keeps:
//  - WriteFileAtomic never exposes a partial file: readers see the old
//    contents or the new ones. The data goes to `<path>.<pid>.<ms>.tmp`
//    (created O_CREAT|O_EXCL|O_CLOEXEC, mode 0600), is written in full,
//    fsync'ed, then rename(2)d over `path`. On any failure the temp file is
//    unlinked and `path` keeps its previous contents. The temp name is the
//    one npm mcp-remote uses; a crash can still leave one behind, which
//    TokenStore::SweepStale (and, for flow files, npm's sweep) removes.
//  - CreateExclusive creates `path` only if it does not exist, with its
//    full contents visible at once: the data is written to a private temp
//    file which is then link(2)ed to `path` (EEXIST if it exists). npm opens
//    the lease with flag "wx" and writes afterwards, so a reader can catch
//    npm's file empty; ours is never seen half-written. Where hard links are
//    unsupported it falls back to O_EXCL + write.
//  - Every file created is 0600 and every directory MakeDirs creates is 0700,
//    regardless of the umask's group/other bits.
//  - Nothing throws. Failures come back as false/nullopt plus an FsStatus
//    holding errno and a message with the path (never file contents).
//
// RealFileSystem is POSIX (filesystem-posix.cc). Its system calls go through
// protected virtual Sys* hooks so tests can inject ENOSPC, EROFS or a failing
// rename into the real write path (fmt's posix-mock-test idea). A Windows port
// implements the same class in filesystem-win32.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcpr {

/// Why an operation failed: errno (0 = success) and a one-line message that
/// names the path and the reason.
struct FsStatus {
  int err_no = 0;
  std::string message;

  bool ok() const { return err_no == 0; }
  bool not_found() const;  // ENOENT
  bool exists() const;     // EEXIST
  void Set(int err, std::string msg) {
    err_no = err;
    message = std::move(msg);
  }
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  /// Whole contents of a regular file, or nullopt (status->not_found() when
  /// it simply does not exist). Files larger than kMaxReadBytes are refused.
  virtual std::optional<std::string> ReadFile(const std::string& path, FsStatus* status) = 0;

  /// Atomically replaces `path` with `data` (see the contract above).
  virtual bool WriteFileAtomic(const std::string& path, std::string_view data, FsStatus* status,
                               int mode = 0600) = 0;

  /// Creates `path` holding `data` only if it does not exist yet. On
  /// failure status->exists() tells "someone else has it" from real errors.
  virtual bool CreateExclusive(const std::string& path, std::string_view data, FsStatus* status) = 0;

  /// rename(2): atomically replaces `to`.
  virtual bool Rename(const std::string& from, const std::string& to, FsStatus* status) = 0;

  /// unlink(2). A missing file is a failure with status->not_found().
  virtual bool Remove(const std::string& path, FsStatus* status) = 0;

  /// Names (not paths) of the entries of `dir`, without "." and "..".
  virtual std::optional<std::vector<std::string>> ListDir(const std::string& dir, FsStatus* status) = 0;

  /// mkdir -p; every directory it creates gets `mode`. Existing ones are
  /// left alone. Fails with ENOTDIR if `path` exists and is not a directory.
  virtual bool MakeDirs(const std::string& path, FsStatus* status, int mode = 0700) = 0;

  /// mtime in ms since the epoch.
  virtual std::optional<int64_t> ModifiedTimeMs(const std::string& path, FsStatus* status) = 0;

  /// Node's process.kill(pid, 0) liveness test: true if the signal could be
  /// sent or was refused with EPERM. pid <= 0 is never alive.
  virtual bool ProcessAlive(int64_t pid) = 0;

  /// This process's id (what goes into the refresh lease).
  virtual int64_t CurrentPid() = 0;

  static constexpr std::size_t kMaxReadBytes = 16 * 1024 * 1024;
};

class RealFileSystem : public FileSystem {
 public:
  std::optional<std::string> ReadFile(const std::string& path, FsStatus* status) override;
  bool WriteFileAtomic(const std::string& path, std::string_view data, FsStatus* status,
                       int mode = 0600) override;
  bool CreateExclusive(const std::string& path, std::string_view data, FsStatus* status) override;
  bool Rename(const std::string& from, const std::string& to, FsStatus* status) override;
  bool Remove(const std::string& path, FsStatus* status) override;
  std::optional<std::vector<std::string>> ListDir(const std::string& dir, FsStatus* status) override;
  bool MakeDirs(const std::string& path, FsStatus* status, int mode = 0700) override;
  std::optional<int64_t> ModifiedTimeMs(const std::string& path, FsStatus* status) override;
  bool ProcessAlive(int64_t pid) override;
  int64_t CurrentPid() override;

 protected:
  // System-call hooks (POSIX semantics: -1 and errno on failure). Overridden
  // only by fault-injection tests.
  virtual int SysOpen(const char* path, int flags, int mode);
  virtual long long SysWrite(int fd, const void* buf, std::size_t n);
  virtual int SysFsync(int fd);
  virtual int SysRename(const char* from, const char* to);
  virtual int SysLink(const char* from, const char* to);

 private:
  /// Writes `data` to a fresh `<path>.<pid>.<ms>.tmp`; returns its name or
  /// nullopt (nothing left behind).
  std::optional<std::string> WriteTempFile(const std::string& path, std::string_view data, int mode,
                                           FsStatus* status);
};

}  // namespace mcpr
