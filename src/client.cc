// mcp-remote-client: a small MCP host that runs the proxy core in-process
// (the same code path as mcp-remote, minus stdio) to test and debug a
// connection. It initializes, lists tools, resources and prompts, optionally
// calls one tool (--call NAME [JSON]), prints a readable report on stdout
// and exits 0; any failure prints one clear line on stderr and exits 1.
// Server requests are answered (ping: {}, anything else: method not found),
// every step has a deadline, and stdin is not used.
#include <boost/json.hpp>
#include <curl/curl.h>

#include <cstdio>
#include <functional>
#include <map>

#include "filesystem.h"
#include "http_curl.h"
#include "oauth_client.h"
#include "jsonrpc.h"
#include "log.h"
#include "options.h"
#include "proxy.h"
#include "run.h"
#include "host_io.h"
#include "browser.h"

#ifndef MCPR_VERSION
#define MCPR_VERSION "0.0.0"
#endif

namespace mcpr {

namespace {

namespace json = boost::json;

constexpr Millis kStepTimeout{60000};

class ClientDriver : public LocalSink {
 public:
  ClientDriver(EventLoop& loop, Logger& log, const Options& opts) : loop_(loop), log_(log), opts_(opts) {}
  void set_proxy(Proxy* p) { proxy_ = p; }

  void Start() {
    Request("initialize",
            R"({"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"mcp-remote-client","version":")" MCPR_VERSION
            R"("}})",
            [this](const json::object& result) {
              if (auto* info = result.if_contains("serverInfo"); info && info->is_object()) {
                const auto& o = info->as_object();
                server_ = Str(o, "name") + (o.contains("version") ? " " + Str(o, "version") : "");
              }
              protocol_ = Str(result, "protocolVersion");
              if (auto* caps = result.if_contains("capabilities"); caps && caps->is_object()) caps_ = caps->as_object();
              proxy_->OnHostLine(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
              std::printf("Connected to %s (protocol %s) via %s\n", server_.empty() ? "the server" : server_.c_str(),
                          protocol_.c_str(), proxy_->transport_name());
              ListTools();
            });
  }

  void WriteToHost(std::string_view message) override {
    Peek peek;
    std::string why;
    if (PeekMessage(message, &peek, &why) != PeekError::kNone) return;
    if (peek.kind == MessageKind::kRequest) {
      std::string reply = peek.method == "ping"
                              ? std::string(R"({"jsonrpc":"2.0","id":)") + std::string(peek.id.in(message)) + R"(,"result":{}})"
                              : MakeErrorResponse(peek.id.in(message), kMethodNotFound, "Method not found");
      loop_.Post([this, reply] { proxy_->OnHostLine(reply); });
      return;
    }
    if (peek.kind == MessageKind::kNotification) {
      log_.Debug("Received notification {}", peek.method);
      return;
    }
    if (peek.kind != MessageKind::kResponse) return;
    json::error_code ec;
    json::value v = json::parse(message, ec);
    if (ec || !v.is_object()) return;
    const json::value* id = v.as_object().if_contains("id");
    if (!id || !id->is_int64()) return;
    auto it = waiting_.find(id->as_int64());
    if (it == waiting_.end()) return;
    Waiter w = std::move(it->second);
    waiting_.erase(it);
    loop_.CancelTimer(w.timer);
    if (const json::value* err = v.as_object().if_contains("error")) {
      std::string msg = err->is_object() ? Str(err->as_object(), "message") : "error";
      long long code = err->is_object() && err->as_object().contains("code") && err->as_object().at("code").is_int64()
                           ? err->as_object().at("code").as_int64()
                           : 0;
      if (w.on_error) {
        w.on_error(code, msg);
      } else {
        Fail(w.method + " failed: " + msg);
      }
      return;
    }
    const json::value* result = v.as_object().if_contains("result");
    static const json::object empty;
    w.on_result(result && result->is_object() ? result->as_object() : empty);
  }

  int exit_code() const { return exit_code_; }
  bool finished() const { return finished_; }
  std::function<void()> on_finished;

 private:
  struct Waiter {
    std::string method;
    std::function<void(const json::object&)> on_result;
    std::function<void(long long, const std::string&)> on_error;
    EventLoop::TimerId timer = 0;
  };

  static std::string Str(const json::object& o, const char* key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  }

  void Request(const std::string& method, const std::string& params, std::function<void(const json::object&)> on_result,
               std::function<void(long long, const std::string&)> on_error = nullptr) {
    long long id = next_id_++;
    std::string body = R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":)";
    AppendJsonString(&body, method);
    body += R"(,"params":)" + params + "}";
    Waiter w{method, std::move(on_result), std::move(on_error), 0};
    w.timer = loop_.AddTimer(kStepTimeout, [this, id, method] {
      waiting_.erase(id);
      Fail(method + " timed out after " + std::to_string(kStepTimeout.count() / 1000) + " s");
    });
    waiting_.emplace(id, std::move(w));
    proxy_->OnHostLine(body);
  }

  void ListTools() {
    Request("tools/list", "{}", [this](const json::object& r) {
      PrintList("Tools", r, "tools", "name");
      ListResources();
    });
  }
  void ListResources() {
    Request(
        "resources/list", "{}",
        [this](const json::object& r) {
          PrintList("Resources", r, "resources", "uri");
          ListPrompts();
        },
        [this](long long, const std::string& msg) {
          std::printf("Resources: not available (%s)\n", msg.c_str());
          ListPrompts();
        });
  }
  void ListPrompts() {
    Request(
        "prompts/list", "{}",
        [this](const json::object& r) {
          PrintList("Prompts", r, "prompts", "name");
          CallTool();
        },
        [this](long long, const std::string& msg) {
          std::printf("Prompts: not available (%s)\n", msg.c_str());
          CallTool();
        });
  }
  void CallTool() {
    if (opts_.call_tool.empty()) return Finish(0);
    json::error_code ec;
    json::value args = json::parse(opts_.call_arguments.empty() ? "{}" : opts_.call_arguments, ec);
    if (ec || !args.is_object()) return Fail("--call arguments must be a JSON object");
    json::object params{{"name", opts_.call_tool}, {"arguments", args}};
    Request("tools/call", json::serialize(params), [this](const json::object& r) {
      bool is_error = r.contains("isError") && r.at("isError").is_bool() && r.at("isError").as_bool();
      std::printf("Result of %s%s:\n", opts_.call_tool.c_str(), is_error ? " (tool reported an error)" : "");
      if (const json::value* content = r.if_contains("content"); content && content->is_array()) {
        for (const auto& item : content->as_array()) {
          if (!item.is_object()) continue;
          const auto& o = item.as_object();
          std::string type = Str(o, "type");
          if (type == "text") {
            std::printf("%s\n", Str(o, "text").c_str());
          } else {
            std::printf("[%s content]\n", type.c_str());
          }
        }
      }
      if (const json::value* sc = r.if_contains("structuredContent"))
        std::printf("structuredContent: %s\n", json::serialize(*sc).c_str());
      Finish(is_error ? 1 : 0);
    });
  }

  void PrintList(const char* title, const json::object& result, const char* key, const char* label) {
    const json::value* v = result.if_contains(key);
    const json::array* arr = v ? v->if_array() : nullptr;
    std::printf("%s (%zu):\n", title, arr ? arr->size() : 0);
    if (!arr) return;
    for (const auto& item : *arr) {
      if (!item.is_object()) continue;
      const auto& o = item.as_object();
      std::string desc = Str(o, "description");
      auto nl = desc.find('\n');
      if (nl != std::string::npos) desc = desc.substr(0, nl);
      if (desc.size() > 100) desc = desc.substr(0, 97) + "...";
      std::printf("  %s%s%s\n", Str(o, label).c_str(), desc.empty() ? "" : " - ", desc.c_str());
    }
    std::fflush(stdout);
  }

  void Fail(const std::string& message) {
    if (finished_) return;
    std::fprintf(stderr, "Error: %s\n", message.c_str());
    Finish(1);
  }
  void Finish(int code) {
    if (finished_) return;
    finished_ = true;
    exit_code_ = code;
    std::fflush(stdout);
    for (auto& [id, w] : waiting_) loop_.CancelTimer(w.timer);
    waiting_.clear();
    if (on_finished) on_finished();
  }

  EventLoop& loop_;
  Logger& log_;
  const Options& opts_;
  Proxy* proxy_ = nullptr;
  long long next_id_ = 1;
  std::map<long long, Waiter> waiting_;
  std::string server_, protocol_;
  json::object caps_;
  int exit_code_ = 1;
  bool finished_ = false;
};

}  // namespace

int RunClientMain(const std::vector<std::string>& args, bool confine) {
  Options opts;
  ParseResult r = ParseArgs(args, "mcp-remote-client", SystemParseEnv(), &opts);
  if (r.action == ParseResult::Action::kHelp || r.action == ParseResult::Action::kVersion) {
    std::printf("%s\n", r.message.c_str());
    return 0;
  }
  if (r.action == ParseResult::Action::kError) {
    for (const auto& w : r.warnings) std::fprintf(stderr, "%s\n", w.c_str());
    std::fprintf(stderr, "%s\n", r.message.c_str());
    return 1;
  }
  Logger log;
  log.set_silent(opts.silent);
  log.set_debug(opts.debug);
  for (const auto& w : r.warnings) log.Warn("{}", w);

  IgnoreWriteSignals();
  RealFileSystem fs;
  std::unique_ptr<BrowserBroker> browser = ConfineProcess(opts, confine, fs, log);

  curl_global_init(CURL_GLOBAL_DEFAULT);
  EventLoop loop;
  NetConfig net;
  net.enable_proxy = opts.enable_proxy;
  net.ipv4 = opts.ipv4;
  if (const char* ca = std::getenv("NODE_EXTRA_CA_CERTS")) net.extra_ca_file = ca;
  net.user_agent = "mcp-remote-client/" MCPR_VERSION " (native)";
  CurlHttpClient http(loop, net);
  std::unique_ptr<OAuthClient> oauth = MakeOAuthClient(loop, http, log, opts, fs, browser.get());
  ClientDriver driver(loop, log, opts);
  Proxy proxy(loop, http, log, opts, driver, oauth.get());
  driver.set_proxy(&proxy);
  driver.on_finished = [&] {
    loop.AddTimer(Millis(3000), [&] { loop.Stop(); });  // bound the DELETE
    proxy.Shutdown(Millis(0), [&] { loop.Stop(); });
  };
  loop.Post([&] { driver.Start(); });
  if (!loop.Run()) return 1;
  return driver.exit_code();
}

}  // namespace mcpr
