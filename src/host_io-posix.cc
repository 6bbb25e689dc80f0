#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "host_io.h"

namespace mcpr {

void HostOutput::WriteToHost(std::string_view message) {
  if (broken_) return;
  iovec iov[2];
  iov[0].iov_base = const_cast<char*>(message.data());
  iov[0].iov_len = message.size();
  iov[1].iov_base = const_cast<char*>("\n");
  iov[1].iov_len = 1;
  int idx = 0;
  while (idx < 2) {
    ssize_t n = ::writev(fd_, iov + idx, 2 - idx);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {  // the fd was made non-blocking by someone else: wait for room
        fd_set set;
        FD_ZERO(&set);
        FD_SET(fd_, &set);
        ::select(fd_ + 1, nullptr, &set, nullptr, nullptr);
        continue;
      }
      broken_ = true;
      if (on_broken_) on_broken_();
      return;
    }
    std::size_t left = static_cast<std::size_t>(n);
    while (idx < 2 && left >= iov[idx].iov_len) {
      left -= iov[idx].iov_len;
      ++idx;
    }
    if (idx < 2) {
      iov[idx].iov_base = static_cast<char*>(iov[idx].iov_base) + left;
      iov[idx].iov_len -= left;
    }
  }
  ++written_;
}

HostInput::HostInput(EventLoop& loop, int fd, LineFramer::Sink& sink, std::size_t max_line,
                     std::function<void()> on_eof)
    : loop_(loop), fd_(fd), framer_(max_line), sink_(sink), on_eof_(std::move(on_eof)) {
  loop_.WatchFd(fd_, [this] { OnReadable(); });
  watching_ = true;
}

HostInput::~HostInput() { Stop(); }

void HostInput::Stop() {
  if (watching_) loop_.UnwatchFd(fd_);
  watching_ = false;
}

void HostInput::OnReadable() {
  char buf[65536];
  ssize_t n = ::read(fd_, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n > 0) {
    framer_.Feed(std::string_view(buf, static_cast<std::size_t>(n)), sink_);
    return;
  }
  // EOF (or a read error, which we treat the same: the host is gone).
  framer_.Finish(sink_);
  Stop();
  if (on_eof_) {
    auto fn = std::move(on_eof_);
    on_eof_ = nullptr;
    fn();
  }
}

void TuneMemory() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 1 << 20);  // fixing it also turns off the adaptive threshold
  mallopt(M_TRIM_THRESHOLD, 1 << 20);
#endif
}

void IgnoreWriteSignals() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, nullptr);
  sigaction(SIGXFSZ, &sa, nullptr);
}

namespace {
int g_signal_pipe_write = -1;  // the only global: a signal handler needs it
void OnSignal(int signo) {
  int saved = errno;
  unsigned char b = static_cast<unsigned char>(signo);
  if (g_signal_pipe_write >= 0) (void)!::write(g_signal_pipe_write, &b, 1);
  errno = saved;
}
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
}  // namespace

struct SignalWatch::Impl {
  EventLoop* loop = nullptr;
  int fds[2] = {-1, -1};
  struct sigaction old[3];
};

SignalWatch::SignalWatch(EventLoop& loop, std::function<void(int)> on_signal) : impl_(std::make_unique<Impl>()) {
  impl_->loop = &loop;
  IgnoreWriteSignals();
  if (::pipe2(impl_->fds, O_CLOEXEC | O_NONBLOCK) != 0) return;
  g_signal_pipe_write = impl_->fds[1];
  for (int i = 0; i < 3; ++i) {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(kSignals[i], &sa, &impl_->old[i]);
  }
  int rfd = impl_->fds[0];
  loop.WatchFd(rfd, [rfd, on_signal = std::move(on_signal)] {
    unsigned char b;
    while (::read(rfd, &b, 1) == 1) on_signal(b);
  });
}

SignalWatch::~SignalWatch() {
  if (impl_->fds[0] < 0) return;
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &impl_->old[i], nullptr);
  g_signal_pipe_write = -1;
  impl_->loop->UnwatchFd(impl_->fds[0]);
  ::close(impl_->fds[0]);
  ::close(impl_->fds[1]);
}

}  // namespace mcpr
