// Least privilege after start-up: the native counterpart of the seed's Deno
// flags (--allow-write="$HOME/.mcp-auth", --allow-run=open, --allow-read).
//
// Confine(policy), on Linux with Landlock (kernel 5.13+, any ABI):
//  - Writing is refused everywhere except beneath policy.writable_dirs (the
//    config directory holding the token store, ~/.mcp-auth as in the seed's
//    --allow-write, created 0700 by the caller first, so that deleting the
//    store while we run does not stop later saves) and the files
//    in policy.writable_files (/dev/null): creating, writing, truncating
//    (ABI >= 3), removing, renaming or linking (ABI >= 2 for renames across
//    directories), making devices, FIFOs, sockets and symlinks.
//  - Executing any file is refused (EXECUTE is handled and granted nowhere).
//    The browser is opened by a helper process forked BEFORE confinement
//    (browser.h, BrowserBroker), so the browser it starts is not confined.
//  - Abstract UNIX sockets outside the process are unreachable (ABI >= 6).
//  - no_new_privs is set (required by Landlock; nothing is executed anyway).
// This is defence in depth, not a jail: Landlock does not govern connect()
// to UNIX sockets by path (a session bus could still be asked to start
// things), and reading stays open.
// What it leaves alone, and why:
//  - Reading: the TLS trust store, NODE_EXTRA_CA_CERTS, resolv.conf, NSS
//    modules and --header-file are read lazily, and the seed grants
//    --allow-read too.
//  - The network: connections must reach any host and port (the
//    authorization server a 401 names can live anywhere), and the callback
//    listener walks a list of candidate ports, or lets the kernel pick one
//    that must then be bound on ::1 as well; Landlock's bind rules (ABI >= 4)
//    cannot say "the number the kernel just picked", so restricting binds
//    could break a later sign-in.
//  - Signals: the sibling protocol asks whether another instance's pid is
//    alive with kill(pid, 0); scoping signals (ABI >= 6) would answer EPERM,
//    "alive", for every pid and a stale lease would never be reclaimed.
// The restriction applies to the calling thread and everything it creates
// later (libcurl's resolver threads) and cannot be lifted, so it must run
// before any other thread exists: run.cc confines right after logging is
// set up and before the network starts.
// Where it cannot confine (not Linux, a kernel without Landlock, Landlock
// disabled at boot, a seccomp filter refusing the calls) it returns
// confined = false with the reason; the caller logs it once at debug level
// and runs normally. --no-sandbox skips it. The library entry point
// (mcp_remote::RunProxy) confines only when ProxyIo::confine asks, because
// it would restrict the embedding program's thread for good.
// Windows: sandbox-win32.cc would say "not supported" (an AppContainer or a
// restricted token needs a re-launch, not an in-process call).
#pragma once

#include <string>
#include <vector>

namespace mcpr {

struct SandboxPolicy {
  std::vector<std::string> writable_dirs;   // writes allowed beneath these (must exist)
  std::vector<std::string> writable_files;  // writes allowed to these files (must exist)
};

struct SandboxResult {
  bool confined = false;
  int abi = 0;          // Landlock ABI version in force (0 if none)
  std::string detail;   // what was restricted, or why nothing was
};

/// Whether Confine can work here and now: Landlock present, and the caller
/// the process's only thread. *why says why not.
bool CanConfine(std::string* why);

/// Confines the calling process for the rest of its life (see above).
/// Never throws; a failure leaves the process unconfined and says why.
SandboxResult Confine(const SandboxPolicy& policy);

}  // namespace mcpr
