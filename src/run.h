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

/// The OAuth client for these options, or nullptr when a static
/// Authorization header makes OAuth pointless.
std::unique_ptr<OAuthClient> MakeOAuthClient(EventLoop& loop, HttpClient& http, Logger& log, const Options& opts,
                                             FileSystem& fs);

struct RunIo {
  int input_fd = 0;
  int output_fd = 1;
  bool handle_signals = true;
};

/// mcp-remote: the stdio <-> remote proxy. Returns the exit code.
int RunProxyMain(const std::vector<std::string>& args, const RunIo& io);

/// mcp-remote-client: connect, list tools/resources/prompts, optionally call
/// one tool, print, exit. Returns the exit code.
int RunClientMain(const std::vector<std::string>& args);

}  // namespace mcpr
