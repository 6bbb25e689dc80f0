// mcp-remote: a stdio <-> remote MCP proxy. See src/run.cc for the pipeline.
#include <string>
#include <vector>

#include "run.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  mcpr::RunIo io;
  io.confine = true;  // least privilege after start-up (src/sandbox.h)
  return mcpr::RunProxyMain(args, io);
}
