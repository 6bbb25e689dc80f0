#include "jsonrpc.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cctype>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace mcpr {
namespace {

using namespace std::string_literals;

PeekError PeekOf(std::string_view text, Peek* peek = nullptr) {
  Peek local;
  std::string why;
  return PeekMessage(text, peek != nullptr ? peek : &local, &why);
}

// Peeks text that must be a valid message.
Peek MustPeek(std::string_view text) {
  Peek peek;
  std::string why;
  EXPECT_EQ(PeekMessage(text, &peek, &why), PeekError::kNone) << text << " -> " << why;
  return peek;
}

bool BoostAccepts(std::string_view text) {
  boost::json::parse_options opts;
  opts.max_depth = kMaxJsonDepth;
  boost::system::error_code ec;
  boost::json::parse(text, ec, {}, opts);
  return !ec;
}

// Boost.JSON rejects "\uD800" style escapes that do not form a surrogate
// pair; RFC 8259 (and JavaScript) accept them, and so do we. For the
// differential, every surrogate escape is rewritten to "\u0041" first, which
// changes no other property of the text.
std::string NeutralizeSurrogateEscapes(std::string text) {
  std::size_t backslashes = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++backslashes;
      continue;
    }
    if (text[i] == 'u' && backslashes % 2 == 1 && i + 4 < text.size()) {
      const char c0 = text[i + 1];
      const char c1 = text[i + 2];
      const bool surrogate = (c0 == 'd' || c0 == 'D') &&
                             ((c1 >= '8' && c1 <= '9') || (c1 >= 'a' && c1 <= 'f') ||
                              (c1 >= 'A' && c1 <= 'F'));
      const bool hex = std::isxdigit(static_cast<unsigned char>(text[i + 3])) &&
                       std::isxdigit(static_cast<unsigned char>(text[i + 4]));
      if (surrogate && hex) text.replace(i + 1, 4, "0041");
    }
    backslashes = 0;
  }
  return text;
}

// ---------------------------------------------------------------- bounds

// Found by fuzz/jsonrpc_peek_fuzzer.cc: a message cut right after `"params":`
// made the peek read one byte past the text (the params fast path looked for
// '{' without checking for the end). Every prefix of a valid message is peeked
// from an exactly-sized heap copy, so ASan/UBSan builds see any overread.
TEST(JsonRpcPeekTest, EveryTruncationStaysInsideTheText) {
  const std::string full =
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"x":[1,2.5e3,null,true]}}})";
  for (std::size_t n = 0; n < full.size(); ++n) {
    std::unique_ptr<char[]> exact(new char[n == 0 ? 1 : n]);
    std::memcpy(exact.get(), full.data(), n);
    Peek p;
    std::string why;
    EXPECT_NE(PeekMessage(std::string_view(exact.get(), n), &p, &why), PeekError::kNone) << n;
  }
}

// ---------------------------------------------------------------- kinds

TEST(JsonRpcPeekTest, Request) {
  const std::string text =
      R"( {"jsonrpc":"2.0", "id" : 7 ,"method":"tools/list","params": {"cursor":"x"} } )";
  const Peek p = MustPeek(text);
  EXPECT_EQ(p.kind, MessageKind::kRequest);
  EXPECT_EQ(p.id.in(text), "7");
  EXPECT_EQ(p.method, "tools/list");
  EXPECT_EQ(p.params.in(text), R"({"cursor":"x"})");
  EXPECT_FALSE(p.result.present());
  EXPECT_FALSE(p.error.present());
  EXPECT_FALSE(p.has_name);
  EXPECT_TRUE(p.items.empty());
}

TEST(JsonRpcPeekTest, Notification) {
  const std::string text = R"({"method":"notifications/initialized","jsonrpc":"2.0"})";
  const Peek p = MustPeek(text);
  EXPECT_EQ(p.kind, MessageKind::kNotification);
  EXPECT_FALSE(p.id.present());
  EXPECT_EQ(p.method, "notifications/initialized");
  EXPECT_FALSE(p.params.present());
}

TEST(JsonRpcPeekTest, Responses) {
  {
    const std::string text = R"({"jsonrpc":"2.0","id":"a","result":{"tools":[]}})";
    const Peek p = MustPeek(text);
    EXPECT_EQ(p.kind, MessageKind::kResponse);
    EXPECT_EQ(p.id.in(text), R"("a")");
    EXPECT_EQ(p.result.in(text), R"({"tools":[]})");
    EXPECT_TRUE(p.method.empty());
  }
  {
    const std::string text = R"({"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"no"}})";
    const Peek p = MustPeek(text);
    EXPECT_EQ(p.kind, MessageKind::kResponse);
    EXPECT_EQ(p.error.in(text), R"({"code":-32601,"message":"no"})");
  }
  {
    const std::string text = R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}})";
    const Peek p = MustPeek(text);
    EXPECT_EQ(p.kind, MessageKind::kResponse);
    EXPECT_EQ(p.id.in(text), "null");
  }
  // "result": null is a present result.
  EXPECT_EQ(PeekOf(R"({"jsonrpc":"2.0","id":1,"result":null})"), PeekError::kNone);
}

TEST(JsonRpcPeekTest, ResultAndErrorBothOrNeither) {
  Peek p;
  EXPECT_EQ(PeekOf(R"({"jsonrpc":"2.0","id":1,"result":{},"error":{}})", &p), PeekError::kInvalid);
  EXPECT_EQ(p.id.present(), true);
  EXPECT_EQ(PeekOf(R"({"jsonrpc":"2.0","id":1})"), PeekError::kInvalid);
  EXPECT_EQ(PeekOf(R"({"jsonrpc":"2.0"})"), PeekError::kInvalid);
  EXPECT_EQ(PeekOf(R"({"jsonrpc":"2.0","result":1})"), PeekError::kInvalid);
  EXPECT_EQ(PeekOf(R"({"jsonrpc":"2.0","id":1,"method":"m","result":1})"), PeekError::kInvalid);
}

TEST(JsonRpcPeekTest, Batch) {
  const std::string text = R"( [ {"jsonrpc":"2.0","method":"a"} , 1,"x" ,[2]] )";
  const Peek p = MustPeek(text);
  EXPECT_EQ(p.kind, MessageKind::kBatch);
  ASSERT_EQ(p.items.size(), 4u);
  EXPECT_EQ(p.items[0].in(text), R"({"jsonrpc":"2.0","method":"a"})");
  EXPECT_EQ(p.items[1].in(text), "1");
  EXPECT_EQ(p.items[2].in(text), R"("x")");
  EXPECT_EQ(p.items[3].in(text), "[2]");
  // Each element peeks on its own.
  EXPECT_EQ(MustPeek(p.items[0].in(text)).kind, MessageKind::kNotification);

  EXPECT_EQ(PeekOf("[]"), PeekError::kInvalid);
  EXPECT_EQ(PeekOf(" [ \n ] "), PeekError::kInvalid);
  EXPECT_EQ(PeekOf("[1,]"), PeekError::kParse);
  EXPECT_EQ(PeekOf("[1 2]"), PeekError::kParse);
  EXPECT_EQ(PeekOf(R"([{"jsonrpc":"2.0","method":"a"},{"bad":}])"), PeekError::kParse);
  Peek bad;
  EXPECT_EQ(PeekOf("[1,2,x]", &bad), PeekError::kParse);
  EXPECT_TRUE(bad.items.empty());
}

TEST(JsonRpcPeekTest, NotAnObject) {
  for (const char* text : {"1", "\"x\"", "null", "true", "-0.5e3"}) {
    Peek p;
    EXPECT_EQ(PeekOf(text, &p), PeekError::kInvalid) << text;
    EXPECT_FALSE(p.id.present());
  }
}

// --------------------------------------------------------------- ids

struct IdCase {
  const char* id;
  PeekError as_request;
  PeekError as_response;
  bool usable;  // echoed in out->id when the message is otherwise invalid
};

TEST(JsonRpcPeekTest, IdOfEveryType) {
  const IdCase cases[] = {
      {R"("abc")", PeekError::kNone, PeekError::kNone, true},
      {R"("")", PeekError::kNone, PeekError::kNone, true},
      {"0", PeekError::kNone, PeekError::kNone, true},
      {"42", PeekError::kNone, PeekError::kNone, true},
      {"9007199254740993", PeekError::kNone, PeekError::kNone, true},
      {"123456789012345678901234567890", PeekError::kNone, PeekError::kNone, true},
      {"1.5", PeekError::kNone, PeekError::kNone, true},
      {"-7", PeekError::kNone, PeekError::kNone, true},
      {"-0", PeekError::kNone, PeekError::kNone, true},
      {"1e3", PeekError::kNone, PeekError::kNone, true},
      {"-2.5E-3", PeekError::kNone, PeekError::kNone, true},
      {"null", PeekError::kInvalid, PeekError::kNone, false},
      {"true", PeekError::kInvalid, PeekError::kInvalid, false},
      {"false", PeekError::kInvalid, PeekError::kInvalid, false},
      {R"({"a":1})", PeekError::kInvalid, PeekError::kInvalid, false},
      {"{}", PeekError::kInvalid, PeekError::kInvalid, false},
      {"[1]", PeekError::kInvalid, PeekError::kInvalid, false},
      {"[]", PeekError::kInvalid, PeekError::kInvalid, false},
  };
  for (const IdCase& c : cases) {
    const std::string request = R"({"jsonrpc":"2.0","method":"ping","id":)"s + c.id + "}";
    const std::string response = R"({"jsonrpc":"2.0","result":{},"id":)"s + c.id + "}";
    Peek p;
    EXPECT_EQ(PeekOf(request, &p), c.as_request) << request;
    if (c.as_request == PeekError::kNone) {
      EXPECT_EQ(p.kind, MessageKind::kRequest);
      EXPECT_EQ(p.id.in(request), c.id);
    } else {
      EXPECT_FALSE(p.id.present()) << request;
    }
    EXPECT_EQ(PeekOf(response, &p), c.as_response) << response;
    if (c.as_response == PeekError::kNone) {
      EXPECT_EQ(p.kind, MessageKind::kResponse);
      EXPECT_EQ(p.id.in(response), c.id);
    }
    // An otherwise invalid message still reports a usable id.
    const std::string invalid = R"({"jsonrpc":"1.0","method":"ping","id":)"s + c.id + "}";
    EXPECT_EQ(PeekOf(invalid, &p), PeekError::kInvalid) << invalid;
    EXPECT_EQ(p.id.present(), c.usable) << invalid;
    if (c.usable) {
      EXPECT_EQ(p.id.in(invalid), c.id);
    }
  }
}

TEST(JsonRpcPeekTest, InvalidMessageWithoutUsableIdEchoesNull) {
  Peek p;
  EXPECT_EQ(PeekOf(R"({"jsonrpc":"2.0","method":5,"id":[1]})", &p), PeekError::kInvalid);
  EXPECT_FALSE(p.id.present());
  // And a parse error never has an id.
  EXPECT_EQ(PeekOf(R"({"jsonrpc":"2.0","id":1,"method":"x",})", &p), PeekError::kParse);
  EXPECT_FALSE(p.id.present());
}

// ----------------------------------------------------------- jsonrpc

TEST(JsonRpcPeekTest, JsonrpcMember) {
  EXPECT_EQ(PeekOf(R"({"id":1,"method":"x"})"), PeekError::kInvalid);
  EXPECT_EQ(PeekOf(R"({"jsonrpc":"1.0","id":1,"method":"x"})"), PeekError::kInvalid);
  EXPECT_EQ(PeekOf(R"({"jsonrpc":2.0,"id":1,"method":"x"})"), PeekError::kInvalid);
  EXPECT_EQ(PeekOf(R"({"jsonrpc":"2","id":1,"method":"x"})"), PeekError::kInvalid);
  EXPECT_EQ(PeekOf(R"({"jsonrpc":"2.0 ","id":1,"method":"x"})"), PeekError::kInvalid);
  EXPECT_EQ(PeekOf(R"({"jsonrpc":null,"id":1,"method":"x"})"), PeekError::kInvalid);
  EXPECT_EQ(PeekOf(R"({"jsonrpc":["2.0"],"id":1,"method":"x"})"), PeekError::kInvalid);
  // Escapes that decode to "2.0" are "2.0".
  EXPECT_EQ(PeekOf(R"({"jsonrpc":"2\u002e0","id":1,"method":"x"})"), PeekError::kNone);
}

TEST(JsonRpcPeekTest, MethodMustBeAString) {
  for (const char* m : {"1", "null", "true", "{}", "[\"a\"]"}) {
    const std::string text = R"({"jsonrpc":"2.0","id":1,"method":)"s + m + "}";
    EXPECT_EQ(PeekOf(text), PeekError::kInvalid) << text;
  }
  const Peek p = MustPeek(R"({"jsonrpc":"2.0","id":1,"method":"a\/b\u00e9\n"})");
  EXPECT_EQ(p.method, "a/b\xC3\xA9\n");
}

TEST(JsonRpcPeekTest, DuplicateKeysFirstWins) {
  const std::string text = R"({"jsonrpc":"2.0","id":1,"id":"two","method":"a","method":"b"})";
  const Peek p = MustPeek(text);
  EXPECT_EQ(p.id.in(text), "1");
  EXPECT_EQ(p.method, "a");
}

TEST(JsonRpcPeekTest, EscapedKeysAreDecoded) {
  const std::string text = R"({"\u006asonrpc":"2.0","\u0069d":5,"meth\u006fd":"x"})";
  const Peek p = MustPeek(text);
  EXPECT_EQ(p.kind, MessageKind::kRequest);
  EXPECT_EQ(p.id.in(text), "5");
  EXPECT_EQ(p.method, "x");
}

TEST(JsonRpcPeekTest, WhyIsSetAndDoesNotLeakContent) {
  Peek p;
  std::string why;
  EXPECT_EQ(PeekMessage(R"({"secret-token-123":)", &p, &why), PeekError::kParse);
  EXPECT_FALSE(why.empty());
  EXPECT_EQ(why.find("secret"), std::string::npos);
  EXPECT_EQ(PeekMessage(R"({"jsonrpc":"secret-token-123","id":1,"method":"x"})", &p, &why),
            PeekError::kInvalid);
  EXPECT_FALSE(why.empty());
  EXPECT_EQ(why.find("secret"), std::string::npos);
  // why may be null.
  EXPECT_EQ(PeekMessage("nope", &p, nullptr), PeekError::kParse);
}

// ------------------------------------------------------- params.name

TEST(JsonRpcPeekTest, NameExtraction) {
  struct Case {
    std::string text;
    bool has_name;
    std::string name;
  };
  const Case cases[] = {
      {R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{}}})",
       true, "echo"},
      {R"({"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"arguments":{"name":"no"},"name":"p1"}})",
       true, "p1"},
      {R"({"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"file:///a b","name":"x"}})",
       true, "file:///a b"},
      // name in the wrong place or of the wrong type.
      {R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":7}})", false, ""},
      {R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":null}})", false, ""},
      {R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":["x"]}})", false, ""},
      {R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{"name":"deep"}}})",
       false, ""},
      {R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":["name","x"]})", false, ""},
      {R"({"jsonrpc":"2.0","id":1,"method":"tools/call","name":"top"})", false, ""},
      {R"({"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"name":"n"}})", false, ""},
      {R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"name":"n"}})", false, ""},
      // Escapes, escaped keys, duplicates, key order.
      {R"({"params":{"name":"a\"b\\c\u00e9\ud83d\ude00"},"jsonrpc":"2.0","id":1,"method":"tools/call"})",
       true, "a\"b\\c\xC3\xA9\xF0\x9F\x98\x80"},
      {R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"n\u0061me":"esc"}})", true,
       "esc"},
      {R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"first","name":"second"}})",
       true, "first"},
      {R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"p1"},"params":{"name":"p2"}})",
       true, "p1"},
      {R"({"jsonrpc":"2.0","method":"tools/call","params":{"name":"notif"}})", true, "notif"},
      {R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":""}})", true, ""},
  };
  for (const Case& c : cases) {
    const Peek p = MustPeek(c.text);
    EXPECT_EQ(p.has_name, c.has_name) << c.text;
    EXPECT_EQ(p.name, c.name) << c.text;
  }
}

// ---------------------------------------------------------- strings

TEST(JsonRpcPeekTest, StringEscapes) {
  for (const char* s : {R"("\u0000")", R"("\"\\\/\b\f\n\r\t")", R"("\ud83d\ude00")",
                        R"("\uD83D\uDE00")", R"("\ud800")", R"("\udc00\ud800")", R"("\ud800x")",
                        R"("\uFFFF")", "\"\x7f\""}) {
    EXPECT_EQ(PeekOf(s), PeekError::kInvalid) << s;  // valid JSON, not an object
  }
  for (const char* s : {R"("\x")", R"("\u12")", R"("\u12g4")", R"("\U0041")", R"("\)", R"("\')",
                        "\"\t\"", "\"\n\"", "\"\x01\"", "\"\x1f\"", R"("abc)", "\"",
                        R"("\ud800\u")"}) {
    EXPECT_EQ(PeekOf(s), PeekError::kParse) << s;
  }
  EXPECT_EQ(PeekOf("\"a\0b\""s), PeekError::kParse);
}

TEST(JsonRpcPeekTest, Utf8Validation) {
  const char* valid[] = {
      "\x24", "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xE2\x82\xAC", "\xED\x9F\xBF",
      "\xEE\x80\x80", "\xEF\xBF\xBF", "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF", "\xF3\xBF\xBF\xBF",
  };
  const char* invalid[] = {
      "\x80",              // stray continuation
      "\xBF",              //
      "\xC0\x80",          // overlong NUL
      "\xC1\xBF",          // overlong
      "\xE0\x80\x80",      // overlong 3-byte
      "\xE0\x9F\xBF",      // overlong 3-byte
      "\xF0\x80\x80\x80",  // overlong 4-byte
      "\xF0\x8F\xBF\xBF",  // overlong 4-byte
      "\xED\xA0\x80",      // U+D800 encoded
      "\xED\xBF\xBF",      // U+DFFF encoded
      "\xF4\x90\x80\x80",  // U+110000
      "\xF5\x80\x80\x80", "\xF8\x88\x80\x80\x80", "\xFF", "\xFE",
      "\xC2",              // truncated
      "\xE2\x82",          // truncated
      "\xF0\x9F\x98",      // truncated
      "\xC2\x41",          // bad continuation
      "\xE2\x28\xA1",      //
  };
  // Every position relative to the 8-byte scanning blocks, in values and keys.
  for (std::size_t pad = 0; pad < 17; ++pad) {
    const std::string prefix(pad, 'a');
    for (const char* v : valid) {
      const std::string text = R"({"jsonrpc":"2.0","method":")" + prefix + v + "\"}";
      EXPECT_EQ(PeekOf(text), PeekError::kNone) << testing::PrintToString(text);
      const std::string key = R"({"jsonrpc":"2.0","method":"m",")" + prefix + v + "\":1}";
      EXPECT_EQ(PeekOf(key), PeekError::kNone) << testing::PrintToString(key);
    }
    for (const char* v : invalid) {
      const std::string text = R"({"jsonrpc":"2.0","method":")" + prefix + v + "\"}";
      EXPECT_EQ(PeekOf(text), PeekError::kParse) << testing::PrintToString(text);
      const std::string key = R"({"jsonrpc":"2.0","method":"m",")" + prefix + v + "\":1}";
      EXPECT_EQ(PeekOf(key), PeekError::kParse) << testing::PrintToString(key);
      const std::string tail = R"({"jsonrpc":"2.0","method":"m","x":")" + prefix + v;  // at end
      EXPECT_EQ(PeekOf(tail), PeekError::kParse) << testing::PrintToString(tail);
    }
  }
  // A sequence interrupted by plain ASCII and "completed" later is invalid,
  // wherever the interruption falls relative to the 8-byte blocks.
  for (std::size_t pad = 0; pad < 17; ++pad) {
    for (const char* broken : {"\xC3" "abcdefghijklmnop" "\xA9", "\xE2\x82" "abcdefghijklmnop" "\xAC",
                               "\xF0" "abcdefghijklmnop" "\x9F\x98\x80"}) {
      const std::string text =
          "[\"" + std::string(pad, 'a') + broken + "abcdefghijklmnop" + "\"]";
      EXPECT_EQ(PeekOf(text), PeekError::kParse) << testing::PrintToString(text);
    }
  }
  // Quote, backslash and control bytes at every block position.
  for (std::size_t pad = 0; pad < 17; ++pad) {
    const std::string prefix(pad, 'b');
    EXPECT_EQ(PeekOf("[\"" + prefix + "\\\"" + prefix + "\"]"), PeekError::kNone);
    EXPECT_EQ(PeekOf("[\"" + prefix + "\x1f" + prefix + "\"]"), PeekError::kParse);
    EXPECT_EQ(PeekOf("[\"" + prefix + "\"" + prefix + "\"]"), PeekError::kParse);
    EXPECT_EQ(PeekOf("[\"" + prefix + "\x7f\x20" + prefix + "\"]"), PeekError::kNone);
  }
  // Non-ASCII is only allowed inside strings.
  EXPECT_EQ(PeekOf("[\xC3\xA9]"), PeekError::kParse);
  EXPECT_EQ(PeekOf("\xEF\xBB\xBF{\"jsonrpc\":\"2.0\",\"method\":\"m\"}"), PeekError::kParse);
}

// ------------------------------------------------------- JSON grammar

TEST(JsonRpcPeekTest, Numbers) {
  for (const char* n : {"0", "-0", "1", "-1", "10", "1.5", "-0.0", "0e0", "1E5", "1e+5", "1e-5",
                        "123456789012345678901234567890.123e-400", "1e400", "1e9999999999"}) {
    EXPECT_EQ(PeekOf("[" + std::string(n) + "]"), PeekError::kNone) << n;
    EXPECT_EQ(PeekOf(n), PeekError::kInvalid) << n;  // a bare number is JSON
  }
  for (const char* n : {"01", "-01", "+1", ".5", "1.", "1.e5", "1e", "1e+", "-", "--1", "0x10",
                        "NaN", "Infinity", "-Infinity", "1_000", "1.5.5", "1e5e5", "- 1", "0.",
                        "00"}) {
    EXPECT_EQ(PeekOf("[" + std::string(n) + "]"), PeekError::kParse) << n;
    EXPECT_EQ(PeekOf(n), PeekError::kParse) << n;
  }
}

TEST(JsonRpcPeekTest, LiteralsAndStructure) {
  for (const char* ok : {"[true,false,null]", "[[],{}]", "[{\"a\":[{}]}]", "[ 1 , [ 2 ] ]",
                         "[\"\"]", "[{\"\":0}]"}) {
    EXPECT_EQ(PeekOf(ok), PeekError::kNone) << ok;
  }
  for (const char* bad : {"", " ", "\n\t\r ", "[tru]", "[nul]", "[True]", "[nulll]", "[falsey]",
                          "{", "}", "[", "]", "[}", "{]", "{\"a\"}", "{\"a\":}", "{\"a\" 1}",
                          "{a:1}", "{'a':1}", "{\"a\":1,}", "[,1]", "[1,,2]", "{,}", "[1]]",
                          "{\"a\":1}}", "[/**/1]", "[1]//", "{\"a\":1 \"b\":2}", "{1:2}",
                          "{null:1}"}) {
    EXPECT_EQ(PeekOf(bad), PeekError::kParse) << testing::PrintToString(std::string(bad));
  }
}

TEST(JsonRpcPeekTest, WhitespaceAndTrailingGarbage) {
  const std::string msg = R"({"jsonrpc":"2.0","method":"m"})";
  EXPECT_EQ(PeekOf(" \t\r\n" + msg + "\n\r\t "), PeekError::kNone);
  for (const std::string& tail : {" x"s, "{}"s, ","s, "\n1"s, "\0"s, "\f"s, "\v"s,
                                  "\xC2\xA0"s /* NBSP */}) {
    EXPECT_EQ(PeekOf(msg + tail), PeekError::kParse) << testing::PrintToString(tail);
  }
  EXPECT_EQ(PeekOf("\f" + msg), PeekError::kParse);
  EXPECT_EQ(PeekOf("1 2"), PeekError::kParse);
}

// ------------------------------------------------------------ depth

std::string Nested(int depth, std::string_view open, std::string_view inner,
                   std::string_view close) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += open;
  s += inner;
  for (int i = 0; i < depth; ++i) s += close;
  return s;
}

TEST(JsonRpcPeekTest, DepthLimit) {
  EXPECT_EQ(PeekOf(Nested(kMaxJsonDepth, "[", "", "]")), PeekError::kNone);
  EXPECT_EQ(PeekOf(Nested(kMaxJsonDepth + 1, "[", "", "]")), PeekError::kParse);
  EXPECT_EQ(PeekOf(Nested(kMaxJsonDepth, "{\"a\":", "1", "}")), PeekError::kInvalid);
  EXPECT_EQ(PeekOf(Nested(kMaxJsonDepth + 1, "{\"a\":", "1", "}")), PeekError::kParse);
  // Inside a message: the top-level object is depth 1 and params depth 2.
  const auto message = [](int params_depth) {
    return R"({"jsonrpc":"2.0","method":"m","params":)" +
           Nested(params_depth, "{\"a\":", "[]", "}") + "}";
  };
  // "[]" inside params_depth objects inside the message: params_depth + 2.
  EXPECT_EQ(PeekOf(message(kMaxJsonDepth - 2)), PeekError::kNone);
  EXPECT_EQ(PeekOf(message(kMaxJsonDepth - 1)), PeekError::kParse);
  const auto batch = [](int depth) { return "[1," + Nested(depth, "[", "0", "]") + "]"; };
  EXPECT_EQ(PeekOf(batch(kMaxJsonDepth - 1)), PeekError::kNone);
  EXPECT_EQ(PeekOf(batch(kMaxJsonDepth)), PeekError::kParse);
  // Depth is nesting, not a count of containers.
  std::string wide = "[";
  for (int i = 0; i < 10000; ++i) wide += "[[{\"a\":[]}]],";
  wide += "0]";
  EXPECT_EQ(PeekOf(wide), PeekError::kNone);
}

TEST(JsonRpcPeekTest, HostileNestingDoesNotOverflowTheStack) {
  const std::string arrays(1000000, '[');
  EXPECT_EQ(PeekOf(arrays), PeekError::kParse);
  EXPECT_EQ(PeekOf(Nested(1000000, "[", "", "]")), PeekError::kParse);
  std::string objects;
  for (int i = 0; i < 200000; ++i) objects += "{\"a\":";
  EXPECT_EQ(PeekOf(objects), PeekError::kParse);
  EXPECT_EQ(PeekOf(R"({"jsonrpc":"2.0","method":"m","params":)" + arrays), PeekError::kParse);
}

// ----------------------------------------------------- differential

// A deterministic generator of JSON-ish texts: mostly valid, some broken.
class JsonGenerator {
 public:
  explicit JsonGenerator(std::uint32_t seed) : rng_(seed) {}

  std::string Value(int depth) {
    switch (Pick(depth > 6 ? 5 : 7)) {
      case 0: return Number();
      case 1: return String();
      case 2: return Pick(2) ? "true" : "false";
      case 3: return "null";
      case 4: return Number();
      case 5: {
        std::string s = "[" + Ws();
        const int n = Pick(4);
        for (int i = 0; i < n; ++i) s += (i ? "," + Ws() : "") + Value(depth + 1) + Ws();
        return s + "]";
      }
      default: {
        std::string s = "{" + Ws();
        const int n = Pick(4);
        for (int i = 0; i < n; ++i) {
          s += (i ? "," + Ws() : "") + String() + Ws() + ":" + Ws() + Value(depth + 1) + Ws();
        }
        return s + "}";
      }
    }
  }

  // Random byte-level damage.
  std::string Mutate(std::string s) {
    static const std::string kBytes =
        "{}[]:,\"\\ \t\r\nu0123456789.eE+-abtrufnsl\x00\x01\x1f\x7f\x80\xBF\xC0\xC2\xE0\xED\xF0"
        "\xF4\xF5\xFF"s;
    const int edits = 1 + Pick(3);
    for (int i = 0; i < edits; ++i) {
      const std::size_t pos = s.empty() ? 0 : static_cast<std::size_t>(Pick(static_cast<int>(s.size())));
      const char b = kBytes[static_cast<std::size_t>(Pick(static_cast<int>(kBytes.size())))];
      switch (Pick(3)) {
        case 0: if (!s.empty()) s.erase(pos, 1); break;
        case 1: s.insert(pos, 1, b); break;
        default: if (!s.empty()) s[pos] = b; break;
      }
    }
    return s;
  }

  int Pick(int n) { return static_cast<int>(rng_() % static_cast<std::uint32_t>(n)); }

 private:
  std::string Ws() {
    static const char* kWs[] = {"", "", "", " ", "\n", "\t", "\r\n  "};
    return kWs[Pick(7)];
  }
  std::string Number() {
    static const char* kNums[] = {"0", "-0", "1", "42", "-17", "3.25", "0.5e10", "1E-3",
                                  "9007199254740993", "-1.0e+300", "1e999", "12.0E0"};
    return kNums[Pick(12)];
  }
  std::string String() {
    static const char* kPieces[] = {"a", "key", " ", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9",
                                    "\\ud83d\\ude00", "\xC3\xA9", "\xE2\x82\xAC",
                                    "\xF0\x9F\x98\x80", "\\u0000", "\\t", "\x7f",
                                    "abcdefghijklmnop"};
    std::string s = "\"";
    const int n = Pick(5);
    for (int i = 0; i < n; ++i) s += kPieces[Pick(16)];
    return s + "\"";
  }

  std::mt19937 rng_;
};

std::vector<std::string> DifferentialCorpus() {
  std::vector<std::string> texts = {
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}})",
      R"({"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hi"}]}})",
      R"([{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","id":2,"method":"b"}])",
      "[]", "{}", "0", "-0", "\"\"", "null", "true", "false", " [ ] ", "[1e400]", "[-1e-400]",
      "[\"\\u0000\"]", "[\"\\ud800\"]", "[\"\\udfff\\ud800\"]", "[\"\\ud83d\\ude00\"]",
      "[\"\\ud800\\u0041\"]", "[\"\\\\ud800\"]", "{\"\\ud800\":1}",
      "[\"\xED\xA0\x80\"]", "[\"\xF4\x90\x80\x80\"]", "[\"\xC0\xAF\"]", "[\"\xE0\x80\xAF\"]",
      "[\"\xF0\x90\x80\x80\"]", "[\"\xF4\x8F\xBF\xBF\"]", "[\"\xEF\xBF\xBE\"]",
      "[01]", "[1.]", "[.1]", "[+1]", "[1e]", "[-]", "[1,]", "[,]", "{\"a\":1,}", "{\"a\"}",
      "[\"\t\"]", "[\"\x7f\"]", "\xEF\xBB\xBF[]", "[] x", "[]]", "[[]", "{\"a\":1}{}",
      "[1 2]", "[tru]", "[nulls]", "[\"\\x\"]", "[\"\\u12\"]", "[\"\\uD83D\\uDE0\"]",
      "\f[]", "[\v]", "[\xC2\xA0]", "[/*c*/]", "[NaN]", "[Infinity]", "{1:1}",
      Nested(kMaxJsonDepth, "[", "", "]"), Nested(kMaxJsonDepth + 1, "[", "", "]"),
      Nested(kMaxJsonDepth, "{\"k\":", "[]", "}"),  // 513 deep
      Nested(kMaxJsonDepth - 1, "{\"k\":", "[]", "}"),
      "\"\\", "\"", "[", "{", "\"a\\\"", "[\"\\\\\"]", "[\"\\/\"]",
  };
  JsonGenerator gen(20251124);
  for (int i = 0; i < 160; ++i) texts.push_back(gen.Value(0));
  for (int i = 0; i < 160; ++i) texts.push_back(gen.Mutate(gen.Value(0)));
  return texts;
}

TEST(JsonRpcPeekTest, DifferentialAgainstBoostJson) {
  int valid = 0;
  int invalid = 0;
  for (const std::string& text : DifferentialCorpus()) {
    const bool ours = PeekOf(text) != PeekError::kParse;
    const bool boost = BoostAccepts(NeutralizeSurrogateEscapes(text));
    EXPECT_EQ(ours, boost) << testing::PrintToString(text);
    (ours ? valid : invalid) += 1;
  }
  // The corpus must exercise both sides.
  EXPECT_GT(valid, 120);
  EXPECT_GT(invalid, 100);
}

TEST(JsonRpcPeekTest, KnownDifferencesFromBoostJson) {
  // Lone surrogate escapes: JSON (RFC 8259 section 8.2) and JSON.parse accept
  // them, Boost.JSON 1.81 does not.
  EXPECT_EQ(PeekOf("[\"\\ud800\"]"), PeekError::kNone);
  EXPECT_FALSE(BoostAccepts("[\"\\ud800\"]"));
  // Exponents beyond INT_MAX: valid grammar (JSON.parse gives Infinity),
  // Boost.JSON reports exponent_overflow.
  EXPECT_EQ(PeekOf("[1e9999999999]"), PeekError::kNone);
  EXPECT_FALSE(BoostAccepts("[1e9999999999]"));
}

// ------------------------------------------------------------ IdKey

TEST(IdKeyTest, NumbersCompareAsDoubles) {
  EXPECT_EQ(IdKey("1"), IdKey("1.0"));
  EXPECT_EQ(IdKey("1"), IdKey("1e0"));
  EXPECT_EQ(IdKey("1"), IdKey("10e-1"));
  EXPECT_EQ(IdKey("100"), IdKey("1E2"));
  EXPECT_EQ(IdKey("9007199254740993"), IdKey("9007199254740992"));
  EXPECT_NE(IdKey("9007199254740994"), IdKey("9007199254740992"));
  EXPECT_EQ(IdKey("-0"), IdKey("0"));
  EXPECT_EQ(IdKey("-0.0e5"), IdKey("0"));
  EXPECT_EQ(IdKey("1e-400"), IdKey("0"));  // underflows to 0 like JS
  EXPECT_EQ(IdKey("1e400"), IdKey("1e500"));  // both Infinity
  EXPECT_NE(IdKey("1e400"), IdKey("-1e400"));
  EXPECT_EQ(IdKey("-1e400"), IdKey("-123456789e99999"));
  EXPECT_EQ(IdKey("0.00000000000000000000000000001e429"), IdKey("1e400"));
  EXPECT_EQ(IdKey("0.1"), IdKey("1e-1"));
  EXPECT_NE(IdKey("0.1"), IdKey("0.10000000000000002"));
  EXPECT_NE(IdKey("1"), IdKey("2"));
  EXPECT_NE(IdKey("-1"), IdKey("1"));
  EXPECT_EQ(IdKey("1"), "n1");
  EXPECT_EQ(IdKey("-2.5"), "n-2.5");
  EXPECT_EQ(IdKey(" 7 "), IdKey("7"));
}

TEST(IdKeyTest, StringsCompareDecoded) {
  EXPECT_NE(IdKey("\"1\""), IdKey("1"));
  EXPECT_EQ(IdKey("\"1\""), "s1");
  EXPECT_EQ(IdKey("\"abc\""), IdKey("\"\\u0061b\\u0063\""));
  EXPECT_EQ(IdKey("\"a/b\""), IdKey("\"a\\/b\""));
  EXPECT_EQ(IdKey("\"\xF0\x9F\x98\x80\""), IdKey("\"\\ud83d\\ude00\""));
  EXPECT_EQ(IdKey("\"\\u0000\""), "s"s + '\0');
  EXPECT_NE(IdKey("\"\""), IdKey("null"));
  EXPECT_NE(IdKey("\"null\""), IdKey("null"));
  EXPECT_EQ(IdKey("null"), "null");
  // Distinct lone surrogates stay distinct (as distinct JS strings are).
  EXPECT_NE(IdKey("\"\\ud800\""), IdKey("\"\\ud801\""));
  EXPECT_NE(IdKey("\"\\ud800\""), IdKey("\"\\ufffd\""));
}

TEST(IdKeyTest, InvalidTokensDoNotCollideWithValidOnes) {
  EXPECT_NE(IdKey("true"), IdKey("\"true\""));
  EXPECT_NE(IdKey("{}"), IdKey("\"{}\""));
  EXPECT_NE(IdKey("\"unterminated"), IdKey("\"unterminated\""));
  EXPECT_NE(IdKey("01"), IdKey("1"));
  EXPECT_NE(IdKey(""), IdKey("null"));
}

// ------------------------------------------------- decode / encode

TEST(JsonRpcStringTest, DecodeJsonString) {
  std::string out;
  EXPECT_TRUE(DecodeJsonString(R"("plain")", &out));
  EXPECT_EQ(out, "plain");
  EXPECT_TRUE(DecodeJsonString(R"("\"\\\/\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00")", &out));
  EXPECT_EQ(out, "\"\\/\b\f\n\r\tA\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  EXPECT_TRUE(DecodeJsonString(R"("\u0000")", &out));
  EXPECT_EQ(out, "\0"s);
  // Unpaired surrogates decode to U+FFFD so the result is valid UTF-8.
  EXPECT_TRUE(DecodeJsonString(R"("a\ud800b\udc00\ud83d")", &out));
  EXPECT_EQ(out, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD");
  for (const char* bad : {"", "\"", "x", "\"a", "a\"", "\"a\"b", "\"a\" ", "\"\\q\"",
                          "\"\xC0\x80\"", "\"\x01\"", "\"a\"\"", "'a'"}) {
    EXPECT_FALSE(DecodeJsonString(bad, &out)) << testing::PrintToString(std::string(bad));
  }
}

TEST(JsonRpcStringTest, AppendJsonStringRoundTripsEveryByte) {
  std::string all;
  for (int c = 0; c < 0x80; ++c) all.push_back(static_cast<char>(c));
  all += "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
  std::string json;
  AppendJsonString(&json, all);
  EXPECT_EQ(json.front(), '"');
  std::string back;
  ASSERT_TRUE(DecodeJsonString(json, &back)) << json;
  EXPECT_EQ(back, all);
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(json, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(std::string_view(v.as_string()), all);
  // Appends, does not overwrite.
  std::string prefixed = "x";
  AppendJsonString(&prefixed, "\n");
  EXPECT_EQ(prefixed, "x\"\\n\"");
}

TEST(JsonRpcStringTest, AppendJsonStringReplacesInvalidUtf8) {
  std::string json;
  AppendJsonString(&json, "a\xFF" "b\xC3" "c\xED\xA0\x80" "d\xC3\xA9");
  std::string back;
  ASSERT_TRUE(DecodeJsonString(json, &back));
  EXPECT_EQ(back,
            "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "d\xC3\xA9");
}

TEST(JsonRpcStringTest, MakeErrorResponseIsValidJsonForAnyMessage) {
  std::mt19937 rng(7);
  for (int round = 0; round < 500; ++round) {
    std::string message;
    const int len = static_cast<int>(rng() % 40);
    for (int i = 0; i < len; ++i) message.push_back(static_cast<char>(rng() & 0xFF));
    const std::string raw_id = round % 3 == 0 ? "null" : round % 3 == 1 ? "17" : "\"id-\\\"x\"";
    const std::string text = MakeErrorResponse(raw_id, kInvalidRequest, message);
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(text, ec);
    ASSERT_FALSE(ec) << testing::PrintToString(text);
    const auto& obj = v.as_object();
    EXPECT_EQ(obj.at("jsonrpc").as_string(), "2.0");
    EXPECT_EQ(obj.at("error").as_object().at("code").as_int64(), kInvalidRequest);
    EXPECT_EQ(boost::json::serialize(obj.at("id")), boost::json::serialize(boost::json::parse(raw_id)));
    // And our own peek agrees it is a response.
    Peek p;
    EXPECT_EQ(PeekOf(text, &p), PeekError::kNone) << text;
    EXPECT_EQ(p.kind, MessageKind::kResponse);
    EXPECT_EQ(p.id.in(text), raw_id);
  }
  const std::string exact = MakeErrorResponse("1", kParseError, "bad \"json\"\n");
  EXPECT_EQ(exact,
            R"({"jsonrpc":"2.0","id":1,"error":{"code":-32700,"message":"bad \"json\"\n"}})");
  EXPECT_EQ(MakeErrorResponse("", kInternalError, ""),
            R"({"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":""}})");
}

}  // namespace
}  // namespace mcpr
