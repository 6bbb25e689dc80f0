#include "oauth_metadata.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mcpr {
namespace {

using Urls = std::vector<std::string>;

// ---- ProtectedResourceMetadataUrls ----

TEST(PrmUrlsTest, PathInsertionThenRoot) {
  EXPECT_EQ(ProtectedResourceMetadataUrls("https://mcp.example.com/mcp", ""),
            (Urls{"https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
                  "https://mcp.example.com/.well-known/oauth-protected-resource"}));
}

TEST(PrmUrlsTest, RootServerOnlyRoot) {
  const Urls root{"https://mcp.example.com/.well-known/oauth-protected-resource"};
  EXPECT_EQ(ProtectedResourceMetadataUrls("https://mcp.example.com", ""), root);
  EXPECT_EQ(ProtectedResourceMetadataUrls("https://mcp.example.com/", ""), root);
}

TEST(PrmUrlsTest, TrailingSlashRemovedOnce) {
  EXPECT_EQ(ProtectedResourceMetadataUrls("https://h/a/b/", ""),
            (Urls{"https://h/.well-known/oauth-protected-resource/a/b",
                  "https://h/.well-known/oauth-protected-resource"}));
  // "//" minus one slash is "/": treated as the root (as npm does).
  EXPECT_EQ(ProtectedResourceMetadataUrls("https://h//", ""),
            (Urls{"https://h/.well-known/oauth-protected-resource"}));
}

TEST(PrmUrlsTest, HeaderUrlFirst) {
  EXPECT_EQ(ProtectedResourceMetadataUrls("http://localhost:3000/mcp",
                                          "http://localhost:3000/custom/metadata/location.json"),
            (Urls{"http://localhost:3000/custom/metadata/location.json",
                  "http://localhost:3000/.well-known/oauth-protected-resource/mcp",
                  "http://localhost:3000/.well-known/oauth-protected-resource"}));
}

TEST(PrmUrlsTest, HeaderUrlEqualToWellKnownIsNotRepeated) {
  EXPECT_EQ(ProtectedResourceMetadataUrls(
                "http://localhost:3000/mcp",
                "http://localhost:3000/.well-known/oauth-protected-resource/mcp"),
            (Urls{"http://localhost:3000/.well-known/oauth-protected-resource/mcp",
                  "http://localhost:3000/.well-known/oauth-protected-resource"}));
}

TEST(PrmUrlsTest, InvalidHeaderUrlIgnored) {
  const Urls want{"https://h/.well-known/oauth-protected-resource/mcp",
                  "https://h/.well-known/oauth-protected-resource"};
  EXPECT_EQ(ProtectedResourceMetadataUrls("https://h/mcp", "javascript:alert(1)"), want);
  EXPECT_EQ(ProtectedResourceMetadataUrls("https://h/mcp", "file:///etc/passwd"), want);
  EXPECT_EQ(ProtectedResourceMetadataUrls("https://h/mcp", "/relative"), want);
  EXPECT_EQ(ProtectedResourceMetadataUrls("https://h/mcp", "not a url"), want);
}

TEST(PrmUrlsTest, HeaderUrlNormalizedAndFragmentDropped) {
  EXPECT_EQ(ProtectedResourceMetadataUrls("https://h/", "HTTPS://Other.Example:443/x/../prm#frag"),
            (Urls{"https://other.example/prm", "https://h/.well-known/oauth-protected-resource"}));
}

TEST(PrmUrlsTest, QueryKeptOnPathInsertionOnly) {
  EXPECT_EQ(ProtectedResourceMetadataUrls("https://h:8443/mcp?key=abc#f", ""),
            (Urls{"https://h:8443/.well-known/oauth-protected-resource/mcp?key=abc",
                  "https://h:8443/.well-known/oauth-protected-resource"}));
}

TEST(PrmUrlsTest, BadServerUrl) {
  EXPECT_TRUE(ProtectedResourceMetadataUrls("ftp://h/mcp", "").empty());
  EXPECT_EQ(ProtectedResourceMetadataUrls("nope", "https://h/prm"), (Urls{"https://h/prm"}));
}

// ---- ParsePrm ----

TEST(ParsePrmTest, Full) {
  ProtectedResourceMetadata prm;
  std::string err;
  ASSERT_TRUE(ParsePrm(R"({"resource":"https://mcp.example.com/mcp",
      "authorization_servers":["https://auth.example.com/tenant1","https://b.example"],
      "scopes_supported":["mcp:basic","mcp:write"],"bearer_methods_supported":["header"]})",
                       &prm, &err))
      << err;
  EXPECT_EQ(prm.resource, "https://mcp.example.com/mcp");
  EXPECT_EQ(prm.authorization_servers,
            (Urls{"https://auth.example.com/tenant1", "https://b.example"}));
  EXPECT_TRUE(prm.has_scopes_supported);
  EXPECT_EQ(prm.scopes_supported, (Urls{"mcp:basic", "mcp:write"}));
}

TEST(ParsePrmTest, ScopesAbsentVersusEmpty) {
  ProtectedResourceMetadata prm;
  std::string err;
  ASSERT_TRUE(ParsePrm(R"({"resource":"https://h/","authorization_servers":["https://a"]})", &prm,
                       &err));
  EXPECT_FALSE(prm.has_scopes_supported);
  ASSERT_TRUE(ParsePrm(
      R"({"resource":"https://h/","authorization_servers":["https://a"],"scopes_supported":[]})",
      &prm, &err));
  EXPECT_TRUE(prm.has_scopes_supported);
  EXPECT_TRUE(prm.scopes_supported.empty());
}

TEST(ParsePrmTest, ResourceKeptExactlyAsPublished) {
  ProtectedResourceMetadata prm;
  std::string err;
  ASSERT_TRUE(ParsePrm(R"({"resource":"HTTPS://H.example/MCP/","authorization_servers":["https://a"]})",
                       &prm, &err));
  EXPECT_EQ(prm.resource, "HTTPS://H.example/MCP/");
}

TEST(ParsePrmTest, Errors) {
  const char* bad[] = {
      "",
      "[]",
      "not json",
      R"({"authorization_servers":["https://a"]})",                      // no resource
      R"({"resource":"","authorization_servers":["https://a"]})",        // empty resource
      R"({"resource":5,"authorization_servers":["https://a"]})",         // resource type
      R"({"resource":"https://h"})",                                     // no AS
      R"({"resource":"https://h","authorization_servers":[]})",          // empty AS list
      R"({"resource":"https://h","authorization_servers":"https://a"})", // not an array
      R"({"resource":"https://h","authorization_servers":[1]})",         // non-string
      R"j({"resource":"https://h","authorization_servers":["javascript:alert(1)"]})j",
      R"({"resource":"https://h","authorization_servers":["https://a"],"scopes_supported":"a b"})",
      R"({"resource":"https://h","authorization_servers":["https://a"],"scopes_supported":[null]})",
      R"({"resource":"https://h","authorization_servers":["https://a"]} trailing)",
  };
  for (const char* text : bad) {
    ProtectedResourceMetadata prm;
    prm.resource = "untouched";
    std::string err;
    EXPECT_FALSE(ParsePrm(text, &prm, &err)) << text;
    EXPECT_FALSE(err.empty()) << text;
    EXPECT_EQ(prm.resource, "untouched") << text;
  }
}

// ---- ResourceMatches ----

TEST(ResourceMatchesTest, Identical) {
  EXPECT_TRUE(ResourceMatches("https://mcp.example.com/mcp", "https://mcp.example.com/mcp"));
  EXPECT_TRUE(ResourceMatches("http://localhost:3000/mcp", "http://localhost:3000/mcp"));
}

TEST(ResourceMatchesTest, ConformanceResourceMismatchRejected) {
  EXPECT_FALSE(ResourceMatches("https://evil.example.com/mcp", "http://localhost:3000/mcp"));
  EXPECT_FALSE(ResourceMatches("https://evil.example.com/mcp", "https://mcp.example.com/mcp"));
}

TEST(ResourceMatchesTest, OriginPrefix) {
  EXPECT_TRUE(ResourceMatches("https://mcp.example.com", "https://mcp.example.com/mcp"));
  EXPECT_TRUE(ResourceMatches("https://mcp.example.com/", "https://mcp.example.com/a/b/c"));
}

TEST(ResourceMatchesTest, PathPrefixBySegments) {
  EXPECT_TRUE(ResourceMatches("https://h/api", "https://h/api/mcp"));
  EXPECT_FALSE(ResourceMatches("https://h/api", "https://h/apix/mcp"));
  EXPECT_FALSE(ResourceMatches("https://h/mcp", "https://h/mcpx"));
  EXPECT_FALSE(ResourceMatches("https://h/api/mcp", "https://h/api"));  // longer than the server
  EXPECT_FALSE(ResourceMatches("https://h/other", "https://h/mcp"));
}

TEST(ResourceMatchesTest, TrailingSlashEitherWay) {
  EXPECT_TRUE(ResourceMatches("https://h/mcp/", "https://h/mcp"));
  EXPECT_TRUE(ResourceMatches("https://h/mcp", "https://h/mcp/"));
}

TEST(ResourceMatchesTest, OriginComponentsMustMatch) {
  EXPECT_FALSE(ResourceMatches("http://h/mcp", "https://h/mcp"));
  EXPECT_FALSE(ResourceMatches("https://h:8443/mcp", "https://h/mcp"));
  EXPECT_TRUE(ResourceMatches("https://h:443/mcp", "https://h/mcp"));
  EXPECT_TRUE(ResourceMatches("https://H.Example/mcp", "https://h.example/mcp"));
  EXPECT_FALSE(ResourceMatches("https://sub.h/mcp", "https://h/mcp"));
  EXPECT_FALSE(ResourceMatches("https://h.evil/mcp", "https://h/mcp"));
}

TEST(ResourceMatchesTest, PathIsCaseSensitive) {
  EXPECT_FALSE(ResourceMatches("https://h/MCP", "https://h/mcp"));
}

TEST(ResourceMatchesTest, NormalizationAndQueries) {
  EXPECT_TRUE(ResourceMatches("https://h/a/../mcp", "https://h/mcp"));
  EXPECT_TRUE(ResourceMatches("https://h/mcp", "https://h/mcp?tenant=1"));
  EXPECT_TRUE(ResourceMatches("https://h/mcp?x=1", "https://h/mcp"));
  EXPECT_TRUE(ResourceMatches("https://h/mcp", "https://h/mcp#frag"));
}

TEST(ResourceMatchesTest, RejectsFragmentsAndNonUrls) {
  EXPECT_FALSE(ResourceMatches("https://h/mcp#x", "https://h/mcp"));
  EXPECT_FALSE(ResourceMatches("", "https://h/mcp"));
  EXPECT_FALSE(ResourceMatches("/mcp", "https://h/mcp"));
  EXPECT_FALSE(ResourceMatches("urn:example:mcp", "https://h/mcp"));
  EXPECT_FALSE(ResourceMatches("https://h/mcp", "garbage"));
}

// ---- AuthServerMetadataUrls ----

TEST(AsUrlsTest, IssuerWithPathSpecOrder) {
  // mcp-client-spec A.5 item 2; note: no root oauth-authorization-server
  // probe (conformance auth/metadata-var2 fails a client that makes one).
  EXPECT_EQ(AuthServerMetadataUrls("https://auth.example.com/tenant1"),
            (Urls{"https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
                  "https://auth.example.com/.well-known/openid-configuration/tenant1",
                  "https://auth.example.com/tenant1/.well-known/openid-configuration"}));
}

TEST(AsUrlsTest, IssuerWithoutPath) {
  const Urls want{"https://auth.example.com/.well-known/oauth-authorization-server",
                  "https://auth.example.com/.well-known/openid-configuration"};
  EXPECT_EQ(AuthServerMetadataUrls("https://auth.example.com"), want);
  EXPECT_EQ(AuthServerMetadataUrls("https://auth.example.com/"), want);
}

TEST(AsUrlsTest, TrailingSlashQueryAndPort) {
  EXPECT_EQ(AuthServerMetadataUrls("http://localhost:9000/realms/x/?q=1#f"),
            (Urls{"http://localhost:9000/.well-known/oauth-authorization-server/realms/x",
                  "http://localhost:9000/.well-known/openid-configuration/realms/x",
                  "http://localhost:9000/realms/x/.well-known/openid-configuration"}));
}

TEST(AsUrlsTest, Invalid) {
  EXPECT_TRUE(AuthServerMetadataUrls("").empty());
  EXPECT_TRUE(AuthServerMetadataUrls("data:text/plain,x").empty());
}

// ---- ParseAuthServerMetadata ----

constexpr const char* kConformanceAs = R"({
  "issuer":"http://localhost:4000/tenant1",
  "authorization_endpoint":"http://localhost:4000/tenant1/authorize",
  "token_endpoint":"http://localhost:4000/tenant1/token",
  "registration_endpoint":"http://localhost:4000/tenant1/register",
  "response_types_supported":["code"],
  "grant_types_supported":["authorization_code","refresh_token"],
  "code_challenge_methods_supported":["S256"],
  "token_endpoint_auth_methods_supported":["none"],
  "scopes_supported":["mcp:basic","offline_access"],
  "client_id_metadata_document_supported":true,
  "authorization_response_iss_parameter_supported":true})";

TEST(ParseAsMetadataTest, ConformanceShape) {
  AuthServerMetadata md;
  std::string err;
  ASSERT_TRUE(ParseAuthServerMetadata(kConformanceAs, "http://localhost:4000/tenant1", &md, &err))
      << err;
  EXPECT_EQ(md.issuer, "http://localhost:4000/tenant1");
  EXPECT_EQ(md.authorization_endpoint, "http://localhost:4000/tenant1/authorize");
  EXPECT_EQ(md.token_endpoint, "http://localhost:4000/tenant1/token");
  EXPECT_EQ(md.registration_endpoint, "http://localhost:4000/tenant1/register");
  EXPECT_EQ(md.device_authorization_endpoint, "");
  EXPECT_EQ(md.response_types_supported, (Urls{"code"}));
  EXPECT_EQ(md.grant_types_supported, (Urls{"authorization_code", "refresh_token"}));
  EXPECT_TRUE(md.has_code_challenge_methods);
  EXPECT_EQ(md.code_challenge_methods_supported, (Urls{"S256"}));
  EXPECT_EQ(md.token_endpoint_auth_methods_supported, (Urls{"none"}));
  EXPECT_TRUE(md.has_scopes_supported);
  EXPECT_EQ(md.scopes_supported, (Urls{"mcp:basic", "offline_access"}));
  EXPECT_TRUE(md.client_id_metadata_document_supported);
  EXPECT_TRUE(md.authorization_response_iss_parameter_supported);
  EXPECT_EQ(md.raw_json, kConformanceAs);
}

TEST(ParseAsMetadataTest, AbsentVersusEmptyCodeChallengeMethods) {
  AuthServerMetadata md;
  std::string err;
  ASSERT_TRUE(ParseAuthServerMetadata(
      R"({"issuer":"https://a","token_endpoint":"https://a/token"})", "https://a", &md, &err))
      << err;
  EXPECT_FALSE(md.has_code_challenge_methods);
  EXPECT_FALSE(md.has_scopes_supported);
  EXPECT_FALSE(md.client_id_metadata_document_supported);
  EXPECT_FALSE(md.authorization_response_iss_parameter_supported);
  EXPECT_EQ(md.authorization_endpoint, "");
  ASSERT_TRUE(ParseAuthServerMetadata(
      R"({"issuer":"https://a","token_endpoint":"https://a/token","code_challenge_methods_supported":[],"scopes_supported":[]})",
      "https://a", &md, &err))
      << err;
  EXPECT_TRUE(md.has_code_challenge_methods);
  EXPECT_TRUE(md.code_challenge_methods_supported.empty());
  EXPECT_TRUE(md.has_scopes_supported);
}

TEST(ParseAsMetadataTest, IssuerMustBeIdentical) {
  const std::string doc =
      R"({"issuer":"https://auth.example.com","token_endpoint":"https://auth.example.com/token"})";
  AuthServerMetadata md;
  std::string err;
  EXPECT_TRUE(ParseAuthServerMetadata(doc, "https://auth.example.com", &md, &err)) << err;
  EXPECT_FALSE(ParseAuthServerMetadata(doc, "https://auth.example.com/", &md, &err));
  EXPECT_NE(err.find("does not match"), std::string::npos) << err;
  EXPECT_FALSE(ParseAuthServerMetadata(doc, "https://AUTH.example.com", &md, &err));
  EXPECT_FALSE(ParseAuthServerMetadata(doc, "https://auth.example.com:443", &md, &err));
  EXPECT_FALSE(ParseAuthServerMetadata(doc, "https://evil.example.com", &md, &err));
}

TEST(ParseAsMetadataTest, TrailingSlashToleranceIsOptIn) {
  AsMetadataOptions lax;
  lax.allow_issuer_trailing_slash = true;
  AuthServerMetadata md;
  std::string err;
  const std::string no_slash = R"({"issuer":"https://a.example","token_endpoint":"https://a.example/t"})";
  const std::string slash = R"({"issuer":"https://a.example/","token_endpoint":"https://a.example/t"})";
  EXPECT_TRUE(ParseAuthServerMetadata(no_slash, "https://a.example/", &md, &err, lax)) << err;
  EXPECT_TRUE(ParseAuthServerMetadata(slash, "https://a.example", &md, &err, lax)) << err;
  EXPECT_FALSE(ParseAuthServerMetadata(no_slash, "https://a.example//", &md, &err, lax));
  EXPECT_FALSE(ParseAuthServerMetadata(no_slash, "https://a.exampl", &md, &err, lax));
  EXPECT_FALSE(ParseAuthServerMetadata(no_slash, "https://a.example/", &md, &err));
}

TEST(ParseAsMetadataTest, EndpointsMustBeHttpsUnlessLoopback) {
  AuthServerMetadata md;
  std::string err;
  const std::string http_remote =
      R"({"issuer":"https://a","token_endpoint":"http://a.example/token"})";
  EXPECT_FALSE(ParseAuthServerMetadata(http_remote, "https://a", &md, &err));
  EXPECT_NE(err.find("token_endpoint"), std::string::npos) << err;
  AsMetadataOptions insecure;
  insecure.allow_insecure_http = true;
  EXPECT_TRUE(ParseAuthServerMetadata(http_remote, "https://a", &md, &err, insecure)) << err;
  for (const char* host : {"localhost", "127.0.0.1", "[::1]", "127.8.9.10"}) {
    const std::string doc = std::string(R"({"issuer":"i","token_endpoint":"http://)") + host +
                            R"(:1234/token","authorization_endpoint":"http://)" + host +
                            R"(/authorize"})";
    EXPECT_TRUE(ParseAuthServerMetadata(doc, "i", &md, &err)) << host << ": " << err;
  }
}

TEST(ParseAsMetadataTest, HostileEndpointsRejected) {
  const char* bad[] = {
      R"j({"issuer":"i","token_endpoint":"javascript:alert(1)"})j",
      R"({"issuer":"i","token_endpoint":"https://a/t","authorization_endpoint":"file:///etc/passwd"})",
      R"({"issuer":"i","token_endpoint":"https://a/t","registration_endpoint":"data:text/html,x"})",
      R"({"issuer":"i","token_endpoint":"https://a/t","revocation_endpoint":"ftp://a/r"})",
      R"({"issuer":"i","token_endpoint":"https://a/t","device_authorization_endpoint":"/relative"})",
      R"({"issuer":"i","token_endpoint":"https://a/t#frag"})",
      R"({"issuer":"i","token_endpoint":"https://a/t","authorization_endpoint":7})",
  };
  for (const char* text : bad) {
    AuthServerMetadata md;
    std::string err;
    EXPECT_FALSE(ParseAuthServerMetadata(text, "i", &md, &err)) << text;
    EXPECT_FALSE(err.empty());
  }
}

TEST(ParseAsMetadataTest, EndpointsStoredNormalized) {
  AuthServerMetadata md;
  std::string err;
  ASSERT_TRUE(ParseAuthServerMetadata(
      R"({"issuer":"i","token_endpoint":"HTTPS://A.Example:443/x/../token","authorization_endpoint":"https://a.example/authorize?tenant=1"})",
      "i", &md, &err))
      << err;
  EXPECT_EQ(md.token_endpoint, "https://a.example/token");
  EXPECT_EQ(md.authorization_endpoint, "https://a.example/authorize?tenant=1");
}

TEST(ParseAsMetadataTest, StructuralErrors) {
  const char* bad[] = {
      "",
      "null",
      R"(["issuer"])",
      R"({"token_endpoint":"https://a/t"})",                 // no issuer
      R"({"issuer":null,"token_endpoint":"https://a/t"})",   // issuer type
      R"({"issuer":"i"})",                                   // no token endpoint
      R"({"issuer":"i","token_endpoint":"https://a/t","scopes_supported":"a"})",
      R"({"issuer":"i","token_endpoint":"https://a/t","response_types_supported":[1]})",
      R"({"issuer":"i","token_endpoint":"https://a/t","code_challenge_methods_supported":{}})",
      R"({"issuer":"i","token_endpoint":"https://a/t","grant_types_supported":[true]})",
      R"({"issuer":"i","token_endpoint":"https://a/t","token_endpoint_auth_methods_supported":"none"})",
  };
  for (const char* text : bad) {
    AuthServerMetadata md;
    md.issuer = "untouched";
    std::string err;
    EXPECT_FALSE(ParseAuthServerMetadata(text, "i", &md, &err)) << text;
    EXPECT_FALSE(err.empty()) << text;
    EXPECT_EQ(md.issuer, "untouched") << text;
  }
}

TEST(ParseAsMetadataTest, BooleansOnlyWhenTrue) {
  AuthServerMetadata md;
  std::string err;
  ASSERT_TRUE(ParseAuthServerMetadata(
      R"({"issuer":"i","token_endpoint":"https://a/t","client_id_metadata_document_supported":"true","authorization_response_iss_parameter_supported":1})",
      "i", &md, &err))
      << err;
  EXPECT_FALSE(md.client_id_metadata_document_supported);
  EXPECT_FALSE(md.authorization_response_iss_parameter_supported);
}

TEST(ParseAsMetadataTest, UnknownMembersIgnored) {
  AuthServerMetadata md;
  std::string err;
  EXPECT_TRUE(ParseAuthServerMetadata(
      R"({"issuer":"i","token_endpoint":"https://a/t","jwks_uri":"https://a/jwks","x":{"deep":[1,2,{"a":null}]}})",
      "i", &md, &err))
      << err;
}

// ---- LegacyDefaultMetadata ----

TEST(LegacyDefaultMetadataTest, EndpointsAtTheOrigin) {
  const AuthServerMetadata md = LegacyDefaultMetadata("https://mcp.example.com:8443/v1/mcp?x=1");
  EXPECT_EQ(md.issuer, "https://mcp.example.com:8443");
  EXPECT_EQ(md.authorization_endpoint, "https://mcp.example.com:8443/authorize");
  EXPECT_EQ(md.token_endpoint, "https://mcp.example.com:8443/token");
  EXPECT_EQ(md.registration_endpoint, "https://mcp.example.com:8443/register");
  EXPECT_TRUE(md.has_code_challenge_methods);
  EXPECT_EQ(md.code_challenge_methods_supported, (Urls{"S256"}));
  EXPECT_EQ(md.response_types_supported, (Urls{"code"}));
  EXPECT_FALSE(md.has_scopes_supported);
  EXPECT_TRUE(md.raw_json.empty());
}

TEST(LegacyDefaultMetadataTest, DefaultPortDroppedAndInvalidInput) {
  EXPECT_EQ(LegacyDefaultMetadata("http://localhost:80/mcp").token_endpoint,
            "http://localhost/token");
  const AuthServerMetadata bad = LegacyDefaultMetadata("not a url");
  EXPECT_TRUE(bad.issuer.empty());
  EXPECT_TRUE(bad.token_endpoint.empty());
}

}  // namespace
}  // namespace mcpr
