// libFuzzer target for the files TokenStore reads back (token_store.h):
// tokens.json, client_info.json, discovery_state_<state>.json and the
// refresh lease. Anything may sit in those files (npm mcp-remote writes the
// same directory, users edit it, a crash can truncate it), so each file is
// given the fuzz input verbatim, in an in-memory FileSystem (the
// FakeFileSystem of token_store_test.cc, cut down). Properties:
//  - nothing crashes (ASan/UBSan), whatever the bytes;
//  - tokens.json: HasUsableTokens implies Load succeeds; a Restamp of what
//    Load returned reads back with the same fields (issuer and
//    requested_scope as given, expires_at kept), and from the second
//    Restamp on the output is byte-identical (a fixed point); a Save of a
//    TokenResponse built from the loaded fields, both from raw_json and from
//    the struct (raw_json empty), reads back with the same fields;
//  - client_info.json: SaveClientInfo accepts whatever LoadClientInfo
//    accepted, reads back with the same fields and is byte-stable;
//    LoadClientInfoFor follows the issuer rule (equal, or equal but for one
//    trailing slash; no issuer stamp matches everything);
//  - discovery_state: SaveDiscoveryState accepts what LoadDiscoveryState
//    returned and it reads back identically; invalid states are refused;
//  - lease: TryAcquireLease over a lease file holding the input (fresh and
//    old mtime) either takes it (the file then holds FormatLease(pid, nonce,
//    now), ReleaseLease removes it) or is denied as kHeldByOther with the
//    file untouched and LeaseHeldByOther true; no temp files are left.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filesystem.h"
#include "log.h"
#include "oauth_messages.h"
#include "token_store.h"

namespace {

constexpr char kDir[] = "/cfg/mcp-remote-v1";
constexpr char kHash[] = "0123456789abcdef0123456789abcdef";
constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kPid = 4242;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

class FakeFs : public mcpr::FileSystem {
 public:
  struct File {
    std::string data;
    int64_t mtime_ms = 0;
  };
  std::map<std::string, File> files;
  std::map<std::string, int> dirs;
  int64_t now_ms = kNow;

  std::optional<std::string> ReadFile(const std::string& path, mcpr::FsStatus* st) override {
    auto it = files.find(path);
    if (it == files.end()) return Fail(st, ENOENT, path);
    *st = mcpr::FsStatus{};
    return it->second.data;
  }
  bool WriteFileAtomic(const std::string& path, std::string_view data, mcpr::FsStatus* st, int) override {
    if (!dirs.count(Parent(path))) {
      Fail(st, ENOENT, path);
      return false;
    }
    files[path] = File{std::string(data), now_ms};
    *st = mcpr::FsStatus{};
    return true;
  }
  bool CreateExclusive(const std::string& path, std::string_view data, mcpr::FsStatus* st) override {
    if (files.count(path)) {
      Fail(st, EEXIST, path);
      return false;
    }
    return WriteFileAtomic(path, data, st, 0600);
  }
  bool Rename(const std::string& from, const std::string& to, mcpr::FsStatus* st) override {
    auto it = files.find(from);
    if (it == files.end()) {
      Fail(st, ENOENT, from);
      return false;
    }
    File f = it->second;
    files.erase(it);
    files[to] = std::move(f);
    *st = mcpr::FsStatus{};
    return true;
  }
  bool Remove(const std::string& path, mcpr::FsStatus* st) override {
    if (!files.erase(path)) {
      Fail(st, ENOENT, path);
      return false;
    }
    *st = mcpr::FsStatus{};
    return true;
  }
  std::optional<std::vector<std::string>> ListDir(const std::string& dir, mcpr::FsStatus* st) override {
    if (!dirs.count(dir)) return Fail(st, ENOENT, dir);
    std::vector<std::string> names;
    for (const auto& [path, file] : files) {
      if (Parent(path) == dir) names.push_back(path.substr(dir.size() + 1));
    }
    *st = mcpr::FsStatus{};
    return names;
  }
  bool MakeDirs(const std::string& path, mcpr::FsStatus* st, int mode) override {
    for (std::string p = path; p.size() > 1; p = Parent(p)) dirs.emplace(p, mode);
    *st = mcpr::FsStatus{};
    return true;
  }
  std::optional<int64_t> ModifiedTimeMs(const std::string& path, mcpr::FsStatus* st) override {
    auto it = files.find(path);
    if (it == files.end()) return Fail(st, ENOENT, path);
    *st = mcpr::FsStatus{};
    return it->second.mtime_ms;
  }
  // Deterministic liveness so both "holder alive" and "holder dead" happen.
  bool ProcessAlive(int64_t p) override { return p == kPid || (p > 0 && p % 2 == 0); }
  int64_t CurrentPid() override { return kPid; }

  void Put(std::string_view name, std::string_view data, int64_t mtime_ms) {
    dirs.emplace("/cfg", 0700);
    dirs.emplace(kDir, 0700);
    files[Path(name)] = File{std::string(data), mtime_ms};
  }
  std::optional<std::string> Get(std::string_view name) const {
    auto it = files.find(Path(name));
    if (it == files.end()) return std::nullopt;
    return it->second.data;
  }
  static std::string Path(std::string_view name) {
    return std::string(kDir) + "/" + kHash + "_" + std::string(name);
  }

 private:
  static std::string Parent(const std::string& p) { return p.substr(0, p.rfind('/')); }
  static std::nullopt_t Fail(mcpr::FsStatus* st, int err, const std::string& path) {
    st->Set(err, path + ": errno " + std::to_string(err));
    return std::nullopt;
  }
};

struct Env {
  FakeFs fs;
  mcpr::Logger log;
  std::string logs;
  mcpr::TokenStore store{fs, log, kDir, kHash};
  Env() {
    log.CaptureForTest(&logs);
    log.set_debug(true);  // exercise the debug messages too (captured, not printed)
  }
};

bool SameTokenFields(const mcpr::StoredTokens& a, const mcpr::StoredTokens& b) {
  return a.access_token == b.access_token && a.token_type == b.token_type && a.refresh_token == b.refresh_token &&
         a.id_token == b.id_token && a.scope == b.scope && a.expires_in == b.expires_in;
}

std::optional<std::string> NonEmpty(const std::optional<std::string>& s) {
  if (s && !s->empty()) return s;
  return std::nullopt;
}

void FuzzTokens(std::string_view input) {
  Env e;
  e.fs.Put("tokens.json", input, kNow);
  const std::optional<mcpr::StoredTokens> t = e.store.Load();
  const bool usable = e.store.HasUsableTokens(kNow);
  Check(!usable || t.has_value(), "HasUsableTokens implies Load");
  Check(e.store.Load().has_value() == t.has_value(), "Load is repeatable");
  if (!t) return;
  Check(t->raw_json == input, "raw_json is the file");

  // Restamp: the SDK's re-stamp of what was loaded.
  const std::string issuer = t->issuer.value_or("https://as.example.com");
  const std::optional<std::string> requested = t->requested_scope;
  Check(e.store.Restamp(*t, issuer, requested, kNow), "Restamp writes");
  const std::optional<std::string> first = e.fs.Get("tokens.json");
  const std::optional<mcpr::StoredTokens> t2 = e.store.Load();
  Check(t2.has_value(), "Restamp output loads");
  Check(SameTokenFields(*t, *t2), "Restamp keeps the token fields");
  Check(t2->issuer == issuer, "Restamp sets the issuer");
  Check(t2->requested_scope == requested, "Restamp keeps requested_scope");
  if (t->expires_at_ms) Check(t2->expires_at_ms == t->expires_at_ms, "Restamp keeps expires_at");
  if (t->expires_in && *t->expires_in != 0) Check(t2->expires_at_ms.has_value(), "Restamp derives expires_at");
  // The first Restamp may move keys (schema order on read; a derived
  // expires_at is appended after issuer, as npm's spread does), so the
  // fixed point is reached from the second one on.
  (void)first;
  Check(e.store.Restamp(*t2, issuer, requested, kNow), "second Restamp writes");
  const std::optional<std::string> second = e.fs.Get("tokens.json");
  const std::optional<mcpr::StoredTokens> t2r = e.store.Load();
  Check(t2r && SameTokenFields(*t2, *t2r) && t2r->issuer == issuer && t2r->requested_scope == requested &&
            t2r->expires_at_ms == t2->expires_at_ms,
        "second Restamp keeps every field");
  Check(e.store.Restamp(*t2r, issuer, requested, kNow), "third Restamp writes");
  Check(e.fs.Get("tokens.json") == second, "Restamp is a fixed point");
  // A hand-built StoredTokens (raw_json not JSON) takes the struct path.
  mcpr::StoredTokens hand = *t2;
  hand.raw_json = "not json";
  Check(e.store.Restamp(hand, issuer, requested, kNow), "Restamp from fields writes");
  const std::optional<mcpr::StoredTokens> t2b = e.store.Load();
  Check(t2b && SameTokenFields(*t2, *t2b) && t2b->issuer == issuer && t2b->requested_scope == requested &&
            t2b->expires_at_ms == t2->expires_at_ms,
        "Restamp from fields round-trips");

  // Save of a token response rebuilt from what was loaded.
  mcpr::TokenResponse r;
  r.access_token = t->access_token;
  r.token_type = t->token_type;
  r.refresh_token = t->refresh_token.value_or("");
  r.id_token = t->id_token.value_or("");
  r.scope = t->scope.value_or("");
  r.expires_in = t->expires_in;
  r.raw_json = t->raw_json;  // the schema view of the file: the six response fields survive exactly
  Check(e.store.Save(r, kNow, t->requested_scope, t->issuer), "Save (raw_json) writes");
  const std::optional<mcpr::StoredTokens> t3 = e.store.Load();
  Check(t3.has_value(), "Save (raw_json) output loads");
  Check(SameTokenFields(*t, *t3), "Save (raw_json) keeps the token fields");
  Check(t3->issuer == t->issuer && t3->requested_scope == t->requested_scope, "Save (raw_json) stamps");

  r.raw_json.clear();  // the struct path: an empty string counts as absent
  Check(e.store.Save(r, kNow, t->requested_scope, t->issuer), "Save (fields) writes");
  const std::optional<mcpr::StoredTokens> t4 = e.store.Load();
  Check(t4.has_value(), "Save (fields) output loads");
  Check(t4->access_token == t->access_token && t4->token_type == t->token_type &&
            t4->refresh_token == NonEmpty(t->refresh_token) && t4->id_token == NonEmpty(t->id_token) &&
            t4->scope == NonEmpty(t->scope) && t4->expires_in == t->expires_in,
        "Save (fields) keeps the token fields");
  Check(t4->issuer == t->issuer && t4->requested_scope == t->requested_scope, "Save (fields) stamps");
  if (t4->expires_in && *t4->expires_in != 0) {
    Check(t4->expires_at_ms.has_value(), "Save (fields) derives expires_at");
  }
}

bool IssuersMatch(std::string_view a, std::string_view b) {
  if (a == b) return true;
  if (!a.empty() && a.back() == '/' && a.substr(0, a.size() - 1) == b) return true;
  return !b.empty() && b.back() == '/' && b.substr(0, b.size() - 1) == a;
}

bool SameClientFields(const mcpr::StoredClientInfo& a, const mcpr::StoredClientInfo& b) {
  return a.client_id == b.client_id && a.client_secret == b.client_secret &&
         a.token_endpoint_auth_method == b.token_endpoint_auth_method && a.scope == b.scope &&
         a.redirect_uris == b.redirect_uris && a.issuer == b.issuer;
}

void FuzzClientInfo(std::string_view input) {
  Env e;
  e.fs.Put("client_info.json", input, kNow);
  const std::optional<mcpr::StoredClientInfo> c = e.store.LoadClientInfo();
  const std::string other = "https://other.example/";
  const std::optional<mcpr::StoredClientInfo> c_other = e.store.LoadClientInfoFor(other);
  if (!c) {
    Check(!c_other.has_value(), "LoadClientInfoFor without a file");
    return;
  }
  Check(c->raw_json == input, "raw_json is the file");
  Check(c_other.has_value() == (!c->issuer || IssuersMatch(*c->issuer, other)), "issuer rule (other)");
  if (c->issuer) {
    Check(e.store.LoadClientInfoFor(*c->issuer).has_value(), "own issuer matches");
    Check(e.store.LoadClientInfoFor(*c->issuer + "/").has_value(), "trailing slash matches");
    Check(e.store.LoadClientInfoFor(*c->issuer + "//").has_value() == IssuersMatch(*c->issuer, *c->issuer + "//"),
          "issuer rule (two slashes)");
  }

  Check(e.store.SaveClientInfo(c->raw_json), "SaveClientInfo accepts what LoadClientInfo accepted");
  const std::optional<std::string> first = e.fs.Get("client_info.json");
  const std::optional<mcpr::StoredClientInfo> c2 = e.store.LoadClientInfo();
  Check(c2.has_value(), "saved client info loads");
  Check(SameClientFields(*c, *c2), "client info round-trips");
  Check(e.store.SaveClientInfo(c2->raw_json), "second SaveClientInfo");
  Check(e.fs.Get("client_info.json") == first, "SaveClientInfo is a fixed point");
}

void FuzzDiscovery(std::string_view input) {
  Env e;
  e.fs.Put("discovery_state_fuzz-state.json", input, kNow);
  e.fs.Put("discovery_state_.json", input, kNow);
  Check(!e.store.LoadDiscoveryState("").has_value(), "empty state refused");
  Check(!e.store.LoadDiscoveryState("../x").has_value(), "path state refused");
  const std::optional<mcpr::DiscoveryState> d = e.store.LoadDiscoveryState("fuzz-state");
  if (!d) return;
  Check(e.store.SaveDiscoveryState("Other-State-2", *d), "SaveDiscoveryState accepts what was loaded");
  const std::optional<std::string> first = e.fs.Get("discovery_state_Other-State-2.json");
  const std::optional<mcpr::DiscoveryState> d2 = e.store.LoadDiscoveryState("Other-State-2");
  Check(d2.has_value(), "saved discovery state loads");
  Check(d2->authorization_server_url == d->authorization_server_url &&
            d2->resource_metadata_url == d->resource_metadata_url &&
            d2->resource_metadata_json == d->resource_metadata_json &&
            d2->authorization_server_metadata_json == d->authorization_server_metadata_json,
        "discovery state round-trips");
  Check(e.store.SaveDiscoveryState("Other-State-2", *d2), "second SaveDiscoveryState");
  Check(e.fs.Get("discovery_state_Other-State-2.json") == first, "SaveDiscoveryState is a fixed point");
}

void FuzzLease(std::string_view input, int64_t mtime_ms) {
  Env e;
  e.fs.Put("refresh_in_progress.json", input, mtime_ms);
  mcpr::TokenStore::LeaseDenial why = mcpr::TokenStore::LeaseDenial::kStoreUnusable;
  const std::optional<std::string> nonce = e.store.TryAcquireLease(kNow, &why);
  if (nonce) {
    Check(!nonce->empty(), "nonce");
    Check(e.fs.Get("refresh_in_progress.json") == mcpr::TokenStore::FormatLease(kPid, *nonce, kNow),
          "acquired lease holds our record");
    Check(e.fs.files.size() == 1, "only the lease is left");
    Check(!e.store.LeaseHeldByOther(kNow), "our lease is not another's");
    Check(e.store.ReleaseLease(*nonce), "ReleaseLease");
    Check(e.fs.files.empty(), "released lease is gone");
  } else {
    Check(why == mcpr::TokenStore::LeaseDenial::kHeldByOther, "denied as held by other");
    Check(e.fs.Get("refresh_in_progress.json") == std::string(input), "a live lease is untouched");
    Check(e.fs.files.size() == 1, "no temp files left");
    Check(e.store.LeaseHeldByOther(kNow), "denial means held by other");
    Check(!e.store.ReleaseLease("not-the-nonce") || input.find("not-the-nonce") != std::string_view::npos,
          "ReleaseLease needs the nonce");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  FuzzTokens(input);
  FuzzClientInfo(input);
  FuzzDiscovery(input);
  FuzzLease(input, kNow);           // inside the write grace period
  FuzzLease(input, kNow - 60'000);  // old enough to be abandoned
  return 0;
}
