#include "www_authenticate.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mcpr {
namespace {

// "scheme[token68]{k=v;k=v}|..." — a compact rendering for assertions.
std::string Render(std::string_view header) {
  std::string out;
  for (const AuthChallenge& c : ParseWwwAuthenticate(header)) {
    if (!out.empty()) out += "|";
    out += c.scheme;
    if (!c.token68.empty()) out += "[" + c.token68 + "]";
    out += "{";
    for (std::size_t i = 0; i < c.params.size(); ++i) {
      if (i != 0) out += ";";
      out += c.params[i].first + "=" + c.params[i].second;
    }
    out += "}";
  }
  return out;
}

TEST(WwwAuthenticateTest, SingleBearerWithQuotedParams) {
  EXPECT_EQ(Render(R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read files:write")"),
            "bearer{resource_metadata=https://mcp.example.com/.well-known/"
            "oauth-protected-resource/mcp;scope=files:read files:write}");
}

TEST(WwwAuthenticateTest, SchemeAndNamesAreLowercasedValuesAreNot) {
  EXPECT_EQ(Render(R"(BEARER Realm="MixedCase", ERROR=Invalid_Token)"),
            "bearer{realm=MixedCase;error=Invalid_Token}");
}

TEST(WwwAuthenticateTest, BareSchemes) {
  EXPECT_EQ(Render("Bearer"), "bearer{}");
  EXPECT_EQ(Render("Bearer, Basic"), "bearer{}|basic{}");
  EXPECT_EQ(Render("  Bearer  ,  ,Basic  "), "bearer{}|basic{}");
}

TEST(WwwAuthenticateTest, Rfc9110ExampleWithTwoChallenges) {
  // RFC 9110 §11.6.1 example: commas inside quoted strings and escaped quotes.
  EXPECT_EQ(Render(R"(Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple")"),
            R"(newauth{realm=apps;type=1;title=Login to "apps"}|basic{realm=simple})");
}

TEST(WwwAuthenticateTest, QuotedStringsKeepCommasAndEquals) {
  EXPECT_EQ(Render(R"(Bearer error_description="a, b = c", scope="x")"),
            "bearer{error_description=a, b = c;scope=x}");
}

TEST(WwwAuthenticateTest, BackslashEscapesResolve) {
  EXPECT_EQ(Render(R"(Bearer a="x\\y", b="\q\"")"), R"(bearer{a=x\y;b=q"})");
}

TEST(WwwAuthenticateTest, Token68) {
  EXPECT_EQ(Render("Basic dXNlcjpwYXNz"), "basic[dXNlcjpwYXNz]{}");
  EXPECT_EQ(Render("Negotiate abc+/==, Bearer realm=x"), "negotiate[abc+/==]{}|bearer{realm=x}");
  // "abc=" with nothing after '=' cannot be a parameter.
  EXPECT_EQ(Render("Foo abc="), "foo[abc=]{}");
  EXPECT_EQ(Render("Foo a=="), "foo[a==]{}");
}

TEST(WwwAuthenticateTest, BadWhitespaceAroundEquals) {
  EXPECT_EQ(Render("Bearer realm = \"x\" , scope\t=\ty"), "bearer{realm=x;scope=y}");
}

TEST(WwwAuthenticateTest, FirstOccurrenceWins) {
  EXPECT_EQ(Render(R"(Bearer scope="a", Scope="b", scope=c)"), "bearer{scope=a}");
}

TEST(WwwAuthenticateTest, EmptyQuotedValue) {
  EXPECT_EQ(Render(R"(Bearer scope="", error="x")"), "bearer{scope=;error=x}");
}

TEST(WwwAuthenticateTest, LenientUnquotedUrl) {
  // Not a token (':' and '/'), but servers send it; the SDK's regex takes it.
  EXPECT_EQ(Render("Bearer resource_metadata=https://x.example/.well-known/opr?a=b, scope=s"),
            "bearer{resource_metadata=https://x.example/.well-known/opr?a=b;scope=s}");
}

TEST(WwwAuthenticateTest, EmptyListElementsBetweenParams) {
  EXPECT_EQ(Render("Bearer a=1,,, b=2 ,"), "bearer{a=1;b=2}");
}

TEST(WwwAuthenticateTest, GarbageIsSkippedToTheNextComma) {
  EXPECT_EQ(Render(R"(Bearer realm="x" junk here, scope="s")"), "bearer{realm=x;scope=s}");
  EXPECT_EQ(Render(R"(@@@, Bearer scope="s")"), "bearer{scope=s}");
  EXPECT_EQ(Render(R"(Bearer=x, Basic realm="r")"), "basic{realm=r}");
  EXPECT_EQ(Render(R"(Bearer ju nk, scope="s")"), "bearer{scope=s}");
  // A quoted comma inside the garbage does not end it.
  EXPECT_EQ(Render(R"(Bearer realm="x" "y,z", scope="s")"), "bearer{realm=x;scope=s}");
}

TEST(WwwAuthenticateTest, UnterminatedQuoteDropsTheParameter) {
  EXPECT_EQ(Render(R"(Bearer scope="a, error=b)"), "bearer{}");
  // The quote closes before "b": scope is "a, error=" and "b" is garbage.
  EXPECT_EQ(Render(R"(Bearer scope="a, error="b)"), "bearer{scope=a, error=}");
  EXPECT_EQ(Render(R"(Bearer error="x", scope="abc\)"), "bearer{error=x}");
}

TEST(WwwAuthenticateTest, ControlCharacterInQuotedStringDropsTheParameter) {
  EXPECT_EQ(Render(std::string("Bearer a=\"x\x01y\", b=\"ok\"")), "bearer{b=ok}");
  EXPECT_EQ(Render("Bearer a=\"tab\there\""), "bearer{a=tab\there}");
  EXPECT_EQ(Render(std::string("Bearer a=\"x\\\x7f\", b=1")), "bearer{b=1}");
}

TEST(WwwAuthenticateTest, Token68ThenParamsStartsNoNewChallenge) {
  // After a token68 only another challenge may follow; "x=1" is not one.
  EXPECT_EQ(Render("Basic abc, x=1, Bearer"), "basic[abc]{}|bearer{}");
}

TEST(WwwAuthenticateTest, EmptyAndWhitespaceOnly) {
  EXPECT_TRUE(ParseWwwAuthenticate("").empty());
  EXPECT_TRUE(ParseWwwAuthenticate(" \t ,, ").empty());
  EXPECT_TRUE(ParseWwwAuthenticate("\"quoted\"").empty());
}

TEST(WwwAuthenticateTest, OverLongHeaderIsIgnored) {
  std::string header = "Bearer scope=\"" + std::string(kMaxWwwAuthenticateBytes, 'a') + "\"";
  EXPECT_TRUE(ParseWwwAuthenticate(header).empty());
  std::string fits = "Bearer scope=\"";
  fits += std::string(kMaxWwwAuthenticateBytes - fits.size() - 1, 'a') + "\"";
  ASSERT_EQ(fits.size(), kMaxWwwAuthenticateBytes);
  ASSERT_EQ(ParseWwwAuthenticate(fits).size(), 1u);
}

TEST(WwwAuthenticateTest, FindOnChallenge) {
  const auto challenges = ParseWwwAuthenticate(R"(Bearer scope="a b")");
  ASSERT_EQ(challenges.size(), 1u);
  ASSERT_NE(challenges[0].Find("scope"), nullptr);
  EXPECT_EQ(*challenges[0].Find("scope"), "a b");
  EXPECT_EQ(challenges[0].Find("Scope"), nullptr);  // names are stored lowercase
  EXPECT_EQ(challenges[0].Find("error"), nullptr);
}

TEST(FindBearerTest, ConformanceInsufficientScopeChallenge) {
  const BearerChallenge b = FindBearer(
      {R"(Bearer error="insufficient_scope", scope="mcp:basic mcp:write", resource_metadata="http://localhost:3000/.well-known/oauth-protected-resource/mcp", error_description="Scope upgrade will never succeed")"});
  EXPECT_TRUE(b.present);
  EXPECT_EQ(b.error, "insufficient_scope");
  EXPECT_EQ(b.scope, "mcp:basic mcp:write");
  EXPECT_EQ(b.resource_metadata,
            "http://localhost:3000/.well-known/oauth-protected-resource/mcp");
  EXPECT_EQ(b.error_description, "Scope upgrade will never succeed");
}

TEST(FindBearerTest, BearerAfterAnotherChallengeInTheSameHeader) {
  const BearerChallenge b = FindBearer({R"(Basic realm="r", Bearer scope="s")"});
  EXPECT_TRUE(b.present);
  EXPECT_EQ(b.scope, "s");
}

TEST(FindBearerTest, SeveralHeadersFirstBearerWins) {
  const BearerChallenge b = FindBearer({R"(Basic realm="r")", R"(Bearer scope="one")",
                                        R"(Bearer scope="two", error="e")"});
  EXPECT_TRUE(b.present);
  EXPECT_EQ(b.scope, "one");
  EXPECT_EQ(b.error, "");
}

TEST(FindBearerTest, NoBearer) {
  EXPECT_FALSE(FindBearer({}).present);
  EXPECT_FALSE(FindBearer({"Basic realm=x", "DPoP algs=\"ES256\""}).present);
  EXPECT_FALSE(FindBearer({"Bearerx scope=a"}).present);
}

TEST(FindBearerTest, BareBearerIsPresentWithEmptyFields) {
  const BearerChallenge b = FindBearer({"Bearer"});
  EXPECT_TRUE(b.present);
  EXPECT_EQ(b.scope, "");
  EXPECT_EQ(b.resource_metadata, "");
}

TEST(FindBearerTest, OverLongHeaderSkippedButOthersUsed) {
  const std::string huge = "Bearer scope=\"" + std::string(20000, 'x') + "\"";
  const BearerChallenge b = FindBearer({huge, R"(Bearer scope="small")"});
  EXPECT_TRUE(b.present);
  EXPECT_EQ(b.scope, "small");
}

TEST(FindBearerTest, ParamNamedLikeBearerInsideAnotherChallengeIsNotBearer) {
  EXPECT_FALSE(FindBearer({R"(Basic bearer="x")"}).present);
}

}  // namespace
}  // namespace mcpr
