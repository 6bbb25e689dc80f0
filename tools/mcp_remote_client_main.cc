// mcp-remote-client: connect to a remote MCP server, list what it offers,
// optionally call one tool. See src/client.cc.
#include <string>
#include <vector>

#include "run.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return mcpr::RunClientMain(args, /*confine=*/true);
}
