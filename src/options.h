// Options: everything the command line (and environment) says, in one
// struct that is threaded through the program (no globals).
//
// ParseArgs reproduces npm mcp-remote 0.15.1's hand-rolled parser exactly
// (mcp-remote-behaviour.md §1.1-§1.4), quirks included:
//  1. "--help"/"-h" anywhere -> kHelp; "--version" anywhere -> kVersion.
//  2. Every "--header <v>" and "--header-file <path>" pair is removed first.
//  3. Then server_url = args[0], port = parseInt(args[1]) (NaN/0 ignored).
//  4. Other flags: args.indexOf(flag), value = next token, FIRST occurrence
//     wins, except the repeatable ones (--header, --header-file,
//     --ignore-tool, --allow-tool, --authorize-param).
//  5. Unknown flags are ignored.
// Anything that npm treats as fatal yields kError with npm's message; what
// npm warns about is appended to `warnings` (the caller logs them).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcpr {

enum class TransportStrategy { kHttpFirst, kSseFirst, kHttpOnly, kSseOnly };
enum class ProtocolMode { kLegacy, kAuto };

using Millis = std::chrono::milliseconds;

struct HeaderSpec {
  std::string name;       // as typed (case kept)
  std::string raw_value;  // unexpanded text: goes into the store hash (§1.1.12)
  std::string value;      // ${VAR}-expanded: goes on the wire
};

struct Options {
  std::string program = "mcp-remote";  // or "mcp-remote-client"
  std::string server_url;               // exactly as typed (hash input)

  // Callback port: 0 = derive from the server hash (§1.2).
  int callback_port = 0;
  bool callback_port_strict = false;  // explicit port (or static client info / CIMD)

  // Custom headers, JS-object semantics: first occurrence fixes the order,
  // a later value for the same name (exact case) overwrites.
  std::vector<HeaderSpec> headers;

  bool allow_http = false;
  TransportStrategy transport = TransportStrategy::kHttpFirst;
  ProtocolMode protocol = ProtocolMode::kLegacy;

  // OAuth (implemented by the auth module; parsed here).
  std::string host;                          // redirect_uri host; default localhost (127.0.0.1 on Windows)
  std::string callback_path = "/oauth/callback";
  int auth_timeout_s = 30;
  std::string auth_success_url;
  std::optional<std::string> resource;       // --resource (empty string => disabled)
  bool disable_resource_parameter = false;
  std::vector<std::pair<std::string, std::string>> authorize_params;  // in order
  std::string static_oauth_client_metadata;  // JSON text (after @file read), unexpanded
  std::string static_oauth_client_info;      // JSON text (after @file read), ${VAR}-expanded
  std::string client_metadata_url;
  bool use_id_token = false;
  bool device_code = false;
  bool client_credentials = false;
  std::string token_endpoint;
  // Cross-app access (SEP-990, beyond npm): an enterprise IdP's ID token is
  // exchanged (RFC 8693) for an ID-JAG, which the AS redeems (RFC 7523).
  std::string idp_token_endpoint;
  std::string idp_client_id;
  std::string idp_id_token;  // ${VAR}-expanded; @file reads it from a file

  // Tool filters: case-insensitive anchored globs, '*' the only wildcard.
  std::vector<std::string> ignore_tools;
  std::vector<std::string> allow_tools;   // beyond npm: when non-empty, only matching tools

  // Network.
  bool enable_proxy = false;
  std::optional<Millis> connect_timeout;   // default 10 s
  std::optional<Millis> headers_timeout;   // default 300 s; 0 = none
  std::optional<Millis> body_timeout;      // default: 300 s for JSON bodies, none for SSE streams; 0 = none
  bool ipv4 = false;
  bool keep_alive = false;
  Millis ping_interval{30000};
  bool disable_cookies = false;

  // Least privilege (sandbox.h): confine the process after start-up.
  bool no_sandbox = false;

  // Logging.
  bool debug = false;
  bool silent = false;

  // mcp-remote-client only (ours): call one tool after listing.
  std::string call_tool;        // --call <name>
  std::string call_arguments;   // JSON object text, default "{}"
};

/// Environment and file access, injectable for tests.
struct ParseEnv {
  std::function<std::optional<std::string>(const std::string&)> getenv;
  /// Reads a whole file; returns nullopt if unreadable.
  std::function<std::optional<std::string>(const std::string&)> read_file;
  bool windows = false;  // changes the --host default
};

/// The real process environment and filesystem.
ParseEnv SystemParseEnv();

struct ParseResult {
  enum class Action { kRun, kHelp, kVersion, kError };
  Action action = Action::kRun;
  // kHelp: HelpText(); kVersion: MCPR_VERSION; kError: one line to log and
  // exit 1: npm's usage line (no server URL) or "Error: <npm's message>".
  std::string message;
  std::vector<std::string> warnings;  // to be logged, one per line
};

/// args excludes argv[0]. `program` selects the usage text and defaults.
ParseResult ParseArgs(const std::vector<std::string>& args, const std::string& program,
                      const ParseEnv& env, Options* out);

/// The --help text, generated from the flag table.
std::string HelpText(const std::string& program);

/// One row of the flag table that drives ParseArgs and HelpText.
struct FlagInfo {
  std::string_view name;        // "--header"
  std::string_view alias;       // "-h", or empty
  std::string_view value_name;  // empty for a switch, else e.g. "<Name: value>"
  bool repeatable = false;      // every occurrence is read
  bool client_only = false;     // only mcp-remote-client knows it (--call)
  std::string_view group;       // --help section: "Transport", "Headers", ...
  std::string_view help;        // one line
};

/// The table, in the order ParseArgs evaluates the flags (npm's order).
std::span<const FlagInfo> FlagTable();

/// Expands ${NAME} from env; a missing variable stays literally "${NAME}"
/// and its name is appended to *missing (mcp-remote >= 0.13).
std::string ExpandEnvVars(const std::string& text, const ParseEnv& env,
                          std::vector<std::string>* missing);

/// --ignore-tool / --allow-tool matching: case-insensitive, anchored, '*'
/// matches any run of characters (including none); nothing else is special.
bool ToolGlobMatch(std::string_view pattern, std::string_view name);

/// True if the tool may be listed/called under these options.
bool ToolAllowed(const Options& opts, std::string_view tool_name);

}  // namespace mcpr
