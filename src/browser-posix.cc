// POSIX browser opener (see browser.h): posix_spawnp, never a shell.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "browser.h"
#include "oauth_messages.h"

extern char** environ;

namespace mcpr {
namespace {

constexpr Millis kFirstReap{100};
constexpr Millis kMaxReapInterval{30000};

// Opener children not reaped yet. The proxy is single-threaded.
std::vector<pid_t>& Children() {
  static std::vector<pid_t> children;
  return children;
}

void Forget(pid_t pid) {
  auto& c = Children();
  c.erase(std::remove(c.begin(), c.end(), pid), c.end());
}

// True once `pid` is gone: reaped now, or already (ECHILD: someone set
// SIGCHLD to SIG_IGN or reaped it for us).
bool TryReap(pid_t pid) {
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return true;
    if (r == 0) return false;
    if (errno == EINTR) continue;
    return true;
  }
}

void ScheduleReap(EventLoop* loop, pid_t pid, Millis delay) {
  loop->AddTimer(delay, [loop, pid, delay] {
    auto& c = Children();
    if (std::find(c.begin(), c.end(), pid) == c.end()) return;  // reaped elsewhere
    if (TryReap(pid)) {
      Forget(pid);
      return;
    }
    ScheduleReap(loop, pid, std::min<Millis>(delay * 2, kMaxReapInterval));
  });
}

// RAII for the spawn attribute objects.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  bool ok = false;

  SpawnSetup() {
    if (posix_spawn_file_actions_init(&actions) != 0) return;
    if (posix_spawnattr_init(&attr) != 0) {
      posix_spawn_file_actions_destroy(&actions);
      return;
    }
    ok = true;
  }
  ~SpawnSetup() {
    if (!ok) return;
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// Starts args[0] (PATH lookup unless it contains '/') with argv = args.
// Returns 0 or an errno value.
int Spawn(const std::vector<std::string>& args, pid_t* pid) {
  SpawnSetup s;
  if (!s.ok) return ENOMEM;
  // stdin and stdout to /dev/null: stdout is the MCP protocol channel.
  int rc = posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0);
  if (rc == 0) rc = posix_spawn_file_actions_addopen(&s.actions, 1, "/dev/null", O_WRONLY, 0);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&s.actions, 3);
#endif
#if defined(__APPLE__)
  if (rc == 0) rc = posix_spawn_file_actions_addinherit_np(&s.actions, 2);
#endif
  if (rc != 0) return rc;

  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
#if defined(POSIX_SPAWN_SETSID)
  flags |= POSIX_SPAWN_SETSID;
#else
  flags |= POSIX_SPAWN_SETPGROUP;
  posix_spawnattr_setpgroup(&s.attr, 0);
#endif
#if defined(__APPLE__)
  flags |= POSIX_SPAWN_CLOEXEC_DEFAULT;
#endif
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&s.attr, &none);
  // Signals we may ignore or handle go back to their defaults in the child.
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2})
    sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&s.attr, &defaults);
  posix_spawnattr_setflags(&s.attr, flags);

  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return posix_spawnp(pid, argv[0], &s.actions, &s.attr, argv.data(), environ);
}

}  // namespace

std::size_t ReapBrowserChildren() {
  auto& c = Children();
  c.erase(std::remove_if(c.begin(), c.end(), [](pid_t pid) { return TryReap(pid); }), c.end());
  return c.size();
}

std::size_t BrowserChildrenPending() { return Children().size(); }

bool OpenBrowser(std::string_view url, Logger& log, std::string* err, EventLoop* loop) {
  auto fail = [err](std::string why) {
    if (err) *err = std::move(why);
    return false;
  };
  ReapBrowserChildren();
  std::string safe, why;
  if (!ValidateBrowserUrl(url, /*allow_http_loopback=*/true, &why, &safe)) {
    log.Error("Refusing to open the authorization URL in a browser: {}", why);
    return fail("the authorization URL was rejected: " + why);
  }
  log.Info("\nPlease authorize this client by visiting:\n{}\n", safe);

  std::vector<std::vector<std::string>> openers;
  if (const char* browser = std::getenv("BROWSER"); browser != nullptr && *browser != '\0')
    openers.push_back({browser, safe});  // one program, never split (browser.h)
#if defined(__APPLE__)
  openers.push_back({"/usr/bin/open", safe});
#else
  openers.push_back({"xdg-open", safe});
  openers.push_back({"gio", "open", safe});
  openers.push_back({"x-www-browser", safe});
  openers.push_back({"sensible-browser", safe});
#endif
  std::string tried;
  for (const auto& args : openers) {
    pid_t pid = -1;
    const int rc = Spawn(args, &pid);
    if (rc == 0) {
      Children().push_back(pid);
      if (loop) ScheduleReap(loop, pid, kFirstReap);
      log.Debug("Started {} to open the browser", args[0]);
      return true;
    }
    log.Debug("Could not start {}: {}", args[0], std::strerror(rc));
    if (!tried.empty()) tried += ", ";
    tried += args[0];
  }
  return fail("no browser opener could be started (tried " + tried + ")");
}

}  // namespace mcpr
