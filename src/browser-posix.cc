// POSIX browser opener (see browser.h): posix_spawnp, never a shell.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif
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

// Spawns the first opener of browser.h step 3 that starts. `failures`
// collects "program: reason" for the ones that did not.
static bool SpawnOpeners(const std::string& safe, pid_t* pid, std::string* opener, std::string* failures) {
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
  for (const auto& args : openers) {
    const int rc = Spawn(args, pid);
    if (rc == 0) {
      *opener = args[0];
      return true;
    }
    if (!failures->empty()) *failures += ", ";
    *failures += args[0] + ": " + std::strerror(rc);
  }
  return false;
}

bool OpenBrowser(std::string_view url, Logger& log, std::string* err, EventLoop* loop) {
  return OpenBrowser(url, log, err, loop, nullptr);
}

bool OpenBrowser(std::string_view url, Logger& log, std::string* err, EventLoop* loop, BrowserBroker* broker) {
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

  std::string opener, failures;
  if (broker != nullptr) {
    if (!broker->Open(safe, &opener, &failures)) return fail(failures);
    log.Debug("The browser helper started {} to open the browser", opener);
    return true;
  }
  pid_t pid = -1;
  if (SpawnOpeners(safe, &pid, &opener, &failures)) {
    Children().push_back(pid);
    if (loop) ScheduleReap(loop, pid, kFirstReap);
    log.Debug("Started {} to open the browser", opener);
    return true;
  }
  log.Debug("Could not start a browser opener ({})", failures);
  return fail("no browser opener could be started (" + failures + ")");
}

// ----------------------------------------------------------------- broker

namespace {

constexpr std::size_t kMaxBrokerMessage = 8192;
constexpr int kBrokerAnswerMs = 5000;

[[noreturn]] void RunBrokerHelper(int sock) {
#if defined(__linux__)
  prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
  // Descriptors: stdin/stdout on /dev/null, stderr kept, the socket on 3.
  const int null_fd = open("/dev/null", O_RDWR);
  if (null_fd >= 0) {
    dup2(null_fd, 0);
    dup2(null_fd, 1);
  }
  if (sock != 3) {
    if (dup2(sock, 3) < 0) _exit(1);
  }
  for (int fd = 4; fd < 1024; ++fd) close(fd);  // bounded: we fork early, few are open
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGCHLD, SIG_IGN);  // openers are reaped by the kernel
  signal(SIGPIPE, SIG_IGN);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  std::string buf(kMaxBrokerMessage + 1, '\0');
  for (;;) {
    const ssize_t n = recv(3, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(0);  // the proxy closed its end or died
    std::string answer;
    std::string safe, why;
    if (static_cast<std::size_t>(n) > kMaxBrokerMessage) {
      answer = "error the URL is too long";
    } else if (!ValidateBrowserUrl(std::string_view(buf.data(), static_cast<std::size_t>(n)),
                                   /*allow_http_loopback=*/true, &why, &safe)) {
      answer = "error the authorization URL was rejected: " + why;
    } else {
      pid_t pid = -1;
      std::string opener, failures;
      answer = SpawnOpeners(safe, &pid, &opener, &failures) ? "ok " + opener
                                                            : "error no browser opener could be started (" + failures + ")";
    }
    if (answer.size() > kMaxBrokerMessage) answer.resize(kMaxBrokerMessage);
    (void)send(3, answer.data(), answer.size(), MSG_NOSIGNAL);
  }
}

}  // namespace

std::unique_ptr<BrowserBroker> BrowserBroker::Start(std::string* err) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    if (err) *err = std::string("socketpair: ") + std::strerror(errno);
    return nullptr;
  }
  const pid_t pid = fork();
  if (pid < 0) {
    if (err) *err = std::string("fork: ") + std::strerror(errno);
    close(sv[0]);
    close(sv[1]);
    return nullptr;
  }
  if (pid == 0) {
    close(sv[0]);
    RunBrokerHelper(sv[1]);
  }
  close(sv[1]);
  return std::unique_ptr<BrowserBroker>(new BrowserBroker(sv[0], pid));
}

BrowserBroker::~BrowserBroker() {
  if (fd_ >= 0) close(fd_);
  int status = 0;
  (void)waitpid(pid_, &status, WNOHANG);  // gone already? reap; else init will
}

bool BrowserBroker::Open(std::string_view safe_url, std::string* opener, std::string* err) {
  auto fail = [err](std::string why) {
    if (err) *err = std::move(why);
    return false;
  };
  if (safe_url.size() > kMaxBrokerMessage) return fail("the authorization URL is too long");
  // Drop a stale answer (from a request that timed out) before asking again.
  char stale[kMaxBrokerMessage];
  while (recv(fd_, stale, sizeof stale, MSG_DONTWAIT) > 0) {
  }
  ssize_t sent;
  do {
    sent = send(fd_, safe_url.data(), safe_url.size(), MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return fail(std::string("the browser helper is gone (") + std::strerror(errno) + ")");
  pollfd p{fd_, POLLIN, 0};
  int ready;
  do {
    ready = poll(&p, 1, kBrokerAnswerMs);
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) return fail("the browser helper did not answer within 5 s");
  std::string answer(kMaxBrokerMessage, '\0');
  const ssize_t n = recv(fd_, answer.data(), answer.size(), 0);
  if (n <= 0) return fail("the browser helper is gone");
  answer.resize(static_cast<std::size_t>(n));
  if (answer.rfind("ok ", 0) == 0) {
    if (opener) *opener = answer.substr(3);
    return true;
  }
  return fail(answer.rfind("error ", 0) == 0 ? answer.substr(6) : "the browser helper answered nonsense");
}

}  // namespace mcpr
