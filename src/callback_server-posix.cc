// BSD-socket layer of the callback server (see callback_server.h).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "callback_server.h"

namespace mcpr::loopback_net {
namespace {

[[maybe_unused]] bool MakeNonBlockingCloexec(int fd) {
  const int fl = fcntl(fd, F_GETFL, 0);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return false;
  const int fdfl = fcntl(fd, F_GETFD, 0);
  return fdfl >= 0 && fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) >= 0;
}

int NewSocket(int family) {
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
  return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
  const int fd = socket(family, SOCK_STREAM, 0);
  if (fd >= 0 && !MakeNonBlockingCloexec(fd)) {
    const int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
#endif
}

}  // namespace

int ListenLoopback(bool v6, int port, int* bound_port, int* err) {
  *err = 0;
  if (port < 0 || port > 65535) {
    *err = EINVAL;
    return -1;
  }
  Socket s(NewSocket(v6 ? AF_INET6 : AF_INET));
  if (!s.valid()) {
    *err = errno;
    return -1;
  }
  const int one = 1;
  // Like libuv: lets us rebind over TIME_WAIT leftovers; on Linux it never
  // lets a second live listener share the port.
  setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc;
  if (v6) {
    setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<std::uint16_t>(port));
    a.sin6_addr = in6addr_loopback;
    rc = bind(s.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = bind(s.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a);
  }
  if (rc != 0 || listen(s.get(), 64) != 0) {
    *err = errno;
    return -1;
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(s.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    *err = errno;
    return -1;
  }
  *bound_port = ntohs(v6 ? reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port
                         : reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
  return s.Release();
}

int Accept(int listener, int* err) {
#if defined(__linux__)
  const int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) *err = errno;
  return fd;
#else
  const int fd = accept(listener, nullptr, nullptr);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  if (!MakeNonBlockingCloexec(fd)) {
    *err = errno;
    close(fd);
    return -1;
  }
#if defined(SO_NOSIGPIPE)
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
  return fd;
#endif
}

long Read(int fd, char* buf, std::size_t n, int* err) {
  for (;;) {
    const ssize_t r = recv(fd, buf, n, 0);
    if (r >= 0) return static_cast<long>(r);
    if (errno == EINTR) continue;
    *err = errno;
    return -1;
  }
}

long Write(int fd, const char* buf, std::size_t n, int* err) {
#if defined(MSG_NOSIGNAL)
  constexpr int kFlags = MSG_NOSIGNAL;
#else
  constexpr int kFlags = 0;  // SO_NOSIGPIPE was set on accept
#endif
  for (;;) {
    const ssize_t r = send(fd, buf, n, kFlags);
    if (r >= 0) return static_cast<long>(r);
    if (errno == EINTR) continue;
    *err = errno;
    return -1;
  }
}

void ShutdownWrite(int fd) { shutdown(fd, SHUT_WR); }
void Close(int fd) { close(fd); }
bool WouldBlock(int err) { return err == EAGAIN || err == EWOULDBLOCK; }
std::string ErrorString(int err) { return std::strerror(err); }

}  // namespace mcpr::loopback_net
