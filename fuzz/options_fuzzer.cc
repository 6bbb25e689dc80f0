// libFuzzer target for the command-line parser (options.h ParseArgs).
// Input: argv (without argv[0]) as NUL-separated strings. The environment is
// a fake ParseEnv: a few variables (HOME, TOKEN, EMPTY, NESTED), and a
// read_file that knows a few files (headers.txt, client.json, id_token) and
// returns the rest of the path as contents for "=<contents>" (so the input
// can supply --header-file / @file contents); anything else is unreadable.
// The first byte, when it is 0x01..0x03, picks the program
// (mcp-remote / mcp-remote-client) and the Windows host default instead.
// Properties:
//  - never crashes (ASan/UBSan), whatever the arguments;
//  - deterministic: the same arguments give the same result, warnings and
//    Options (every field compared), and a reused Options is fully reset;
//  - kHelp carries HelpText(program), kVersion and kError a non-empty
//    message; kRun has the first positional as server_url, a port in
//    [0, 65535], callback_port_strict when a port was given, and every
//    tool glob matches itself (ToolGlobMatch(p, p)).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "options.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

mcpr::ParseEnv FakeEnv(bool windows) {
  mcpr::ParseEnv env;
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    static const std::map<std::string, std::string> vars = {
        {"HOME", "/home/u"}, {"TOKEN", "t0k3n"}, {"EMPTY", ""}, {"NESTED", "${TOKEN}"}};
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  env.read_file = [](const std::string& path) -> std::optional<std::string> {
    static const std::map<std::string, std::string> files = {
        {"headers.txt", "# comment\nX-Api-Key: ${TOKEN}\r\n\nbad line\n  X-Trace : 1  \nAuthorization: Bearer ${MISSING}"},
        {"client.json", "{\"client_id\":\"abc\",\"client_secret\":\"${TOKEN}\"}"},
        {"id_token", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.\n"},
    };
    if (!path.empty() && path[0] == '=') return path.substr(1);
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  };
  env.windows = windows;
  return env;
}

template <typename T>
void Put(std::string& out, const std::optional<T>& v) {
  if (!v) {
    out += "<none>|";
    return;
  }
  if constexpr (std::is_same_v<T, std::string>) {
    out += *v;
  } else {
    out += std::to_string(v->count());
  }
  out += '|';
}

std::string Dump(const mcpr::ParseResult& r, const mcpr::Options& o) {
  std::string s;
  auto add = [&](std::string_view v) {
    s += std::to_string(v.size());
    s += ':';
    s += v;
    s += '|';
  };
  add(std::to_string(static_cast<int>(r.action)));
  add(r.message);
  for (const auto& w : r.warnings) add(w);
  s += "#opts|";
  add(o.program);
  add(o.server_url);
  add(std::to_string(o.callback_port));
  add(std::to_string(o.callback_port_strict));
  for (const auto& h : o.headers) {
    add(h.name);
    add(h.raw_value);
    add(h.value);
  }
  s += "#|";
  add(std::to_string(o.allow_http));
  add(std::to_string(static_cast<int>(o.transport)));
  add(std::to_string(static_cast<int>(o.protocol)));
  add(o.host);
  add(o.callback_path);
  add(std::to_string(o.auth_timeout_s));
  add(o.auth_success_url);
  Put(s, o.resource);
  add(std::to_string(o.disable_resource_parameter));
  for (const auto& [k, v] : o.authorize_params) {
    add(k);
    add(v);
  }
  s += "#|";
  add(o.static_oauth_client_metadata);
  add(o.static_oauth_client_info);
  add(o.client_metadata_url);
  add(std::to_string(o.use_id_token));
  add(std::to_string(o.device_code));
  add(std::to_string(o.client_credentials));
  add(o.token_endpoint);
  add(o.idp_token_endpoint);
  add(o.idp_client_id);
  add(o.idp_id_token);
  for (const auto& t : o.ignore_tools) add(t);
  s += "#|";
  for (const auto& t : o.allow_tools) add(t);
  s += "#|";
  add(std::to_string(o.enable_proxy));
  Put(s, o.connect_timeout);
  Put(s, o.headers_timeout);
  Put(s, o.body_timeout);
  add(std::to_string(o.ipv4));
  add(std::to_string(o.keep_alive));
  add(std::to_string(o.ping_interval.count()));
  add(std::to_string(o.disable_cookies));
  add(std::to_string(o.debug));
  add(std::to_string(o.silent));
  add(o.call_tool);
  add(o.call_arguments);
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 16 * 1024) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  int mode = 0;
  if (!input.empty() && input[0] >= 1 && input[0] <= 3) {
    mode = input[0];
    input.remove_prefix(1);
  }
  const std::string program = (mode & 1) ? "mcp-remote-client" : "mcp-remote";
  const mcpr::ParseEnv env = FakeEnv((mode & 2) != 0);

  std::vector<std::string> args;
  if (!input.empty()) {
    std::size_t start = 0;
    while (true) {
      const std::size_t nul = input.find('\0', start);
      args.emplace_back(input.substr(start, nul == std::string_view::npos ? std::string_view::npos : nul - start));
      if (nul == std::string_view::npos) break;
      start = nul + 1;
    }
  }

  mcpr::Options a;
  const mcpr::ParseResult ra = mcpr::ParseArgs(args, program, env, &a);
  // The same Options object, dirtied, must come out identical (ParseArgs resets it).
  mcpr::Options b = a;
  b.server_url += "stale";
  b.headers.push_back({"Stale", "x", "x"});
  b.ignore_tools.push_back("stale");
  b.callback_port = 1;
  b.resource = "stale";
  const mcpr::ParseResult rb = mcpr::ParseArgs(args, program, env, &b);
  Check(Dump(ra, a) == Dump(rb, b), "ParseArgs is deterministic");

  switch (ra.action) {
    case mcpr::ParseResult::Action::kHelp:
      Check(ra.message == mcpr::HelpText(program), "help text");
      break;
    case mcpr::ParseResult::Action::kVersion:
      Check(!ra.message.empty(), "version text");
      break;
    case mcpr::ParseResult::Action::kError:
      Check(!ra.message.empty(), "error message");
      break;
    case mcpr::ParseResult::Action::kRun: {
      Check(!a.server_url.empty(), "server URL set");
      Check(a.program == program, "program");
      Check(a.callback_port >= 0 && a.callback_port <= 65535, "port range");
      Check(a.callback_port == 0 || a.callback_port_strict, "explicit port is strict");
      for (const std::string& p : a.ignore_tools) Check(mcpr::ToolGlobMatch(p, p), "glob matches itself");
      for (const std::string& p : a.allow_tools) Check(mcpr::ToolGlobMatch(p, p), "glob matches itself");
      for (const std::string& p : a.ignore_tools) {
        if (p.find('*') == std::string::npos) Check(!mcpr::ToolAllowed(a, p), "ignored tool is not allowed");
      }
      break;
    }
  }
  return 0;
}
