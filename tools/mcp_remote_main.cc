// mcp-remote: a stdio <-> remote MCP proxy. See src/run.cc for the pipeline.
#include <string>
#include <vector>

#include "run.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return mcpr::RunProxyMain(args, {});
}
