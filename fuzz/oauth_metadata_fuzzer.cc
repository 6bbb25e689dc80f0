// libFuzzer target for the discovery helpers in oauth_metadata.h.
// Input: "<a>\n<b>\n<json>" (missing parts are empty).
//  - ParsePrm / ParseAuthServerMetadata(json, expected = a) never crash; on
//    success: authorization_servers non-empty and each an http(s) URL;
//    issuer == a exactly (strict mode), token_endpoint set, every endpoint
//    an http(s) URL that is https or loopback; the lax trailing-slash mode
//    accepts everything strict mode accepts.
//  - ResourceMatches(x, x) holds for every http(s) URL x without fragment,
//    and a match implies same origin.
//  - Every URL from ProtectedResourceMetadataUrls / AuthServerMetadataUrls /
//    LegacyDefaultMetadata parses and is already in normalized form.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "oauth_metadata.h"
#include "url.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

void CheckNormalized(const std::string& url, const char* what) {
  std::string norm;
  Check(mcpr::NormalizeUrl(url, &norm, nullptr), what);
  if (norm != url) {
    std::fprintf(stderr, "not normalized: %s -> %s\n", url.c_str(), norm.c_str());
    std::abort();
  }
}

void CheckEndpoint(const std::string& url) {
  if (url.empty()) return;
  mcpr::ParsedUrl parsed;
  Check(mcpr::ParseUrl(url, &parsed, nullptr), "endpoint parses");
  Check(!parsed.has_fragment, "endpoint has no fragment");
  Check(parsed.scheme == "https" || mcpr::IsLoopbackHost(parsed.host), "endpoint is secure");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nl1 = input.find('\n');
  const std::string a(input.substr(0, nl1));
  std::string b;
  std::string json;
  if (nl1 != std::string_view::npos) {
    const std::string_view rest = input.substr(nl1 + 1);
    const std::size_t nl2 = rest.find('\n');
    b = std::string(rest.substr(0, nl2));
    if (nl2 != std::string_view::npos) json = std::string(rest.substr(nl2 + 1));
  }

  mcpr::ProtectedResourceMetadata prm;
  std::string err;
  if (mcpr::ParsePrm(json, &prm, &err)) {
    Check(!prm.resource.empty(), "resource");
    Check(!prm.authorization_servers.empty(), "authorization_servers");
    for (const std::string& as : prm.authorization_servers) {
      mcpr::ParsedUrl u;
      Check(mcpr::ParseUrl(as, &u, nullptr), "AS is a URL");
    }
    Check(prm.has_scopes_supported || prm.scopes_supported.empty(), "scopes flag");
  } else {
    Check(!err.empty(), "PRM error message");
  }

  mcpr::AuthServerMetadata md;
  err.clear();
  if (mcpr::ParseAuthServerMetadata(json, a, &md, &err)) {
    Check(md.issuer == a, "issuer identical");
    Check(!md.token_endpoint.empty(), "token endpoint");
    for (const std::string* e : {&md.authorization_endpoint, &md.token_endpoint,
                                 &md.registration_endpoint, &md.device_authorization_endpoint,
                                 &md.revocation_endpoint}) {
      CheckEndpoint(*e);
    }
    Check(md.raw_json == json, "raw json");
    mcpr::AsMetadataOptions lax;
    lax.allow_issuer_trailing_slash = true;
    mcpr::AuthServerMetadata md2;
    Check(mcpr::ParseAuthServerMetadata(json, a, &md2, &err, lax), "lax accepts strict");
  } else {
    Check(!err.empty(), "AS error message");
  }

  mcpr::ParsedUrl pa;
  mcpr::ParsedUrl pb;
  const bool a_ok = mcpr::ParseUrl(a, &pa, nullptr);
  const bool b_ok = mcpr::ParseUrl(b, &pb, nullptr);
  if (a_ok && !pa.has_fragment) Check(mcpr::ResourceMatches(a, a), "reflexive");
  if (mcpr::ResourceMatches(a, b)) {
    Check(a_ok && b_ok && mcpr::Origin(pa) == mcpr::Origin(pb), "match implies same origin");
  }

  for (const std::string& u : mcpr::ProtectedResourceMetadataUrls(a, b)) {
    CheckNormalized(u, "PRM URL parses");
  }
  const auto as_urls = mcpr::AuthServerMetadataUrls(a);
  Check(as_urls.empty() || as_urls.size() == 2 || as_urls.size() == 3, "AS URL count");
  for (const std::string& u : as_urls) CheckNormalized(u, "AS URL parses");
  const mcpr::AuthServerMetadata legacy = mcpr::LegacyDefaultMetadata(a);
  Check(legacy.issuer.empty() == !a_ok, "legacy iff URL");
  if (a_ok) {
    CheckNormalized(legacy.authorization_endpoint, "legacy authorize");
    CheckNormalized(legacy.token_endpoint, "legacy token");
    CheckNormalized(legacy.registration_endpoint, "legacy register");
  }
  return 0;
}
