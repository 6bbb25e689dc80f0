// The two programs as functions, so the thin mains, the library API and the
// tests share one pipeline.
#pragma once

#include <string>
#include <vector>

namespace mcpr {

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
