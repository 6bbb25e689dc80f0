// One test per npm mcp-remote 0.15.1 parser quirk (mcp-remote §1.1-§1.4).
#include "options.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#ifndef MCPR_VERSION
#define MCPR_VERSION "0.0.0"
#endif

namespace mcpr {
namespace {

using Action = ParseResult::Action;
using Strings = std::vector<std::string>;

constexpr char kNonHttps[] = "Error: Non-HTTPS URLs are only allowed for localhost or when --allow-http flag is provided";
constexpr char kAuthSuccessError[] =
    "Error: --auth-success-url requires one HTTPS URL (or HTTP on loopback/with --allow-http), without credentials, "
    "query or fragment";

class OptionsTest : public ::testing::Test {
 protected:
  OptionsTest() {
    env_.getenv = [this](const std::string& name) -> std::optional<std::string> {
      const auto it = vars_.find(name);
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    };
    env_.read_file = [this](const std::string& path) -> std::optional<std::string> {
      const auto it = files_.find(path);
      if (it == files_.end()) return std::nullopt;
      return it->second;
    };
  }

  ParseResult Parse(const Strings& args, const std::string& program = "mcp-remote") {
    return ParseArgs(args, program, env_, &opts_);
  }
  // Parses `https://example.com/mcp` followed by `flags`.
  ParseResult ParseWith(Strings flags, const std::string& program = "mcp-remote") {
    flags.insert(flags.begin(), "https://example.com/mcp");
    return Parse(flags, program);
  }
  // Expects a fatal error and returns its message.
  std::string Fatal(const Strings& args) {
    const ParseResult r = Parse(args);
    EXPECT_EQ(r.action, Action::kError) << "args[0]=" << (args.empty() ? "" : args[0]);
    return r.message;
  }

  std::map<std::string, std::string> vars_;
  std::map<std::string, std::string> files_;
  ParseEnv env_;
  Options opts_;
};

std::vector<std::pair<std::string, std::string>> HeaderValues(const Options& o) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const HeaderSpec& h : o.headers) out.emplace_back(h.name, h.value);
  return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

// ---- defaults, help, version --------------------------------------------

TEST_F(OptionsTest, DefaultsForAPlainUrl) {
  const ParseResult r = Parse({"https://example.com/mcp"});
  EXPECT_EQ(r.action, Action::kRun);
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(opts_.program, "mcp-remote");
  EXPECT_EQ(opts_.server_url, "https://example.com/mcp");
  EXPECT_EQ(opts_.callback_port, 0);
  EXPECT_FALSE(opts_.callback_port_strict);
  EXPECT_EQ(opts_.transport, TransportStrategy::kHttpFirst);
  EXPECT_EQ(opts_.protocol, ProtocolMode::kLegacy);
  EXPECT_EQ(opts_.host, "localhost");
  EXPECT_EQ(opts_.callback_path, "/oauth/callback");
  EXPECT_EQ(opts_.auth_timeout_s, 30);
  EXPECT_EQ(opts_.ping_interval, Millis(30000));
  EXPECT_FALSE(opts_.keep_alive);
  EXPECT_FALSE(opts_.connect_timeout || opts_.headers_timeout || opts_.body_timeout);
  EXPECT_FALSE(opts_.resource.has_value());
  EXPECT_TRUE(opts_.headers.empty());
}

TEST_F(OptionsTest, ServerUrlKeptExactlyAsTyped) {
  ASSERT_EQ(Parse({"HTTPS://Example.COM"}).action, Action::kRun);
  EXPECT_EQ(opts_.server_url, "HTTPS://Example.COM");  // the hash input: not normalised
}

TEST_F(OptionsTest, WindowsHostDefaultIsLoopbackIp) {
  env_.windows = true;
  ASSERT_EQ(ParseWith({}).action, Action::kRun);
  EXPECT_EQ(opts_.host, "127.0.0.1");
}

TEST_F(OptionsTest, HelpAnywhereEvenAsAFlagValueAndBeforeVersion) {
  EXPECT_EQ(Parse({"https://x.test", "--version", "-h"}).action, Action::kHelp);
  EXPECT_EQ(Parse({"--help"}).action, Action::kHelp);
  // npm checks args.includes() before removing the --header pairs.
  EXPECT_EQ(Parse({"https://x.test", "--header", "--help"}).action, Action::kHelp);
}

TEST_F(OptionsTest, HelpFirstLineIsNpmUsageThenBlankLine) {
  const ParseResult r = Parse({"-h"});
  ASSERT_EQ(r.action, Action::kHelp);
  EXPECT_EQ(r.message.substr(0, r.message.find('\n')), "Usage: mcp-remote <https://server-url> [callback-port] [--debug]");
  EXPECT_EQ(r.message.substr(r.message.find('\n'), 2), "\n\n");
  const ParseResult c = Parse({"--help"}, "mcp-remote-client");
  EXPECT_EQ(c.message.substr(0, c.message.find('\n')),
            "Usage: mcp-remote-client <https://server-url> [callback-port] [--debug]");
}

TEST_F(OptionsTest, HelpMentionsEveryFlagInTheTable) {
  const std::string proxy = HelpText("mcp-remote");
  const std::string client = HelpText("mcp-remote-client");
  ASSERT_GE(FlagTable().size(), 34u);
  for (const FlagInfo& f : FlagTable()) {
    EXPECT_NE(client.find(std::string(f.name)), std::string::npos) << f.name;
    EXPECT_FALSE(f.help.empty()) << f.name;
    if (f.client_only) {
      EXPECT_EQ(proxy.find(std::string(f.name) + " "), std::string::npos) << f.name;
    } else {
      EXPECT_NE(proxy.find(std::string(f.name)), std::string::npos) << f.name;
    }
  }
  for (const char* group : {"Transport:", "Headers:", "OAuth:", "Network:", "Tools:", "Logging:", "Environment:"}) {
    EXPECT_NE(proxy.find(group), std::string::npos) << group;
  }
  for (const char* var : {"MCP_REMOTE_CONFIG_DIR", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "NODE_EXTRA_CA_CERTS", "BROWSER"}) {
    EXPECT_NE(proxy.find(var), std::string::npos) << var;
  }
}

TEST_F(OptionsTest, FlagTableCoversSection13AndHasUniqueNames) {
  std::set<std::string_view> names;
  for (const FlagInfo& f : FlagTable()) {
    EXPECT_TRUE(f.name.substr(0, 2) == "--") << f.name;
    EXPECT_TRUE(names.insert(f.name).second) << "duplicate " << f.name;
  }
  for (const char* flag :
       {"--header", "--header-file", "--allow-http", "--transport", "--protocol", "--host", "--callback-path",
        "--auth-timeout", "--auth-success-url", "--resource", "--disable-resource-parameter", "--authorize-param",
        "--static-oauth-client-metadata", "--static-oauth-client-info", "--client-metadata-url", "--use-id-token",
        "--device-code", "--client-credentials", "--token-endpoint", "--ignore-tool", "--enable-proxy",
        "--connect-timeout", "--headers-timeout", "--body-timeout", "--ipv4", "--keep-alive", "--ping-interval",
        "--disable-cookies", "--debug", "--silent", "--version", "--help", "--allow-tool", "--call"}) {
    EXPECT_TRUE(names.count(flag)) << flag;
  }
}

TEST_F(OptionsTest, VersionAnywhere) {
  const ParseResult r = Parse({"https://x.test", "--debug", "--version"});
  EXPECT_EQ(r.action, Action::kVersion);
  EXPECT_EQ(r.message, MCPR_VERSION);
}

// ---- positionals ------------------------------------------------------------

TEST_F(OptionsTest, UrlMustBeFirstAfterHeaderRemoval) {
  // npm takes args[0] as the URL: "--debug https://x" makes the URL "--debug".
  const std::string message = Fatal({"--debug", "https://example.com/mcp"});
  EXPECT_NE(message.find("Invalid server URL \"--debug\""), std::string::npos) << message;
  EXPECT_NE(message.find("must be the first argument"), std::string::npos) << message;
  // ...but --header pairs are removed first, so they may precede it.
  ASSERT_EQ(Parse({"--header", "A: 1", "https://example.com/mcp", "--debug"}).action, Action::kRun);
  EXPECT_EQ(opts_.server_url, "https://example.com/mcp");
  EXPECT_TRUE(opts_.debug);
}

TEST_F(OptionsTest, TrailingHeaderWithoutValueIsNotRemoved) {
  EXPECT_NE(Fatal({"--header"}).find("Invalid server URL \"--header\""), std::string::npos);
  ASSERT_EQ(Parse({"https://example.com/mcp", "--header"}).action, Action::kRun);
  EXPECT_TRUE(opts_.headers.empty());
}

TEST_F(OptionsTest, PortIsTheSecondTokenAndMakesItStrict) {
  ASSERT_EQ(Parse({"https://example.com/mcp", "4000"}).action, Action::kRun);
  EXPECT_EQ(opts_.callback_port, 4000);
  EXPECT_TRUE(opts_.callback_port_strict);
  ASSERT_EQ(Parse({"--header", "A:1", "https://example.com/mcp", "--header", "B:2", "5000"}).action, Action::kRun);
  EXPECT_EQ(opts_.callback_port, 5000);
}

TEST_F(OptionsTest, PortNaNOrZeroIsIgnored) {
  ASSERT_EQ(Parse({"https://example.com/mcp", "--debug", "4000"}).action, Action::kRun);
  EXPECT_EQ(opts_.callback_port, 0);  // parseInt("--debug") is NaN; 4000 is third
  EXPECT_FALSE(opts_.callback_port_strict);
  EXPECT_TRUE(opts_.debug);
  ASSERT_EQ(Parse({"https://example.com/mcp", "0"}).action, Action::kRun);
  EXPECT_EQ(opts_.callback_port, 0);
  EXPECT_FALSE(opts_.callback_port_strict);
  ASSERT_EQ(Parse({"https://example.com/mcp", "abc"}).action, Action::kRun);
  EXPECT_EQ(opts_.callback_port, 0);
}

TEST_F(OptionsTest, PortUsesParseIntWithoutRadix) {
  ASSERT_EQ(Parse({"https://example.com/mcp", "4000abc"}).action, Action::kRun);
  EXPECT_EQ(opts_.callback_port, 4000);
  ASSERT_EQ(Parse({"https://example.com/mcp", "0x1F40"}).action, Action::kRun);
  EXPECT_EQ(opts_.callback_port, 8000);
  ASSERT_EQ(Parse({"https://example.com/mcp", " 12.9"}).action, Action::kRun);
  EXPECT_EQ(opts_.callback_port, 12);
}

TEST_F(OptionsTest, PortOutOfRangeIsFatal) {
  EXPECT_EQ(Fatal({"https://example.com/mcp", "70000"}), "Error: Invalid callback port: 70000. It must be between 1 and 65535.");
  EXPECT_EQ(Fatal({"https://example.com/mcp", "-5"}), "Error: Invalid callback port: -5. It must be between 1 and 65535.");
}

TEST_F(OptionsTest, MissingServerUrlGivesUsage) {
  EXPECT_EQ(Fatal({}), "Usage: mcp-remote <https://server-url> [callback-port] [--debug]");
  EXPECT_EQ(Fatal({"", "--debug"}), "Usage: mcp-remote <https://server-url> [callback-port] [--debug]");
  const ParseResult c = Parse({}, "mcp-remote-client");
  EXPECT_EQ(c.message, "Usage: mcp-remote-client <https://server-url> [callback-port] [--debug]");
}

TEST_F(OptionsTest, HttpsRule) {
  EXPECT_EQ(Fatal({"http://example.com/mcp"}), kNonHttps);
  EXPECT_EQ(Fatal({"http://[::1]:3000/mcp"}), kNonHttps);  // §1.1.8: [::1] is not local here
  EXPECT_EQ(Fatal({"ftp://example.com/"}), kNonHttps);
  EXPECT_EQ(Parse({"http://localhost:3000/mcp"}).action, Action::kRun);
  EXPECT_EQ(Parse({"http://127.0.0.1:3000/mcp"}).action, Action::kRun);
  EXPECT_EQ(Parse({"http://LocalHost/mcp"}).action, Action::kRun);  // hostname is lower-cased
  EXPECT_EQ(Parse({"http://example.com/mcp", "--allow-http"}).action, Action::kRun);
  EXPECT_TRUE(opts_.allow_http);
}

TEST_F(OptionsTest, UnparsableServerUrlIsFatal) {
  for (const char* bad : {"not a url", "https://", "https:example.com", "https://exa mple.com/", "https://x.test:99999/"}) {
    EXPECT_NE(Fatal({bad}).find("Error: Invalid server URL"), std::string::npos) << bad;
  }
  EXPECT_NE(Fatal({"wss://example.com/", "--allow-http"}).find("Unsupported server URL scheme"), std::string::npos);
}

// ---- generic flag lookup ----------------------------------------------------

TEST_F(OptionsTest, FirstOccurrenceWins) {
  ASSERT_EQ(ParseWith({"--transport", "sse-only", "--transport", "http-only", "--host", "a", "--host", "b"}).action,
            Action::kRun);
  EXPECT_EQ(opts_.transport, TransportStrategy::kSseOnly);
  EXPECT_EQ(opts_.host, "a");
}

TEST_F(OptionsTest, ValueIsTheNextTokenEvenIfItIsAFlag) {
  ASSERT_EQ(ParseWith({"--host", "--debug"}).action, Action::kRun);
  EXPECT_EQ(opts_.host, "--debug");
  EXPECT_TRUE(opts_.debug);
}

TEST_F(OptionsTest, ValueFlagAtTheEndIsIgnoredSilently) {
  const ParseResult r = ParseWith({"--transport"});
  EXPECT_EQ(r.action, Action::kRun);
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(opts_.transport, TransportStrategy::kHttpFirst);
}

TEST_F(OptionsTest, UnknownFlagsAreIgnored) {
  const ParseResult r = ParseWith({"--scope", "openid", "--clean", "-v", "--client-id", "x"});
  EXPECT_EQ(r.action, Action::kRun);
  EXPECT_TRUE(r.warnings.empty());
}

TEST_F(OptionsTest, SwitchesSetTheirFields) {
  ASSERT_EQ(ParseWith({"--debug", "--silent", "--ipv4", "--enable-proxy", "--keep-alive", "--disable-cookies",
                       "--device-code", "--use-id-token", "--client-credentials", "--disable-resource-parameter",
                       "--allow-http"})
                .action,
            Action::kRun);
  EXPECT_TRUE(opts_.debug && opts_.silent && opts_.ipv4 && opts_.enable_proxy && opts_.keep_alive &&
              opts_.disable_cookies && opts_.device_code && opts_.use_id_token && opts_.client_credentials &&
              opts_.disable_resource_parameter && opts_.allow_http);
}

TEST_F(OptionsTest, TransportValuesAndInvalidWarning) {
  const std::pair<const char*, TransportStrategy> cases[] = {{"http-first", TransportStrategy::kHttpFirst},
                                                             {"sse-first", TransportStrategy::kSseFirst},
                                                             {"http-only", TransportStrategy::kHttpOnly},
                                                             {"sse-only", TransportStrategy::kSseOnly}};
  for (const auto& [text, value] : cases) {
    ASSERT_EQ(ParseWith({"--transport", text}).action, Action::kRun);
    EXPECT_EQ(opts_.transport, value) << text;
  }
  const ParseResult r = ParseWith({"--transport", "websocket"});
  EXPECT_EQ(opts_.transport, TransportStrategy::kHttpFirst);
  EXPECT_EQ(r.warnings, Strings{"Warning: Ignoring invalid transport strategy: websocket. Valid values are: sse-only, "
                                "http-only, sse-first, http-first"});
}

TEST_F(OptionsTest, ProtocolValuesAndInvalidWarning) {
  const ParseResult a = ParseWith({"--protocol", "auto"});
  ASSERT_EQ(a.action, Action::kRun);
  EXPECT_EQ(opts_.protocol, ProtocolMode::kAuto);
  ASSERT_EQ(a.warnings.size(), 1u);  // not implemented yet, and it says so
  EXPECT_NE(a.warnings[0].find("--protocol auto"), std::string::npos);
  const ParseResult r = ParseWith({"--protocol", "modern"});
  EXPECT_EQ(opts_.protocol, ProtocolMode::kLegacy);
  EXPECT_EQ(r.warnings, Strings{"Warning: Ignoring invalid protocol mode: modern. Valid values are: legacy, auto"});
}

// ---- headers ----------------------------------------------------------------

TEST_F(OptionsTest, HeaderRegexAndOptionalSpace) {
  ASSERT_EQ(ParseWith({"--header", "Authorization:Bearer ${T}", "--header", "X-Api_Key:   v 1 ", "--header", "E:"}).action,
            Action::kRun);
  ASSERT_EQ(opts_.headers.size(), 3u);
  EXPECT_EQ(opts_.headers[0].name, "Authorization");
  EXPECT_EQ(opts_.headers[0].raw_value, "Bearer ${T}");
  EXPECT_EQ(opts_.headers[1].raw_value, "v 1 ");  // only the leading \s* is dropped
  EXPECT_EQ(opts_.headers[2].raw_value, "");
}

TEST_F(OptionsTest, MalformedHeaderWarnsAndIsIgnored) {
  for (const char* bad : {"Bad Name: x", "NoColon", ": x", "X.Y: z", "X: a\nb"}) {
    const ParseResult r = ParseWith({"--header", bad});
    EXPECT_EQ(r.action, Action::kRun);
    EXPECT_TRUE(opts_.headers.empty()) << bad;
    EXPECT_EQ(r.warnings, Strings{"Warning: ignoring a --header argument that is not in Name:Value form"}) << bad;
  }
  // \s* may swallow a newline right after the colon, so this one matches.
  ASSERT_EQ(ParseWith({"--header", "X:\n v"}).action, Action::kRun);
  EXPECT_EQ(HeaderValues(opts_), (Pairs{{"X", "v"}}));
}

TEST_F(OptionsTest, HeaderWhitespaceIsJsUnicodeWhitespace) {
  // \s and trim() cover U+00A0, U+2000-U+200A, U+3000, U+FEFF..., not just ASCII.
  ASSERT_EQ(ParseWith({"--header", "X:\xE2\x80\x83\xC2\xA0v\xE2\x80\x83"}).action, Action::kRun);
  EXPECT_EQ(HeaderValues(opts_), (Pairs{{"X", "v\xE2\x80\x83"}}));  // trailing space kept
  files_["/h"] = "\xE3\x80\x80Y: 1\xE2\x80\x8A\n";
  ASSERT_EQ(ParseWith({"--header-file", "/h"}).action, Action::kRun);
  EXPECT_EQ(HeaderValues(opts_), (Pairs{{"Y", "1"}}));
}

TEST_F(OptionsTest, HeaderPairConsumesAFlagAsItsValue) {
  const ParseResult r = ParseWith({"--header", "--debug"});
  EXPECT_FALSE(opts_.debug);  // spliced away with its --header
  EXPECT_EQ(r.warnings.size(), 1u);
}

TEST_F(OptionsTest, HeadersLastValueWinsByExactName) {
  ASSERT_EQ(ParseWith({"--header", "A: 1", "--header", "B: 2", "--header", "A: 3", "--header", "a: 4"}).action,
            Action::kRun);
  EXPECT_EQ(HeaderValues(opts_), (Pairs{{"A", "3"}, {"B", "2"}, {"a", "4"}}));
}

TEST_F(OptionsTest, HeaderFileParsingWithLineNumberWarning) {
  files_["/h"] = "\xEF\xBB\xBF# secrets\n\n  X-One: 1  \r\nbad line\r\n\tX-Two:2\n   # indented comment\n";
  const ParseResult r = ParseWith({"--header-file", "/h"});
  ASSERT_EQ(r.action, Action::kRun);
  EXPECT_EQ(HeaderValues(opts_), (Pairs{{"X-One", "1"}, {"X-Two", "2"}}));
  EXPECT_EQ(r.warnings, Strings{"Warning: ignoring line 4 of /h, which is not in Name:Value form"});
}

TEST_F(OptionsTest, HeaderAndHeaderFileMergeInCommandLineOrder) {
  files_["/h"] = "A: file\nB: file\n";
  ASSERT_EQ(ParseWith({"--header", "A: cli", "--header-file", "/h"}).action, Action::kRun);
  EXPECT_EQ(HeaderValues(opts_), (Pairs{{"A", "file"}, {"B", "file"}}));
  ASSERT_EQ(ParseWith({"--header-file", "/h", "--header", "A: cli"}).action, Action::kRun);
  EXPECT_EQ(HeaderValues(opts_), (Pairs{{"A", "cli"}, {"B", "file"}}));
}

TEST_F(OptionsTest, UnreadableHeaderFileIsFatalBeforeTheUrlCheck) {
  EXPECT_EQ(Fatal({"--header-file", "/missing"}), "Error: Could not read the header file /missing");
  EXPECT_EQ(Fatal({"https://example.com/mcp", "--header-file", "/missing"}),
            "Error: Could not read the header file /missing");
}

TEST_F(OptionsTest, HeaderEnvVarExpandedButRawValueKept) {
  vars_["TOKEN"] = "s3cret";
  const ParseResult r = ParseWith({"--header", "Authorization: Bearer ${TOKEN}"});
  ASSERT_EQ(r.action, Action::kRun);
  EXPECT_EQ(opts_.headers[0].raw_value, "Bearer ${TOKEN}");
  EXPECT_EQ(opts_.headers[0].value, "Bearer s3cret");
  EXPECT_TRUE(r.warnings.empty());
}

TEST_F(OptionsTest, MissingHeaderVarStaysLiteralWithWarningNamingIt) {
  vars_["SET"] = "s3cret";
  const ParseResult r = ParseWith({"--header", "X: ${NOPE}-${SET}"});
  ASSERT_EQ(r.action, Action::kRun);
  EXPECT_EQ(opts_.headers[0].value, "${NOPE}-s3cret");
  EXPECT_EQ(r.warnings,
            Strings{"Warning: Environment variable 'NOPE' not found for header 'X'; leaving ${NOPE} as it is."});
  for (const std::string& w : r.warnings) EXPECT_EQ(w.find("s3cret"), std::string::npos);
}

TEST_F(OptionsTest, ExpandEnvVarsFollowsTheJsRegex) {
  vars_["A"] = "1";
  vars_["EMPTY"] = "";
  std::vector<std::string> missing;
  EXPECT_EQ(ExpandEnvVars("${A}${A} $${A} ${} ${EMPTY}| ${A", env_, &missing), "11 $1 ${} | ${A");
  EXPECT_TRUE(missing.empty());
  EXPECT_EQ(ExpandEnvVars("${a${b}!", env_, &missing), "${a${b}!");
  EXPECT_EQ(missing, Strings{"a${b"});  // [^}]+ takes everything up to '}'
}

// ---- timeouts ---------------------------------------------------------------

TEST_F(OptionsTest, SecondsUseNumberSemanticsRoundedToMs) {
  ASSERT_EQ(ParseWith({"--connect-timeout", "1.5", "--headers-timeout", " 1e1 ", "--body-timeout", "0x10"}).action,
            Action::kRun);
  EXPECT_EQ(opts_.connect_timeout, Millis(1500));
  EXPECT_EQ(opts_.headers_timeout, Millis(10000));
  EXPECT_EQ(opts_.body_timeout, Millis(16000));
  ASSERT_EQ(ParseWith({"--connect-timeout", "0.0025", "--headers-timeout", ".25"}).action, Action::kRun);
  EXPECT_EQ(opts_.connect_timeout, Millis(3));  // Math.round(2.5) == 3
  EXPECT_EQ(opts_.headers_timeout, Millis(250));
}

TEST_F(OptionsTest, ZeroDisablesHeadersAndBodyTimeoutButNotConnect) {
  const ParseResult r = ParseWith({"--headers-timeout", "0", "--body-timeout", "", "--connect-timeout", "0"});
  EXPECT_EQ(opts_.headers_timeout, Millis(0));
  EXPECT_EQ(opts_.body_timeout, Millis(0));  // Number("") is 0
  EXPECT_FALSE(opts_.connect_timeout.has_value());
  EXPECT_EQ(r.warnings,
            Strings{"Warning: Ignoring invalid --connect-timeout value: 0. Must be a positive number of seconds."});
}

TEST_F(OptionsTest, InvalidSecondsWarnAndAreIgnored) {
  for (const char* bad : {"abc", "Infinity", "1_000", "10s", "-0x10", "1e"}) {
    const ParseResult r = ParseWith({"--connect-timeout", bad});
    EXPECT_EQ(r.action, Action::kRun);
    EXPECT_FALSE(opts_.connect_timeout.has_value()) << bad;
    EXPECT_EQ(r.warnings, Strings{"Warning: Ignoring invalid --connect-timeout value: " + std::string(bad) +
                                  ". Must be a positive number of seconds."});
  }
  const ParseResult r = ParseWith({"--body-timeout", "-1"});
  EXPECT_EQ(r.warnings,
            Strings{"Warning: Ignoring invalid --body-timeout value: -1. Must be a non-negative number of seconds."});
}

TEST_F(OptionsTest, WarningsComeInNpmEvaluationOrder) {
  // npm reads --body-timeout before --headers-timeout, and both before --transport.
  const ParseResult r = ParseWith({"--transport", "x", "--headers-timeout", "x", "--body-timeout", "x"});
  ASSERT_EQ(r.warnings.size(), 3u);
  EXPECT_NE(r.warnings[0].find("--body-timeout"), std::string::npos);
  EXPECT_NE(r.warnings[1].find("--headers-timeout"), std::string::npos);
  EXPECT_NE(r.warnings[2].find("transport"), std::string::npos);
}

TEST_F(OptionsTest, PingIntervalImpliesKeepAlive) {
  ASSERT_EQ(ParseWith({"--ping-interval", "2.5"}).action, Action::kRun);
  EXPECT_TRUE(opts_.keep_alive);
  EXPECT_EQ(opts_.ping_interval, Millis(2500));
  const ParseResult r = ParseWith({"--ping-interval", "0"});
  EXPECT_FALSE(opts_.keep_alive);
  EXPECT_EQ(opts_.ping_interval, Millis(30000));
  EXPECT_EQ(r.warnings.size(), 1u);
  ASSERT_EQ(ParseWith({"--keep-alive"}).action, Action::kRun);
  EXPECT_TRUE(opts_.keep_alive);
  EXPECT_EQ(opts_.ping_interval, Millis(30000));
}

TEST_F(OptionsTest, AuthTimeoutUsesParseIntBase10) {
  ASSERT_EQ(ParseWith({"--auth-timeout", "12.9s"}).action, Action::kRun);
  EXPECT_EQ(opts_.auth_timeout_s, 12);
  for (const char* bad : {"0", "abc", "0x10", "-3"}) {
    const ParseResult r = ParseWith({"--auth-timeout", bad});
    EXPECT_EQ(opts_.auth_timeout_s, 30) << bad;
    EXPECT_EQ(r.warnings,
              Strings{"Warning: Ignoring invalid auth timeout value: " + std::string(bad) + ". Must be a positive number."});
  }
}

TEST_F(OptionsTest, AuthTimeoutIsLookedUpAfterTheIgnoreToolSplice) {
  ASSERT_EQ(ParseWith({"--ignore-tool", "--auth-timeout", "60"}).action, Action::kRun);
  EXPECT_EQ(opts_.ignore_tools, Strings{"--auth-timeout"});
  EXPECT_EQ(opts_.auth_timeout_s, 30);
}

// ---- OAuth flags ------------------------------------------------------------

TEST_F(OptionsTest, CallbackPathRules) {
  ASSERT_EQ(ParseWith({"--callback-path", "/cb"}).action, Action::kRun);
  EXPECT_EQ(opts_.callback_path, "/cb");
  EXPECT_EQ(ParseWith({"--callback-path", "cb"}).warnings,
            Strings{"Warning: Ignoring invalid callback path: cb. It must start with '/'."});
  EXPECT_EQ(opts_.callback_path, "/oauth/callback");
  for (const char* reserved : {"/wait-for-auth", "/.mcp-remote/id"}) {
    EXPECT_EQ(ParseWith({"--callback-path", reserved}).warnings,
              Strings{"Warning: Ignoring reserved callback path: " + std::string(reserved) +
                      ". It is used to coordinate concurrent instances."});
    EXPECT_EQ(opts_.callback_path, "/oauth/callback");
  }
}

TEST_F(OptionsTest, AuthSuccessUrlAcceptedAndNormalised) {
  ASSERT_EQ(ParseWith({"--auth-success-url", "https://Docs.Example.com:443"}).action, Action::kRun);
  EXPECT_EQ(opts_.auth_success_url, "https://docs.example.com/");
  ASSERT_EQ(ParseWith({"--auth-success-url", "http://[::1]:8080/ok"}).action, Action::kRun);
  EXPECT_EQ(opts_.auth_success_url, "http://[::1]:8080/ok");
  ASSERT_EQ(ParseWith({"--auth-success-url", "http://intranet/ok", "--allow-http"}).action, Action::kRun);
  EXPECT_EQ(opts_.auth_success_url, "http://intranet/ok");
}

TEST_F(OptionsTest, AuthSuccessUrlFatalCases) {
  const Strings bad[] = {
      {"--auth-success-url", "http://example.com/ok"},
      {"--auth-success-url", "https://user:pw@example.com/ok"},
      {"--auth-success-url", "https://example.com/ok?x=1"},
      {"--auth-success-url", "https://example.com/ok?"},
      {"--auth-success-url", "https://example.com/ok#top"},
      {"--auth-success-url", "https://a.test/", "--auth-success-url", "https://a.test/"},
      {"--auth-success-url", "--debug"},
      {"--auth-success-url", "not a url"},
      {"--auth-success-url"},
  };
  for (Strings args : bad) {
    args.insert(args.begin(), "https://example.com/mcp");
    EXPECT_EQ(Fatal(args), kAuthSuccessError) << args[2];
  }
}

TEST_F(OptionsTest, ResourceAbsoluteUri) {
  ASSERT_EQ(ParseWith({"--resource", " https://api.example.com/ "}).action, Action::kRun);
  EXPECT_EQ(opts_.resource, "https://api.example.com/");
  ASSERT_EQ(ParseWith({"--resource", "urn:example:api"}).action, Action::kRun);
  EXPECT_EQ(opts_.resource, "urn:example:api");
  EXPECT_EQ(Fatal({"https://example.com/mcp", "--resource", "not a url"}),
            "Error: Invalid --resource value: \"not a url\". RFC 8707 requires an absolute URI, e.g. "
            "https://example.com/mcp");
}

TEST_F(OptionsTest, EmptyResourceDisablesTheParameter) {
  const ParseResult r = ParseWith({"--resource", " "});
  ASSERT_EQ(r.action, Action::kRun);
  EXPECT_TRUE(opts_.disable_resource_parameter);
  EXPECT_FALSE(opts_.resource.has_value());
  EXPECT_TRUE(r.warnings.empty());
}

TEST_F(OptionsTest, DisableResourceParameterOverridesResourceWithWarning) {
  const ParseResult r = ParseWith({"--resource", "https://api.example.com", "--disable-resource-parameter"});
  ASSERT_EQ(r.action, Action::kRun);
  EXPECT_FALSE(opts_.resource.has_value());
  EXPECT_EQ(r.warnings, Strings{"Warning: --disable-resource-parameter overrides --resource https://api.example.com; "
                                "the resource parameter will be omitted."});
  // Overridden, so an invalid --resource is no longer fatal (npm validates after).
  EXPECT_EQ(ParseWith({"--resource", "bad", "--disable-resource-parameter"}).action, Action::kRun);
}

TEST_F(OptionsTest, AuthorizeParamsRepeatTrimAndOverwrite) {
  ASSERT_EQ(ParseWith({"--authorize-param", "access_type=offline", "--authorize-param", " prompt =consent",
                       "--authorize-param", "audience=a=b", "--authorize-param", "access_type=online"})
                .action,
            Action::kRun);
  EXPECT_EQ(opts_.authorize_params, (Pairs{{"access_type", "online"}, {"prompt", "consent"}, {"audience", "a=b"}}));
}

TEST_F(OptionsTest, AuthorizeParamFatalCases) {
  for (const char* bad : {"novalue", "=x", " =x"}) {
    EXPECT_EQ(Fatal({"https://example.com/mcp", "--authorize-param", bad}),
              "Error: Invalid --authorize-param value: \"" + std::string(bad) +
                  "\". Expected key=value, e.g. --authorize-param audience=https://api.example.com");
  }
  for (const char* key : {"client_id", "redirect_uri", "response_type", "state", "code_challenge", "code_challenge_method"}) {
    EXPECT_EQ(Fatal({"https://example.com/mcp", "--authorize-param", std::string(" ") + key + "=x"}),
              "Error: --authorize-param cannot set \"" + std::string(key) +
                  "\": it is part of the authorization flow itself and is derived per request.");
  }
}

TEST_F(OptionsTest, AuthorizeParamResourceWarns) {
  const ParseResult r = ParseWith({"--authorize-param", "resource=https://api"});
  ASSERT_EQ(r.action, Action::kRun);
  EXPECT_EQ(opts_.authorize_params, (Pairs{{"resource", "https://api"}}));
  EXPECT_EQ(r.warnings, Strings{"Warning: --authorize-param resource=... only applies to the authorization request. "
                                "Use --resource so the token request agrees."});
}

TEST_F(OptionsTest, StaticClientMetadataInlineAndFileWithoutExpansion) {
  vars_["X"] = "expanded";
  ASSERT_EQ(ParseWith({"--static-oauth-client-metadata", R"({"scope":"${X}"})"}).action, Action::kRun);
  EXPECT_EQ(opts_.static_oauth_client_metadata, R"({"scope":"${X}"})");
  EXPECT_FALSE(opts_.callback_port_strict);
  files_["/m.json"] = R"( {"client_name": "n"} )";
  ASSERT_EQ(ParseWith({"--static-oauth-client-metadata", "@/m.json"}).action, Action::kRun);
  EXPECT_EQ(opts_.static_oauth_client_metadata, R"( {"client_name": "n"} )");
}

TEST_F(OptionsTest, StaticClientMetadataFatalCases) {
  EXPECT_EQ(Fatal({"https://example.com/mcp", "--static-oauth-client-metadata", "@/missing.json"}),
            "Error: Could not read the static OAuth client metadata file /missing.json");
  EXPECT_EQ(Fatal({"https://example.com/mcp", "--static-oauth-client-metadata", "{scope: 1}"}),
            "Error: Could not parse the static OAuth client metadata as JSON");
  EXPECT_EQ(Fatal({"https://example.com/mcp", "--static-oauth-client-metadata", "[]"}),
            "Error: The static OAuth client metadata must be a JSON object");
}

TEST_F(OptionsTest, StaticClientInfoExpandsVarsAndMakesPortStrict) {
  vars_["SECRET"] = "s3cret";
  ASSERT_EQ(ParseWith({"--static-oauth-client-info", R"({"client_id":"id","client_secret":"${SECRET}"})"}).action,
            Action::kRun);
  EXPECT_EQ(opts_.static_oauth_client_info, R"({"client_id":"id","client_secret":"s3cret"})");
  EXPECT_TRUE(opts_.callback_port_strict);
  files_["/c.json"] = R"({"client_id":"${NOPE}"})";
  const ParseResult r = ParseWith({"--static-oauth-client-info", "@/c.json"});
  ASSERT_EQ(r.action, Action::kRun);
  EXPECT_EQ(opts_.static_oauth_client_info, R"({"client_id":"${NOPE}"})");
  EXPECT_EQ(r.warnings, Strings{"Warning: Environment variable 'NOPE' not found for static OAuth client information; "
                                "leaving ${NOPE} as it is."});
}

TEST_F(OptionsTest, StaticClientInfoFatalCases) {
  vars_["Q"] = "\"";
  EXPECT_EQ(Fatal({"https://example.com/mcp", "--static-oauth-client-info", "@/missing.json"}),
            "Error: Could not read the static OAuth client information file /missing.json");
  EXPECT_EQ(Fatal({"https://example.com/mcp", "--static-oauth-client-info", R"({"client_id":"${Q}"})"}),
            "Error: Could not parse the static OAuth client information as JSON after expanding its ${...} placeholders");
  EXPECT_EQ(Fatal({"https://example.com/mcp", "--static-oauth-client-info", "{"}),
            "Error: Could not parse the static OAuth client information as JSON");
}

TEST_F(OptionsTest, ClientMetadataUrlNeedsHttpsAndAPath) {
  ASSERT_EQ(ParseWith({"--client-metadata-url", " https://app.example.com/client.json "}).action, Action::kRun);
  EXPECT_EQ(opts_.client_metadata_url, "https://app.example.com/client.json");
  EXPECT_TRUE(opts_.callback_port_strict);
  for (const char* bad : {"https://app.example.com", "https://app.example.com/?x", "http://app.example.com/c.json", "junk"}) {
    const ParseResult r = ParseWith({"--client-metadata-url", bad});
    EXPECT_EQ(r.action, Action::kRun);
    EXPECT_TRUE(opts_.client_metadata_url.empty()) << bad;
    EXPECT_FALSE(opts_.callback_port_strict);
    EXPECT_EQ(r.warnings, Strings{"Warning: Ignoring invalid client metadata URL: " + std::string(bad) +
                                  ". It must be an HTTPS URL with a path."});
  }
}

TEST_F(OptionsTest, TokenEndpointOnlyWithClientCredentials) {
  EXPECT_EQ(Fatal({"https://example.com/mcp", "--token-endpoint", "https://as.test/token"}),
            "Error: --token-endpoint can only be used with --client-credentials");
  ASSERT_EQ(ParseWith({"--client-credentials", "--token-endpoint", " https://AS.test:443/token "}).action, Action::kRun);
  EXPECT_EQ(opts_.token_endpoint, "https://as.test/token");
  ASSERT_EQ(ParseWith({"--client-credentials", "--token-endpoint", "http://127.0.0.1:9000/token"}).action, Action::kRun);
  EXPECT_EQ(opts_.token_endpoint, "http://127.0.0.1:9000/token");
}

TEST_F(OptionsTest, TokenEndpointFatalCases) {
  const std::pair<Strings, std::string> cases[] = {
      {{"--client-credentials", "--token-endpoint"}, "Error: --token-endpoint requires an HTTPS URL"},
      {{"--client-credentials", "--token-endpoint", "--debug"}, "Error: --token-endpoint requires an HTTPS URL"},
      {{"--client-credentials", "--token-endpoint", "not a url"},
       "Error: Invalid --token-endpoint value. Expected an HTTPS URL."},
      {{"--client-credentials", "--token-endpoint", "http://as.test/token"},
       "Error: --token-endpoint must use HTTPS, except for an HTTP loopback endpoint"},
      {{"--client-credentials", "--token-endpoint", "http://as.test/token", "--allow-http"},
       "Error: --token-endpoint must use HTTPS, except for an HTTP loopback endpoint"},
      {{"--client-credentials", "--token-endpoint", "https://u:p@as.test/token"},
       "Error: --token-endpoint must not contain credentials or a URL fragment"},
      {{"--client-credentials", "--token-endpoint", "https://as.test/token#x"},
       "Error: --token-endpoint must not contain credentials or a URL fragment"},
  };
  for (const auto& [flags, message] : cases) {
    Strings args = flags;
    args.insert(args.begin(), "https://example.com/mcp");
    EXPECT_EQ(Fatal(args), message) << flags.back();
  }
}

TEST_F(OptionsTest, FatalErrorsComeInNpmOrderAndBeforeTheUrlCheck) {
  // --auth-success-url is checked before --token-endpoint, and both before
  // the missing/invalid server URL.
  EXPECT_EQ(Fatal({"--token-endpoint", "https://as.test/t", "--auth-success-url", "http://x.test/"}), kAuthSuccessError);
  EXPECT_EQ(Fatal({"--token-endpoint", "https://as.test/t"}),
            "Error: --token-endpoint can only be used with --client-credentials");
}

// ---- tools ------------------------------------------------------------------

TEST_F(OptionsTest, IgnoreAndAllowToolAreRepeatable) {
  ASSERT_EQ(ParseWith({"--ignore-tool", "delete_*", "--allow-tool", "read*", "--ignore-tool", "admin",
                       "--allow-tool", "list*"})
                .action,
            Action::kRun);
  EXPECT_EQ(opts_.ignore_tools, (Strings{"delete_*", "admin"}));
  EXPECT_EQ(opts_.allow_tools, (Strings{"read*", "list*"}));
}

TEST_F(OptionsTest, CallIsClientOnlyWithOptionalJsonArguments) {
  ASSERT_EQ(ParseWith({"--call", "echo", R"({"text":"hi"})"}, "mcp-remote-client").action, Action::kRun);
  EXPECT_EQ(opts_.call_tool, "echo");
  EXPECT_EQ(opts_.call_arguments, R"({"text":"hi"})");
  ASSERT_EQ(ParseWith({"--call", "echo", "--debug"}, "mcp-remote-client").action, Action::kRun);
  EXPECT_EQ(opts_.call_tool, "echo");
  EXPECT_EQ(opts_.call_arguments, "{}");
  ASSERT_EQ(ParseWith({"--call", "echo"}).action, Action::kRun);  // the proxy does not know --call
  EXPECT_TRUE(opts_.call_tool.empty());
  const ParseResult r = ParseWith({"--call"}, "mcp-remote-client");
  EXPECT_EQ(r.action, Action::kError);
  EXPECT_NE(r.message.find("--call requires a tool name"), std::string::npos);
}

TEST(ToolGlobTest, CaseInsensitiveAndAnchored) {
  EXPECT_TRUE(ToolGlobMatch("Read_File", "read_file"));
  EXPECT_FALSE(ToolGlobMatch("read", "read_file"));
  EXPECT_FALSE(ToolGlobMatch("file", "read_file"));
  EXPECT_TRUE(ToolGlobMatch("*FILE", "read_file"));
  EXPECT_TRUE(ToolGlobMatch("read*", "read"));  // '*' matches nothing too
  EXPECT_TRUE(ToolGlobMatch("*", ""));
  EXPECT_TRUE(ToolGlobMatch("a*b*c", "aXbYbc"));
  EXPECT_FALSE(ToolGlobMatch("a*b*c", "aXbYbcd"));
}

TEST(ToolGlobTest, OnlyStarIsSpecial) {
  EXPECT_FALSE(ToolGlobMatch("a.b", "axb"));
  EXPECT_TRUE(ToolGlobMatch("a.b", "A.B"));
  EXPECT_FALSE(ToolGlobMatch("a?c", "abc"));
  EXPECT_TRUE(ToolGlobMatch("[ab]+", "[ab]+"));
  EXPECT_FALSE(ToolGlobMatch("[ab]", "a"));
  EXPECT_TRUE(ToolGlobMatch("x$^(y)|\\", "x$^(y)|\\"));
}

TEST(ToolGlobTest, StarDoesNotCrossLineTerminators) {
  // The regex '.' npm builds from '*' stops at line terminators.
  EXPECT_FALSE(ToolGlobMatch("*", "a\nb"));
  EXPECT_FALSE(ToolGlobMatch("a*b", "a\xE2\x80\xA8" "b"));
  EXPECT_TRUE(ToolGlobMatch("a*\n*b", "aX\nYb"));
}

TEST(ToolGlobTest, ToolAllowedCombinesAllowAndIgnore) {
  Options o;
  EXPECT_TRUE(ToolAllowed(o, "anything"));
  o.ignore_tools = {"delete_*"};
  EXPECT_FALSE(ToolAllowed(o, "Delete_Repo"));
  EXPECT_TRUE(ToolAllowed(o, "read_repo"));
  o.allow_tools = {"*_repo"};
  EXPECT_TRUE(ToolAllowed(o, "read_repo"));
  EXPECT_FALSE(ToolAllowed(o, "delete_repo"));  // --ignore-tool still removes
  EXPECT_FALSE(ToolAllowed(o, "read_issue"));   // not allowed
}

// ---- the real environment ---------------------------------------------------

TEST(SystemParseEnvOptionsTest, ReadsFilesAndEnvironment) {
  const ParseEnv env = SystemParseEnv();
  const auto dir = std::filesystem::temp_directory_path();
  const auto path = dir / ("mcpr_options_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  {
    std::ofstream f(path, std::ios::binary);
    f << "A: 1\r\n";
  }
  EXPECT_EQ(env.read_file(path.string()), "A: 1\r\n");
  std::filesystem::remove(path);
  EXPECT_FALSE(env.read_file(path.string()).has_value());
  EXPECT_FALSE(env.read_file(dir.string()).has_value());
  EXPECT_FALSE(env.getenv("MCPR_SURELY_UNSET_VARIABLE_4711").has_value());
  EXPECT_TRUE(env.getenv("PATH").has_value());
}

}  // namespace
}  // namespace mcpr
