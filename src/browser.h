// Opening the authorization URL in the user's browser, without a shell
// (engineering-style §2.8: mcp-remote < 0.1.16 handed a server-chosen URL to
// `open`, which went through PowerShell on Windows: CVE-2025-6514, RCE).
//
// OpenBrowser:
//   1. The URL must pass ValidateBrowserUrl (oauth_messages.h): https, or
//      http to a loopback host; RFC 3986 characters only (no controls,
//      spaces, quotes, backticks, '<' '>' '\' '^' '{' '}' '|'); no userinfo;
//      parsed with CURLU and re-serialized. Only the re-serialized string is
//      logged and passed on. A rejected URL is neither logged (it may hold
//      terminal escapes) nor opened.
//   2. It is ALWAYS logged first ("Please authorize this client by
//      visiting:" then the URL on its own line, npm's wording), so a
//      headless user can copy it even when no browser starts.
//   3. Opener: $BROWSER if set and non-empty, run as ONE program (a name
//      looked up in PATH, or a path) with the URL as its only argument.
//      The value is never split: "open -a Safari" or "firefox %s" name a
//      program with that exact (odd) name and will fail to spawn; wrap such
//      commands in a script. If $BROWSER cannot be spawned, the platform
//      list follows: macOS /usr/bin/open; elsewhere xdg-open, `gio open`,
//      x-www-browser, sensible-browser, each tried until one spawns.
//      "Spawned" is the success criterion (npm also counts a helper still
//      running after 500 ms; we do not block the loop to find out).
//   4. posix_spawnp with argv = {program, [sub-command,] url}; no shell
//      ever sees the URL. The child gets stdin and stdout on /dev/null
//      (stdout is our MCP protocol channel: a chatty helper must never write
//      into it), keeps stderr (our log channel), starts a new session
//      (Ctrl-C in the host's terminal does not kill the browser), has the
//      default signal mask and dispositions, and inherits no descriptor
//      above 2 (closefrom on glibc >= 2.34, POSIX_SPAWN_CLOEXEC_DEFAULT on
//      macOS; our own sockets are close-on-exec anyway), so a browser
//      started by us can never keep the callback port bound after we exit.
//   5. Reaping, without SIGCHLD and without blocking: each child pid is
//      recorded; when `loop` is given, a timer polls waitpid(pid, WNOHANG)
//      (100 ms, doubling up to 30 s) until the child is reaped. Without a
//      loop, finished children are reaped at the next OpenBrowser call or
//      ReapBrowserChildren(). (Double-forking was rejected: fork() in a
//      process with libcurl's resolver threads is not async-signal-safe
//      territory, and it would hide exec failures.)
// BrowserBroker (for a confined process, sandbox.h): Start() forks a helper
// BEFORE confinement. The helper keeps stderr, puts stdin and stdout on
// /dev/null, closes every other descriptor, ignores SIGINT/SIGHUP (it lives
// exactly as long as its socket: EOF from the proxy, or the proxy's death,
// which PR_SET_PDEATHSIG also turns into SIGKILL on Linux), lets the kernel
// reap the openers it starts (SIGCHLD ignored), and loops: receive one URL
// (a SOCK_SEQPACKET datagram "<seq> <url>", at most 16 KiB + 64), validate it AGAIN with
// ValidateBrowserUrl (the helper trusts nothing from the confined side),
// spawn the opener list of step 3 exactly as above, and answer "<seq> ok
// <program>" or "<seq> error <why>". Open() sends without blocking (a stuck
// helper makes it fail, never the loop hang) and waits at most 5 s for the
// answer with its own sequence number (late ones are skipped), without the
// event loop (spawning is quick; a helper that does not answer is reported
// as an error and the URL has already been logged for the user).
// Never throws. Windows would be browser-win32.cc: ShellExecuteW after the
// same validation (ShellExecute dispatches any registered protocol, so the
// scheme check matters even more there).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "event_loop.h"
#include "log.h"

namespace mcpr {

/// Validates, logs and opens `url`. Returns true if an opener was spawned;
/// false with *err (if non-null) set when the URL was rejected or no opener
/// could be started (the URL has then still been logged, unless rejected).
/// `loop`, if given, must outlive the spawned child's reaping timer (it
/// does when it is the proxy's one loop).
bool OpenBrowser(std::string_view url, Logger& log, std::string* err, EventLoop* loop = nullptr);

class BrowserBroker;

/// Like OpenBrowser above, but the opener is spawned by `broker`'s helper
/// process when `broker` is non-null (a confined process cannot exec).
bool OpenBrowser(std::string_view url, Logger& log, std::string* err, EventLoop* loop, BrowserBroker* broker);

class BrowserBroker {
 public:
  /// Forks the helper. Call while the process is still single-threaded and
  /// unconfined. nullptr (and *err) if it cannot be started.
  static std::unique_ptr<BrowserBroker> Start(std::string* err);
  /// Closes the socket, kills the helper and reaps it (browsers it started
  /// are in their own sessions and live on).
  ~BrowserBroker();
  BrowserBroker(const BrowserBroker&) = delete;
  BrowserBroker& operator=(const BrowserBroker&) = delete;

  /// Asks the helper to open `safe_url` (already validated and logged).
  /// True if an opener was spawned; *opener names it. False with *err.
  bool Open(std::string_view safe_url, std::string* opener, std::string* err);

  int helper_pid() const { return pid_; }

 private:
  BrowserBroker(int fd, int pid) : fd_(fd), pid_(pid) {}
  int fd_;
  int pid_;
  unsigned long long seq_ = 0;
};

/// Reaps finished opener children (non-blocking). Returns how many are
/// still running (not yet reaped).
std::size_t ReapBrowserChildren();

/// How many opener children have not been reaped yet (does not reap).
std::size_t BrowserChildrenPending();

}  // namespace mcpr
