// mcp-remote as a library: run the stdio <-> remote MCP proxy from another
// program. The proxy reads newline-delimited JSON-RPC from `input_fd` and
// writes the server's messages to `output_fd`, exactly as the mcp-remote
// command does on stdin/stdout; logs go to stderr.
//
//   #include <mcp_remote/proxy.h>
//   int rc = mcp_remote::RunProxy("https://example.com/mcp", 0,
//                                 {{"Authorization", "Bearer ..."}});
//
// RunProxy blocks until the input reaches end-of-file (close the write end of
// your pipe to stop it), or, with handle_signals, until SIGINT/SIGTERM/SIGHUP.
// It returns the process-style exit code: 0 after a clean shutdown, 1 on a
// fatal error (bad arguments, ...). Thread-safety: one proxy per thread; it
// keeps no global state besides libcurl's one-time global init.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mcp_remote {

struct ProxyIo {
  int input_fd = 0;             // the host's messages
  int output_fd = 1;            // messages for the host
  bool handle_signals = true;   // install SIGINT/SIGTERM/SIGHUP handlers (POSIX)
  // Confine the process for good once started, as the mcp-remote command
  // does (Linux Landlock: writes only under the token store, no exec; a
  // helper process opens the browser). Off by default: it would also bind
  // the embedding program, irreversibly. --no-sandbox in args overrides it.
  bool confine = false;
};

/// Runs the proxy with mcp-remote's command-line arguments (everything after
/// the program name: "<server-url> [callback-port] [flags]").
int RunProxy(const std::vector<std::string>& args, const ProxyIo& io = {});

/// The seed's startProxy/runProxy(serverUrl, callbackPort, headers).
/// callback_port 0 derives the port from the server URL, as the CLI does.
int RunProxy(const std::string& server_url, int callback_port,
             const std::map<std::string, std::string>& headers, const ProxyIo& io = {});

}  // namespace mcp_remote
