// The two programs as functions, so the thin mains, the library API and the
// tests share one pipeline.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace mcpr {

class EventLoop;
class HttpClient;
class Logger;
class FileSystem;
class OAuthClient;
struct Options;

class BrowserBroker;

/// False when a static Authorization header makes OAuth pointless.
bool UsesOAuth(const Options& opts);

/// The OAuth client for these options, or nullptr when !UsesOAuth(opts).
/// `broker` (may be null) opens the browser for a confined process.
std::unique_ptr<OAuthClient> MakeOAuthClient(EventLoop& loop, HttpClient& http, Logger& log, const Options& opts,
                                             FileSystem& fs, BrowserBroker* broker = nullptr);

/// When `confine` and not --no-sandbox: forks the browser helper if a
/// browser sign-in may be needed, creates the token store directory and
/// confines the process (sandbox.h), logging the outcome once at debug
/// level. Returns the helper (nullptr if none). Call before any thread.
std::unique_ptr<BrowserBroker> ConfineProcess(const Options& opts, bool confine, FileSystem& fs, Logger& log);

struct RunIo {
  int input_fd = 0;
  int output_fd = 1;
  bool handle_signals = true;
  bool confine = false;  // sandbox.h; the command-line tools set it
};

/// mcp-remote: the stdio <-> remote proxy. Returns the exit code.
int RunProxyMain(const std::vector<std::string>& args, const RunIo& io);

/// mcp-remote-client: connect, list tools/resources/prompts, optionally call
/// one tool, print, exit. Returns the exit code.
int RunClientMain(const std::vector<std::string>& args, bool confine = false);

}  // namespace mcpr
