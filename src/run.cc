// The mcp-remote pipeline. Each step is one named function, in order:
//   ParseCommandLine -> SetUpLogging -> ConfineProcess -> StartNetwork ->
//   MakeOAuthClient -> WireHostToProxy -> RunUntilHostLeaves
#include "run.h"

#include <curl/curl.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "filesystem.h"
#include "http_curl.h"
#include "oauth_client.h"
#include "log.h"
#include "options.h"
#include "proxy.h"
#include "sandbox.h"
#include "server_hash.h"
#include "host_io.h"
#include "mcp_remote/proxy.h"

#ifndef MCPR_VERSION
#define MCPR_VERSION "0.0.0"
#endif

namespace mcpr {

namespace {

constexpr std::size_t kMaxHostLine = 64u << 20;  // one host message; the same cap as server messages
constexpr Millis kEofGrace{3000};      // host closed stdin: let in-flight answers finish
constexpr Millis kSignalGrace{1500};
constexpr Millis kHardStop{6000};      // shutdown never takes longer than this

// Returns -1 to continue, or an exit code.
int ParseCommandLine(const std::vector<std::string>& args, const std::string& program, Options* opts,
                     std::vector<std::string>* warnings) {
  ParseResult r = ParseArgs(args, program, SystemParseEnv(), opts);
  *warnings = std::move(r.warnings);
  switch (r.action) {
    case ParseResult::Action::kHelp:
    case ParseResult::Action::kVersion:
      std::fputs(r.message.c_str(), stdout);
      std::fputs("\n", stdout);
      std::fflush(stdout);
      return 0;
    case ParseResult::Action::kError:
      for (const auto& w : *warnings) std::fprintf(stderr, "%s\n", w.c_str());
      std::fprintf(stderr, "%s\n", r.message.c_str());
      return 1;
    case ParseResult::Action::kRun:
      break;
  }
  return -1;
}

std::optional<std::string> GetEnvOpt(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

std::string GetEnv(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

void SetUpLogging(const Options& opts, const std::vector<std::string>& warnings, Logger* log) {
  log->set_silent(opts.silent);
  log->set_debug(opts.debug);
  if (opts.debug) {
    log->OpenDebugFile(DebugLogPath(StoreDir(ConfigBaseDir(GetEnvOpt)), ServerUrlHash(opts)));
  }
  for (const auto& w : warnings) log->Warn("{}", w);
  if (!opts.headers.empty()) {
    std::string names;
    for (const auto& h : opts.headers) names += (names.empty() ? "" : ", ") + h.name;
    log->Info("Using custom headers: {}", names);  // names only, never values
  }
}

NetConfig StartNetwork(const Options& opts) {
  static const bool curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  (void)curl_ready;
  NetConfig net;
  net.enable_proxy = opts.enable_proxy;
  net.ipv4 = opts.ipv4;
  net.extra_ca_file = GetEnv("NODE_EXTRA_CA_CERTS");
  net.user_agent = "mcp-remote/" MCPR_VERSION " (native)";
  return net;
}

const char* StrategyName(TransportStrategy t) {
  switch (t) {
    case TransportStrategy::kHttpFirst: return "http-first";
    case TransportStrategy::kSseFirst: return "sse-first";
    case TransportStrategy::kHttpOnly: return "http-only";
    case TransportStrategy::kSseOnly: return "sse-only";
  }
  return "?";
}

class LineToProxy : public LineFramer::Sink {
 public:
  explicit LineToProxy(Proxy& p) : proxy_(p) {}
  void OnLine(std::string_view line) override { proxy_.OnHostLine(line); }
  void OnOverflow(std::size_t bytes) override { proxy_.OnHostLineTooLong(bytes); }

 private:
  Proxy& proxy_;
};

}  // namespace

bool UsesOAuth(const Options& opts) {
  // A static Authorization header wins over OAuth on every request (npm's
  // precedence), so signing in would be pointless: a 401 is just an error.
  for (const auto& h : opts.headers) {
    std::string lower = h.name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "authorization") return false;
  }
  return true;
}

std::unique_ptr<OAuthClient> MakeOAuthClient(EventLoop& loop, HttpClient& http, Logger& log, const Options& opts,
                                             FileSystem& fs, BrowserBroker* broker) {
  if (!UsesOAuth(opts)) return nullptr;
  auto client = std::make_unique<OAuthClient>(loop, http, log, opts, fs, StoreDir(ConfigBaseDir(GetEnvOpt)),
                                              ServerUrlHash(opts));
  client->set_browser_broker(broker);
  return client;
}

std::unique_ptr<BrowserBroker> ConfineProcess(const Options& opts, bool confine, FileSystem& fs, Logger& log) {
  if (!confine) return nullptr;
  if (opts.no_sandbox) {
    log.Debug("Not confining the process (--no-sandbox)");
    return nullptr;
  }
  std::string why;
  if (!CanConfine(&why)) {
    log.Debug("Running unconfined: {}", why);
    return nullptr;
  }
  // libcurl's global init reads what it needs (SSLKEYLOGFILE, OpenSSL's
  // configuration) before the doors close; it starts no thread.
  curl_global_init(CURL_GLOBAL_DEFAULT);
  // The browser helper must exist before confinement (a confined process
  // cannot exec); only a browser sign-in needs it.
  const bool oauth = UsesOAuth(opts);
  std::unique_ptr<BrowserBroker> broker;
  if (oauth && !opts.device_code && !opts.client_credentials) {
    broker = BrowserBroker::Start(&why);
    if (!broker) {
      log.Debug("Running unconfined: the browser helper could not start ({})", why);
      return nullptr;
    }
  }
  // Writable: the config directory holding the store (the seed's
  // --allow-write="$HOME/.mcp-auth"), when anything may be written there.
  SandboxPolicy policy;
  if (oauth || opts.debug) {
    const std::string base = ConfigBaseDir(GetEnvOpt);
    FsStatus status;
    if (fs.MakeDirs(StoreDir(base), &status, 0700)) {
      policy.writable_dirs.push_back(base);
    } else {
      log.Debug("The token store {} cannot be created; confining without any writable directory", StoreDir(base));
    }
  }
  policy.writable_files.push_back("/dev/null");
  const SandboxResult r = Confine(policy);
  if (r.confined) {
    log.Debug("Confined: {}", r.detail);
  } else {
    log.Debug("Running unconfined: {}", r.detail);
  }
  return broker;
}

int RunProxyMain(const std::vector<std::string>& args, const RunIo& io) {
  // 1. Parse the command line exactly as npm mcp-remote 0.15.1 does (§1.1).
  Options opts;
  std::vector<std::string> warnings;
  if (int rc = ParseCommandLine(args, "mcp-remote", &opts, &warnings); rc >= 0) return rc;

  // 2. Logging: stderr only (stdout is the protocol), plus the --debug file.
  TuneMemory();
  Logger log;
  SetUpLogging(opts, warnings, &log);

  // 3. Least privilege from here on (sandbox.h): writes only under the
  //    token store, no exec; the browser helper is forked first. Before the
  //    network starts, while the process has a single thread.
  RealFileSystem fs;
  std::unique_ptr<BrowserBroker> browser = ConfineProcess(opts, io.confine, fs, log);

  // 4. One event loop and one libcurl multi handle carry every transfer.
  EventLoop loop;
  CurlHttpClient http(loop, StartNetwork(opts));

  // 5. OAuth: stored tokens are loaded now; a sign-in starts only when the
  //    server answers 401 (§1.8).
  std::unique_ptr<OAuthClient> oauth = MakeOAuthClient(loop, http, log, opts, fs, browser.get());

  // 6. Host stdio <-> proxy core. Nothing is sent until the host's
  //    initialize arrives; that message also picks the transport (§1.9.1).
  HostOutput out(io.output_fd);
  Proxy proxy(loop, http, log, opts, out, oauth.get());
  LineToProxy line_sink(proxy);
  bool stopping = false;
  auto stop = [&](Millis grace, const char* why) {
    if (stopping) return;
    stopping = true;
    log.Info("Shutting down ({})...", why);
    loop.AddTimer(kHardStop, [&] {
      log.Error("Shutdown took too long; exiting");
      loop.Stop();
    });
    proxy.Shutdown(grace, [&] { loop.Stop(); });
  };
  HostInput in(loop, io.input_fd, line_sink, kMaxHostLine, [&] { stop(kEofGrace, "the host closed stdin"); });
  out.set_on_broken([&] { stop(Millis(0), "the host closed stdout"); });
  std::unique_ptr<SignalWatch> signals;
  if (io.handle_signals) {
    signals = std::make_unique<SignalWatch>(loop, [&](int signo) {
      if (stopping) {
        loop.Stop();  // a second signal: leave now
        return;
      }
      in.Stop();
      stop(kSignalGrace, signo == 2 ? "SIGINT" : signo == 15 ? "SIGTERM" : "SIGHUP");
    });
  } else {
    IgnoreWriteSignals();
  }
  log.Info("Proxy ready: local stdio <-> {} (transport strategy {})", opts.server_url, StrategyName(opts.transport));

  // 7. Relay until the host leaves or a signal arrives.
  if (!loop.Run()) {
    log.Error("Fatal error: the network event loop failed");
    return 1;
  }
  return 0;
}

}  // namespace mcpr

namespace mcp_remote {

int RunProxy(const std::vector<std::string>& args, const ProxyIo& io) {
  return mcpr::RunProxyMain(args, {io.input_fd, io.output_fd, io.handle_signals, io.confine});
}

int RunProxy(const std::string& server_url, int callback_port, const std::map<std::string, std::string>& headers,
             const ProxyIo& io) {
  std::vector<std::string> args{server_url};
  if (callback_port > 0) args.push_back(std::to_string(callback_port));
  for (const auto& [name, value] : headers) {
    args.push_back("--header");
    args.push_back(name + ":" + value);
  }
  return RunProxy(args, io);
}

}  // namespace mcp_remote
