// Logging. stdout carries the MCP protocol only, so every log line goes to
// stderr (and, with --debug, is appended to <store>/<hash>_debug.log, 0600
// in a 0700 directory), in mcp-remote's formats (§1.12):
//   Info/Warn/Error: "[<pid>] <message>" on stderr unless --silent
//   Debug (only with --debug): "[<ISO-8601 UTC ms>][<pid>] <message>" on
//          stderr and in the debug file. Info/Warn/Error lines also go to
//          the debug file when it is open.
// Never pass a token, secret or header value to these functions: callers
// log header NAMES only. Writes are best-effort and never throw; a full
// disk or a closed stderr does not stop the proxy.
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <string_view>

namespace mcpr {

class Logger {
 public:
  Logger();
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void set_silent(bool silent) { silent_ = silent; }
  void set_debug(bool debug) { debug_ = debug; }
  bool debug() const { return debug_; }

  /// Opens (appends to) the debug log; creates parent dirs 0700, file 0600.
  /// Returns false (and logs a warning) if it cannot.
  bool OpenDebugFile(const std::string& path);

  template <typename... Args>
  void Info(fmt::format_string<Args...> f, Args&&... args) {
    if (!silent_ || file_) Write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void Warn(fmt::format_string<Args...> f, Args&&... args) {
    if (!silent_ || file_) Write(Level::kWarn, fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void Error(fmt::format_string<Args...> f, Args&&... args) {
    Write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void Debug(fmt::format_string<Args...> f, Args&&... args) {
    if (debug_) Write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
  }

  /// For tests: capture lines instead of writing to stderr.
  void CaptureForTest(std::string* sink) { capture_ = sink; }

 private:
  enum class Level { kDebug, kInfo, kWarn, kError };
  void Write(Level level, std::string_view message);

  bool silent_ = false;
  bool debug_ = false;
  std::FILE* file_ = nullptr;
  std::string* capture_ = nullptr;
  long pid_ = 0;
};

}  // namespace mcpr
