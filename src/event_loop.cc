#include "event_loop.h"

#include <algorithm>
#include <climits>

namespace mcpr {

EventLoop::EventLoop() { multi_ = curl_multi_init(); }

EventLoop::~EventLoop() {
  if (multi_) curl_multi_cleanup(multi_);
}

EventLoop::TimerId EventLoop::AddTimer(Millis delay, Task fn) {
  TimerId id = next_timer_id_++;
  TimePoint when = Now() + delay;
  timers_.emplace(std::make_pair(when, id), std::move(fn));
  timer_deadlines_.emplace(id, when);
  return id;
}

void EventLoop::CancelTimer(TimerId id) {
  auto it = timer_deadlines_.find(id);
  if (it == timer_deadlines_.end()) return;
  timers_.erase(std::make_pair(it->second, id));
  timer_deadlines_.erase(it);
}

void EventLoop::WatchFd(int fd, Task on_ready) { fds_[fd] = std::move(on_ready); }
void EventLoop::UnwatchFd(int fd) { fds_.erase(fd); }
void EventLoop::Post(Task fn) { posted_.push_back(std::move(fn)); }
void EventLoop::Wakeup() { curl_multi_wakeup(multi_); }

int EventLoop::NextTimeoutMs() const {
  if (!posted_.empty() || stopped_) return 0;
  if (timers_.empty()) return INT_MAX;  // libcurl shortens it to its own timeouts
  auto delta = std::chrono::duration_cast<Millis>(timers_.begin()->first.first - Now()).count();
  if (delta <= 0) return 0;
  // Round up so we never wake just before a deadline and spin.
  return static_cast<int>(std::min<long long>(delta + 1, INT_MAX));
}

void EventLoop::RunDueTimers() {
  TimePoint now = Now();
  // Fire only timers due now; timers added by callbacks wait for the next turn.
  while (!timers_.empty() && timers_.begin()->first.first <= now) {
    auto node = timers_.extract(timers_.begin());
    timer_deadlines_.erase(node.key().second);
    node.mapped()();
    if (stopped_) return;
  }
}

bool EventLoop::Run() {
  std::vector<curl_waitfd> waitfds;
  std::vector<int> ready;
  while (!stopped_) {
    waitfds.clear();
    for (const auto& [fd, task] : fds_) {
      curl_waitfd w{};
      w.fd = fd;
      w.events = CURL_WAIT_POLLIN;
      waitfds.push_back(w);
    }
    int numfds = 0;
    CURLMcode mc = curl_multi_poll(multi_, waitfds.data(), static_cast<unsigned>(waitfds.size()),
                                   NextTimeoutMs(), &numfds);
    if (mc != CURLM_OK) return false;

    int running = 0;
    mc = curl_multi_perform(multi_, &running);
    if (mc != CURLM_OK) return false;
    if (curl_hook_) curl_hook_();

    ready.clear();
    for (const auto& w : waitfds)
      if (w.revents != 0) ready.push_back(w.fd);
    for (int fd : ready) {
      if (stopped_) break;
      auto it = fds_.find(fd);  // may have been unwatched by an earlier callback
      if (it != fds_.end()) {
        Task task = it->second;  // copy: the callback may unwatch itself
        task();
      }
    }
    if (!stopped_) RunDueTimers();
    // One batch per turn: tasks posted by these run on the next turn.
    std::vector<Task> tasks;
    tasks.swap(posted_);
    for (auto& t : tasks) {
      if (stopped_) break;
      t();
    }
  }
  return true;
}

}  // namespace mcpr
