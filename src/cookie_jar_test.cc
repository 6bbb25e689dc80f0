#include "cookie_jar.h"

#include <gtest/gtest.h>

#include <string>

namespace mcpr {
namespace {

using std::chrono::seconds;
using TimePoint = CookieJar::TimePoint;

// 2026-11-24T16:30:00Z
const TimePoint kNow = TimePoint(seconds(1795537800));
constexpr char kOrigin[] = "https://mcp.example.com";

TEST(CookieJarTest, ParseCookieDateFormats) {
  // RFC 1123 (the preferred form), RFC 850, asctime, and sloppy variants.
  EXPECT_EQ(ParseCookieDate("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(ParseCookieDate("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
  EXPECT_EQ(ParseCookieDate("Sun Nov  6 08:49:37 1994"), 784111777);
  EXPECT_EQ(ParseCookieDate("6 november 1994 8:49:37"), 784111777);
  EXPECT_EQ(ParseCookieDate("Tue, 24 Nov 2026 16:30:00 GMT"), 1795537800);
  EXPECT_EQ(ParseCookieDate("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
  EXPECT_EQ(ParseCookieDate("Wed, 09 Jun 2021 10:18:14 GMT"), 1623233894);
  EXPECT_EQ(ParseCookieDate("Fri, 31 Dec 9999 23:59:59 GMT"), 253402300799);
  EXPECT_EQ(ParseCookieDate("Mon, 01 Jan 1601 00:00:00 GMT"), -11644473600);
  EXPECT_EQ(ParseCookieDate("Thu, 01 Jan 70 00:00:00 GMT"), 0);    // 70..99 -> 19xx
  EXPECT_EQ(ParseCookieDate("Sat, 01 Jan 00 00:00:00 GMT"), 946684800);  // 00..69 -> 20xx
}

TEST(CookieJarTest, ParseCookieDateRejects) {
  EXPECT_FALSE(ParseCookieDate(""));
  EXPECT_FALSE(ParseCookieDate("not a date"));
  EXPECT_FALSE(ParseCookieDate("Sun, 06 Nov 1994"));                 // no time
  EXPECT_FALSE(ParseCookieDate("Sun, 06 1994 08:49:37 GMT"));        // no month
  EXPECT_FALSE(ParseCookieDate("Sun, 30 Feb 2024 08:49:37 GMT"));    // no such day
  EXPECT_FALSE(ParseCookieDate("Sun, 32 Jan 2024 08:49:37 GMT"));
  EXPECT_FALSE(ParseCookieDate("Sun, 06 Nov 1600 08:49:37 GMT"));
  EXPECT_FALSE(ParseCookieDate("Sun, 06 Nov 1994 24:00:00 GMT"));
  EXPECT_FALSE(ParseCookieDate("Sun, 06 Nov 1994 08:60:00 GMT"));
  EXPECT_FALSE(ParseCookieDate("Sun, 06 Nov 19945 08:49:37 GMT"));   // 5-digit year
  EXPECT_FALSE(ParseCookieDate("1795537800"));
}

TEST(CookieJarTest, StoresAndSendsPerExactOrigin) {
  CookieJar jar;
  jar.Store(kOrigin, "/mcp", "AWSALB=abc123; Path=/; Domain=example.com; Secure; HttpOnly", kNow);
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/mcp", kNow), "AWSALB=abc123");
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/other", kNow), "AWSALB=abc123");
  // Domain is ignored: no sharing with siblings, other ports or schemes.
  EXPECT_EQ(jar.CookieHeader("https://api.example.com", "/mcp", kNow), "");
  EXPECT_EQ(jar.CookieHeader("https://mcp.example.com:8443", "/mcp", kNow), "");
  EXPECT_EQ(jar.CookieHeader("http://mcp.example.com", "/mcp", kNow), "");
}

TEST(CookieJarTest, NameValueParsing) {
  CookieJar jar;
  jar.Store(kOrigin, "/", "  a = 1  ", kNow);
  jar.Store(kOrigin, "/", "b=x=y; Path=/", kNow);
  jar.Store(kOrigin, "/", "c=", kNow);
  jar.Store(kOrigin, "/", "d=\"quoted value\"", kNow);
  jar.Store(kOrigin, "/", "novalue", kNow);   // no '=': ignored
  jar.Store(kOrigin, "/", "=anon", kNow);     // empty name: ignored
  jar.Store(kOrigin, "/", "e=bad\x01", kNow);  // control character: ignored
  jar.Store(kOrigin, "/", "f\r\nX-Evil: 1=v", kNow);
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/", kNow), "a=1; b=x=y; c=; d=\"quoted value\"");
}

TEST(CookieJarTest, DefaultPathAndPathMatch) {
  CookieJar jar;
  jar.Store(kOrigin, "/api/v1/mcp", "dflt=1", kNow);          // default-path /api/v1
  jar.Store(kOrigin, "/api/v1/mcp", "rel=2; Path=relative", kNow);  // not '/': default-path
  jar.Store(kOrigin, "/mcp?x=/a/b", "top=3", kNow);            // default-path "/" (query ignored)
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/api/v1", kNow), "dflt=1; rel=2; top=3");
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/api/v1/", kNow), "dflt=1; rel=2; top=3");
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/api/v1/messages?sessionId=1", kNow), "dflt=1; rel=2; top=3");
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/api/v10", kNow), "top=3");  // not a segment boundary
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/api", kNow), "top=3");
  EXPECT_EQ(jar.CookieHeader(kOrigin, "", kNow), "top=3");
}

TEST(CookieJarTest, PathWithTrailingSlashMatchesPrefix) {
  CookieJar jar;
  jar.Store(kOrigin, "/", "s=1; Path=/api/", kNow);
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/api/x", kNow), "s=1");
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/api/", kNow), "s=1");
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/api", kNow), "");
}

TEST(CookieJarTest, LongerPathsFirstThenCreationOrder) {
  CookieJar jar;
  jar.Store(kOrigin, "/", "root1=a; Path=/", kNow);
  jar.Store(kOrigin, "/", "deep=b; Path=/a/b", kNow);
  jar.Store(kOrigin, "/", "mid=c; Path=/a", kNow);
  jar.Store(kOrigin, "/", "root2=d; Path=/", kNow);
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/a/b/c", kNow), "deep=b; mid=c; root1=a; root2=d");
  // Replacing a value keeps the cookie's creation order.
  jar.Store(kOrigin, "/", "root1=A; Path=/", kNow);
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/a/b/c", kNow), "deep=b; mid=c; root1=A; root2=d");
}

TEST(CookieJarTest, IdentityIsNameAndPath) {
  CookieJar jar;
  jar.Store(kOrigin, "/", "id=root; Path=/", kNow);
  jar.Store(kOrigin, "/", "id=api; Path=/api", kNow);
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/api", kNow), "id=api; id=root");
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/", kNow), "id=root");
  jar.Store(kOrigin, "/", "id=api2; Path=/api", kNow);
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/api", kNow), "id=api2; id=root");
  EXPECT_EQ(jar.CountForTest(kOrigin), 2u);
}

TEST(CookieJarTest, MaxAgeExpires) {
  CookieJar jar;
  jar.Store(kOrigin, "/", "s=1; Max-Age=60", kNow);
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/", kNow + seconds(59)), "s=1");
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/", kNow + seconds(60)), "");
  EXPECT_EQ(jar.CountForTest(kOrigin), 0u);  // dropped once seen expired
}

TEST(CookieJarTest, MaxAgeZeroOrNegativeDeletes) {
  CookieJar jar;
  jar.Store(kOrigin, "/", "s=1", kNow);
  jar.Store(kOrigin, "/", "t=1", kNow);
  jar.Store(kOrigin, "/", "s=; Max-Age=0", kNow);
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/", kNow), "t=1");
  jar.Store(kOrigin, "/", "t=; Max-Age=-1", kNow);
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/", kNow), "");
  // Deleting with another path leaves the cookie alone.
  jar.Store(kOrigin, "/", "u=1; Path=/", kNow);
  jar.Store(kOrigin, "/", "u=; Path=/x; Max-Age=0", kNow);
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/", kNow), "u=1");
}

TEST(CookieJarTest, InvalidMaxAgeIsIgnored) {
  CookieJar jar;
  jar.Store(kOrigin, "/", "a=1; Max-Age=1.5", kNow);
  jar.Store(kOrigin, "/", "b=1; Max-Age=", kNow);
  jar.Store(kOrigin, "/", "c=1; Max-Age=abc", kNow);
  jar.Store(kOrigin, "/", "d=1; Max-Age=+5", kNow);
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/", kNow + seconds(86400 * 365)), "a=1; b=1; c=1; d=1");
}

TEST(CookieJarTest, ExpiresAttribute) {
  CookieJar jar;
  jar.Store(kOrigin, "/", "future=1; Expires=Tue, 24 Nov 2026 16:31:00 GMT", kNow);
  jar.Store(kOrigin, "/", "bad=1; Expires=garbage", kNow);  // ignored attribute: session cookie
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/", kNow + seconds(59)), "future=1; bad=1");
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/", kNow + seconds(60)), "bad=1");
}

TEST(CookieJarTest, PastExpiresDeletes) {
  CookieJar jar;
  jar.Store(kOrigin, "/", "s=1", kNow);
  jar.Store(kOrigin, "/", "s=gone; expires=Thu, 01 Jan 1970 00:00:00 GMT", kNow);
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/", kNow), "");
  jar.Store(kOrigin, "/", "old=1; Expires=Mon, 01 Jan 1601 00:00:00 GMT", kNow);
  EXPECT_EQ(jar.CountForTest(kOrigin), 0u);
}

TEST(CookieJarTest, MaxAgeTakesPrecedenceOverExpires) {
  CookieJar jar;
  // Expires in the past but Max-Age in the future: kept.
  jar.Store(kOrigin, "/", "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=100", kNow);
  // Expires in the future but Max-Age=0: deleted, whatever the order.
  jar.Store(kOrigin, "/", "b=1; Max-Age=0; Expires=Fri, 31 Dec 9999 23:59:59 GMT", kNow);
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/", kNow), "a=1");
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/", kNow + seconds(100)), "");
}

TEST(CookieJarTest, LifetimeIsCappedAt400Days) {
  CookieJar jar;
  jar.Store(kOrigin, "/", "far=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT", kNow);
  jar.Store(kOrigin, "/", "big=1; Max-Age=99999999999999999999999", kNow);
  const auto day = seconds(86400);
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/", kNow + 399 * day), "far=1; big=1");
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/", kNow + 400 * day), "");
}

TEST(CookieJarTest, AttributeNamesAreCaseInsensitive) {
  CookieJar jar;
  jar.Store(kOrigin, "/", "a=1; PATH=/x; MAX-AGE=5", kNow);
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/x", kNow), "a=1");
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/", kNow), "");
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/x", kNow + seconds(5)), "");
}

TEST(CookieJarTest, PerCookieSizeCap) {
  CookieJar jar;
  const std::string ok_value(CookieJar::kMaxCookieBytes - 2, 'v');
  const std::string big_value(CookieJar::kMaxCookieBytes - 1, 'v');
  jar.Store(kOrigin, "/", "ok=" + ok_value, kNow);   // 2 + 4094 = 4096 bytes
  jar.Store(kOrigin, "/", "no=" + big_value, kNow);  // 4097 bytes
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/", kNow), "ok=" + ok_value);
}

TEST(CookieJarTest, PerOriginCountCap) {
  CookieJar jar;
  for (int i = 0; i < 60; ++i) jar.Store(kOrigin, "/", "c" + std::to_string(i) + "=v", kNow);
  EXPECT_EQ(jar.CountForTest(kOrigin), CookieJar::kMaxCookiesPerOrigin);
  const std::string header = jar.CookieHeader(kOrigin, "/", kNow);
  EXPECT_NE(header.find("c49=v"), std::string::npos);
  EXPECT_EQ(header.find("c50=v"), std::string::npos);
  // Replacing an existing cookie still works at the cap...
  jar.Store(kOrigin, "/", "c0=new", kNow);
  EXPECT_EQ(jar.CookieHeader(kOrigin, "/", kNow).rfind("c0=new", 0), 0u);
  // ...and an expired cookie makes room for a new one.
  jar.Store(kOrigin, "/", "c1=v; Max-Age=0", kNow);
  jar.Store(kOrigin, "/", "late=1", kNow);
  EXPECT_NE(jar.CookieHeader(kOrigin, "/", kNow).find("late=1"), std::string::npos);
  // Another origin has its own budget.
  jar.Store("https://other.example", "/", "x=1", kNow);
  EXPECT_EQ(jar.CookieHeader("https://other.example", "/", kNow), "x=1");
}

TEST(CookieJarTest, EmptyOriginIsIgnored) {
  CookieJar jar;
  jar.Store("", "/", "a=1", kNow);
  EXPECT_EQ(jar.CountForTest(""), 0u);
  EXPECT_EQ(jar.CookieHeader("", "/", kNow), "");
}

}  // namespace
}  // namespace mcpr
