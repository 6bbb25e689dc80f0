// The host-facing byte pipes and process signals, behind a small seam so the
// platform code lives in host_io-posix.cc / host_io-win32.cc.
//
//  HostOutput  writes whole messages + '\n' with one writev() (blocking: a
//              slow host applies back-pressure instead of growing a queue).
//              EPIPE (the host closed stdout) is reported once; SIGPIPE is
//              ignored process-wide by InstallSignalHandlers.
//  HostInput   reads the host's fd when the loop says it is readable, up to
//              64 KiB at a time, into a LineFramer; EOF is reported once.
//  Signals     SIGINT/SIGTERM/SIGHUP through a self-pipe watched by the loop.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "event_loop.h"
#include "proxy.h"
#include "stdio_framer.h"

namespace mcpr {

class HostOutput : public LocalSink {
 public:
  explicit HostOutput(int fd) : fd_(fd) {}
  void WriteToHost(std::string_view message) override;
  void set_on_broken(std::function<void()> fn) { on_broken_ = std::move(fn); }
  bool broken() const { return broken_; }
  std::size_t messages_written() const { return written_; }

 private:
  int fd_;
  bool broken_ = false;
  std::size_t written_ = 0;
  std::function<void()> on_broken_;
};

class HostInput {
 public:
  /// `on_eof` runs once when the host closes its end.
  HostInput(EventLoop& loop, int fd, LineFramer::Sink& sink, std::size_t max_line, std::function<void()> on_eof);
  ~HostInput();
  void Stop();

 private:
  void OnReadable();
  EventLoop& loop_;
  int fd_;
  LineFramer framer_;
  LineFramer::Sink& sink_;
  std::function<void()> on_eof_;
  bool watching_ = false;
};

/// Installs handlers for SIGINT/SIGTERM/SIGHUP that call on_signal(signo)
/// from the loop, and ignores SIGPIPE. Returns a guard that restores them.
class SignalWatch {
 public:
  SignalWatch(EventLoop& loop, std::function<void(int)> on_signal);
  ~SignalWatch();
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Ignores SIGPIPE and SIGXFSZ: a write to a closed pipe or socket fails with
/// EPIPE, and a write past RLIMIT_FSIZE with EFBIG (the token store then keeps
/// the old file and warns), instead of the signal killing the process.
void IgnoreWriteSignals();

/// Process-wide memory settings for a long-lived proxy: buffers of 1 MiB
/// and more (a 10 MB tool result) are mmapped and handed back to the
/// kernel when freed, instead of glibc's adaptive threshold keeping them in
/// the heap after the first big message (observed: 27.8 -> 36.4 MiB peak
/// over repeated 10 MB results).
void TuneMemory();

}  // namespace mcpr
