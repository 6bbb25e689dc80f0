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
#include <chrono>
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
  for (int sig : {SIGPIPE, SIGXFSZ, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2})
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

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0  // macOS: SIGPIPE is ignored process-wide (host_io.h)
#endif

// One datagram each way: "<seq> <url>" and "<seq> ok <program>" or
// "<seq> error <why>". The sequence number lets Open() skip an answer that
// arrives after its own deadline. URLs up to oauth_messages' 16 KiB cap fit.
constexpr std::size_t kMaxBrokerMessage = 16 * 1024 + 64;
constexpr int kBrokerAnswerMs = 5000;

// "<seq> <rest>" -> seq and rest; false if malformed.
bool SplitSeq(std::string_view msg, unsigned long long* seq, std::string_view* rest) {
  const std::size_t sp = msg.find(' ');
  if (sp == 0 || sp == std::string_view::npos || sp > 20) return false;
  unsigned long long v = 0;
  for (char c : msg.substr(0, sp)) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned long long>(c - '0');
  }
  *seq = v;
  *rest = msg.substr(sp + 1);
  return true;
}

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
  fcntl(3, F_SETFD, FD_CLOEXEC);  // dup2 cleared it; openers must not inherit the socket
#if defined(__linux__)
  if (close_range(4, ~0U, 0) != 0)
#endif
    for (int fd = 4; fd < 1024; ++fd) close(fd);
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
    unsigned long long seq = 0;
    std::string_view url;
    if (static_cast<std::size_t>(n) > kMaxBrokerMessage ||
        !SplitSeq(std::string_view(buf.data(), static_cast<std::size_t>(n)), &seq, &url)) {
      continue;  // not from our proxy's code; nothing sensible to answer
    }
    std::string answer = std::to_string(seq) + " ";
    std::string safe, why;
    if (!ValidateBrowserUrl(url, /*allow_http_loopback=*/true, &why, &safe)) {
      answer += "error the authorization URL was rejected: " + why;
    } else {
      pid_t pid = -1;
      std::string opener, failures;
      answer += SpawnOpeners(safe, &pid, &opener, &failures)
                    ? "ok " + opener
                    : "error no browser opener could be started (" + failures + ")";
    }
    if (answer.size() > kMaxBrokerMessage) answer.resize(kMaxBrokerMessage);
    (void)send(3, answer.data(), answer.size(), MSG_NOSIGNAL);
  }
}

}  // namespace

std::unique_ptr<BrowserBroker> BrowserBroker::Start(std::string* err) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) {
    if (err) *err = std::string("socketpair: ") + std::strerror(errno);
    return nullptr;
  }
  fcntl(sv[0], F_SETFD, FD_CLOEXEC);
  fcntl(sv[1], F_SETFD, FD_CLOEXEC);
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
  // The helper's work is over (a browser it started lives on in its own
  // session). Kill and reap it now, so that a library user's long-lived
  // process keeps no zombie.
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

bool BrowserBroker::Open(std::string_view safe_url, std::string* opener, std::string* err) {
  auto fail = [err](std::string why) {
    if (err) *err = std::move(why);
    return false;
  };
  const unsigned long long seq = ++seq_;
  const std::string request = std::to_string(seq) + " " + std::string(safe_url);
  if (request.size() > kMaxBrokerMessage) return fail("the authorization URL is too long");
  ssize_t sent;
  do {
    sent = send(fd_, request.data(), request.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return fail("the browser helper is busy");
  if (sent < 0) return fail(std::string("the browser helper is gone (") + std::strerror(errno) + ")");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBrokerAnswerMs);
  std::string answer(kMaxBrokerMessage, '\0');
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return fail("the browser helper did not answer within 5 s");
    pollfd p{fd_, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return fail("the browser helper did not answer within 5 s");
    const ssize_t n = recv(fd_, answer.data(), answer.size(), MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) return fail("the browser helper is gone");
    unsigned long long got = 0;
    std::string_view rest;
    if (!SplitSeq(std::string_view(answer.data(), static_cast<std::size_t>(n)), &got, &rest)) continue;
    if (got != seq) continue;  // a late answer to an earlier request
    if (rest.rfind("ok ", 0) == 0) {
      if (opener) *opener = std::string(rest.substr(3));
      return true;
    }
    return fail(rest.rfind("error ", 0) == 0 ? std::string(rest.substr(6)) : "the browser helper answered nonsense");
  }
}

}  // namespace mcpr
