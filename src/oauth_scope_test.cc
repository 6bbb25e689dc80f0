#include "oauth_scope.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "oauth_metadata.h"

namespace mcpr {
namespace {

ScopeInputs Prm(std::vector<std::string> scopes) {
  ScopeInputs in;
  in.prm_has_scopes_supported = true;
  in.prm_scopes_supported = std::move(scopes);
  return in;
}

TEST(SelectScopeTest, ChallengeScopeFirst) {
  ScopeInputs in = Prm({"a", "b"});
  in.challenge_scope = "mcp:tools";
  EXPECT_EQ(SelectScope(in), "mcp:tools");
}

TEST(SelectScopeTest, ChallengeScopeIsAuthoritativeEvenIfNotInPrm) {
  ScopeInputs in = Prm({"a"});
  in.challenge_scope = "z y";
  EXPECT_EQ(SelectScope(in), "z y");
}

TEST(SelectScopeTest, AllPrmScopesWhenNoChallengeScope) {
  EXPECT_EQ(SelectScope(Prm({"mcp:basic", "mcp:read", "mcp:write"})),
            "mcp:basic mcp:read mcp:write");
}

TEST(SelectScopeTest, EmptyPrmScopesMeansOmit) {
  EXPECT_EQ(SelectScope(Prm({})), "");
  EXPECT_EQ(SelectScope(Prm({"", "  "})), "");
}

TEST(SelectScopeTest, NothingMeansOmitNeverOpenidFallback) {
  EXPECT_EQ(SelectScope(ScopeInputs{}), "");
  ScopeInputs in;
  in.challenge_scope = "   ";
  EXPECT_EQ(SelectScope(in), "");
}

TEST(SelectScopeTest, PrmScopesIgnoredWhenAbsentFlag) {
  ScopeInputs in;
  in.prm_scopes_supported = {"a"};  // has_scopes_supported false: treat as absent
  EXPECT_EQ(SelectScope(in), "");
}

TEST(SelectScopeTest, PinnedScopeWinsOverEverything) {
  ScopeInputs in = Prm({"a"});
  in.challenge_scope = "b";
  in.pinned_scope = "  read   write ";
  EXPECT_EQ(SelectScope(in), "read write");
}

TEST(SelectScopeTest, BlankPinnedScopeIsIgnored) {
  ScopeInputs in = Prm({"a"});
  in.pinned_scope = " \t ";
  EXPECT_EQ(SelectScope(in), "a");
}

TEST(SelectScopeTest, NormalizesWhitespaceAndDuplicates) {
  ScopeInputs in;
  in.challenge_scope = " a\tb  a\n c ";
  EXPECT_EQ(SelectScope(in), "a b c");
  EXPECT_EQ(SelectScope(Prm({"x", "y x", "x"})), "x y");
}

AuthServerMetadata AsWithScopes(std::vector<std::string> scopes) {
  AuthServerMetadata md;
  md.has_scopes_supported = true;
  md.scopes_supported = std::move(scopes);
  return md;
}

const std::vector<std::string> kRefreshGrants = {"authorization_code", "refresh_token"};

TEST(AddOfflineAccessTest, AddedWhenAsAdvertisesAndRefreshGrant) {
  EXPECT_EQ(AddOfflineAccess("mcp:basic", AsWithScopes({"mcp:basic", "offline_access"}),
                             kRefreshGrants),
            "mcp:basic offline_access");
}

TEST(AddOfflineAccessTest, NotAddedWhenAsDoesNotList) {
  EXPECT_EQ(AddOfflineAccess("mcp:basic", AsWithScopes({"mcp:basic", "mcp:read"}), kRefreshGrants),
            "mcp:basic");
  EXPECT_EQ(AddOfflineAccess("mcp:basic", AuthServerMetadata{}, kRefreshGrants), "mcp:basic");
}

TEST(AddOfflineAccessTest, NotAddedWithoutRefreshGrant) {
  EXPECT_EQ(AddOfflineAccess("a", AsWithScopes({"offline_access"}), {"authorization_code"}), "a");
  EXPECT_EQ(AddOfflineAccess("a", AsWithScopes({"offline_access"}), {}), "a");
}

TEST(AddOfflineAccessTest, NotDuplicated) {
  EXPECT_EQ(AddOfflineAccess("offline_access a", AsWithScopes({"offline_access"}), kRefreshGrants),
            "offline_access a");
}

TEST(AddOfflineAccessTest, EmptyScopeStaysEmpty) {
  EXPECT_EQ(AddOfflineAccess("", AsWithScopes({"offline_access"}), kRefreshGrants), "");
  EXPECT_EQ(AddOfflineAccess("  ", AsWithScopes({"offline_access"}), kRefreshGrants), "");
}

TEST(UnionScopesTest, OrderPreservingDeduplicated) {
  EXPECT_EQ(UnionScopes("mcp:basic", "mcp:basic mcp:write"), "mcp:basic mcp:write");
  EXPECT_EQ(UnionScopes("b a", "c a d"), "b a c d");
  EXPECT_EQ(UnionScopes("", "x"), "x");
  EXPECT_EQ(UnionScopes("x", ""), "x");
  EXPECT_EQ(UnionScopes("", ""), "");
  EXPECT_EQ(UnionScopes(" a  a ", "\tb a "), "a b");
}

TEST(UnionScopesTest, CaseSensitive) { EXPECT_EQ(UnionScopes("Read", "read"), "Read read"); }

TEST(ScopeHelpersTest, SplitScope) {
  EXPECT_EQ(SplitScope("  a b\ta  c "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(SplitScope("").empty());
}

TEST(ScopeHelpersTest, ScopeIncludesAll) {
  EXPECT_TRUE(ScopeIncludesAll("a b c", "c a"));
  EXPECT_TRUE(ScopeIncludesAll("a", ""));
  EXPECT_FALSE(ScopeIncludesAll("a b", "a d"));
  EXPECT_FALSE(ScopeIncludesAll("", "a"));
}

TEST(ScopeHelpersTest, LongScopeStringsStayLinear) {
  std::string a;
  std::string b;
  for (int i = 0; i < 20000; ++i) {
    a += "s" + std::to_string(i) + " ";
    b += "s" + std::to_string(i * 2) + " ";
  }
  const std::vector<std::string> tokens = SplitScope(UnionScopes(a, b));
  ASSERT_EQ(tokens.size(), 30000u);
  EXPECT_EQ(tokens.front(), "s0");
  EXPECT_EQ(tokens[20000], "s20000");
  EXPECT_EQ(tokens.back(), "s39998");
}

}  // namespace
}  // namespace mcpr
