// log.h. Each record is formatted into one string and written with a single
// fwrite, then flushed, so lines from concurrent writers (or from several
// mcp-remote processes appending to the same debug log) do not interleave
// within a line.
#include "log.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>

#ifdef _WIN32
#include <direct.h>
#include <io.h>
#include <process.h>
#else
#include <unistd.h>
#endif

namespace mcpr {

namespace {

// JS `new Date().toISOString()`: 2026-11-24T16:30:00.123Z (UTC, ms).
std::string IsoTimestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  long millis = static_cast<long>(ms % 1000);
  if (millis < 0) {  // before 1970: floor, as JS does
    millis += 1000;
    --secs;
  }
  std::tm tm{};
#ifdef _WIN32
  gmtime_s(&tm, &secs);
#else
  gmtime_r(&secs, &tm);
#endif
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

bool IsSeparator(char c) {
#ifdef _WIN32
  return c == '/' || c == '\\';
#else
  return c == '/';
#endif
}

int MakeDir(const std::string& path) {
#ifdef _WIN32
  return _mkdir(path.c_str());
#else
  return mkdir(path.c_str(), 0700);
#endif
}

// mkdir -p with mode 0700 for every directory it creates (like Node's
// mkdirSync(dir, {recursive: true, mode: 0o700})). Existing directories
// are left as they are. Returns 0 or an errno value.
int MakeParentDirs(const std::string& file_path) {
  std::size_t end = file_path.size();
  while (end > 0 && !IsSeparator(file_path[end - 1])) --end;
  while (end > 1 && IsSeparator(file_path[end - 1])) --end;
  if (end == 0) return 0;  // relative file name, no directory part
  const std::string dir = file_path.substr(0, end);
  for (std::size_t i = 1; i <= dir.size(); ++i) {
    if (i != dir.size() && !IsSeparator(dir[i])) continue;
    if (IsSeparator(dir[i - 1])) continue;  // "//" or a root
    const std::string prefix = dir.substr(0, i);
    if (MakeDir(prefix) != 0 && errno != EEXIST) return errno;
  }
  struct stat st{};
  if (stat(dir.c_str(), &st) != 0) return errno;
  if ((st.st_mode & S_IFMT) != S_IFDIR) return ENOTDIR;
  return 0;
}

std::FILE* OpenAppendPrivate(const std::string& path, int* err) {
#ifdef _WIN32
  std::FILE* f = std::fopen(path.c_str(), "ab");
  if (f == nullptr) *err = errno;
  return f;
#else
  const int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    *err = errno;
    return nullptr;
  }
  // A log left behind with wider permissions (older versions, a hand-made
  // file) is tightened: it may contain server URLs and tool names.
  struct stat st{};
  if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) fchmod(fd, 0600);
  std::FILE* f = fdopen(fd, "a");
  if (f == nullptr) {
    *err = errno;
    close(fd);
  }
  return f;
#endif
}

}  // namespace

Logger::Logger() {
#ifdef _WIN32
  pid_ = static_cast<long>(_getpid());
#else
  pid_ = static_cast<long>(getpid());
#endif
}

Logger::~Logger() {
  if (file_ != nullptr) std::fclose(file_);
}

bool Logger::OpenDebugFile(const std::string& path) {
  if (file_ != nullptr) {
    std::fclose(file_);
    file_ = nullptr;
  }
  int err = MakeParentDirs(path);
  if (err == 0) {
    file_ = OpenAppendPrivate(path, &err);
    if (file_ != nullptr) return true;
  }
  Warn("Could not open the debug log {}: {}", path, std::strerror(err));
  return false;
}

void Logger::Write(Level level, std::string_view message) {
  const bool to_stderr = level == Level::kDebug || !silent_;
  const bool plain = level != Level::kDebug;
  std::string stamped;
  if (level == Level::kDebug || file_ != nullptr) {
    stamped = fmt::format("[{}][{}] {}\n", IsoTimestamp(), pid_, message);
  }
  if (to_stderr) {
    const std::string line = plain ? fmt::format("[{}] {}\n", pid_, message) : stamped;
    if (capture_ != nullptr) {
      capture_->append(line);
    } else {
      std::fwrite(line.data(), 1, line.size(), stderr);
      std::fflush(stderr);
    }
  }
  if (file_ != nullptr) {
    std::fwrite(stamped.data(), 1, stamped.size(), file_);
    std::fflush(file_);
  }
}

}  // namespace mcpr
