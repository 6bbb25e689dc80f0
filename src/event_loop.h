// EventLoop: the proxy's one thread.
//
// Design: everything runs on one thread that sleeps in curl_multi_poll() on
// every socket libcurl uses plus our own descriptors (stdin, the signal
// self-pipe, later the OAuth callback listener), with a timeout equal to the
// nearest of our timers (libcurl folds in its own). Many HTTP transfers are
// in flight at once (a slow tool call never blocks a fast one) without a
// thread per request, and an idle proxy sleeps in poll() until a byte
// arrives or a deadline is due: no busy polling.
//
// Callbacks (timers, fd readiness, posted tasks, HTTP completions) always
// run from Run(), never from inside a libcurl callback, so they may freely
// start or cancel transfers and timers.
//
// Windows (event_loop-win32.cc, not written yet): stdin is a pipe that
// cannot be polled with sockets, so a reader thread queues chunks and calls
// curl_multi_wakeup(); the rest of this interface is unchanged.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

namespace mcpr {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using Millis = std::chrono::milliseconds;

class EventLoop {
 public:
  using TimerId = std::uint64_t;
  using Task = std::function<void()>;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  CURLM* multi() const { return multi_; }
  TimePoint Now() const { return SteadyClock::now(); }

  /// Runs `fn` once after `delay`. Returns an id for CancelTimer.
  TimerId AddTimer(Millis delay, Task fn);
  void CancelTimer(TimerId id);

  /// Calls `on_ready` whenever `fd` is readable (or hung up / in error).
  void WatchFd(int fd, Task on_ready);
  void UnwatchFd(int fd);

  /// Runs `fn` on the next iteration of the loop.
  void Post(Task fn);

  /// Called after each curl_multi_perform() so the HTTP client can hand out
  /// completions and body bytes. One hook (the HTTP client sets it).
  void SetCurlHook(Task hook) { curl_hook_ = std::move(hook); }

  /// Wakes the loop from another thread (for Windows stdin, embedders).
  void Wakeup();

  /// Loops until Stop(). Returns false if libcurl reported a fatal error.
  bool Run();
  void Stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }

 private:
  int NextTimeoutMs() const;
  void RunDueTimers();

  CURLM* multi_ = nullptr;
  bool stopped_ = false;
  TimerId next_timer_id_ = 1;
  // Ordered by deadline, then id: the first entry is the next to fire.
  std::map<std::pair<TimePoint, TimerId>, Task> timers_;
  std::map<TimerId, TimePoint> timer_deadlines_;
  std::map<int, Task> fds_;
  std::vector<Task> posted_;
  Task curl_hook_;
};

}  // namespace mcpr
