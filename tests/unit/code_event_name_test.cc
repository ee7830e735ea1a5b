// sampling/code_event_name: the names V8 gives its code, as node 20, 22 and
// 24 print them in perf maps (the same text reaches the code event handler).
#include "sampling/code_event_name.h"

#include <gtest/gtest.h>

namespace heapagent {
namespace {

TEST(CodeEventNameTest, JsFunctionInEveryTier) {
  for (const char* name : {"JS:~gzipLeak /srv/app/zip.js:12:18", "JS:*gzipLeak /srv/app/zip.js:12:18",
                           "JS:^gzipLeak /srv/app/zip.js:12:18", "JS:+gzipLeak /srv/app/zip.js:12:18",
                           "JS:+'gzipLeak /srv/app/zip.js:12:18", "JS:*'gzipLeak /srv/app/zip.js:12:18"}) {
    const CodeEventName parsed = ParseCodeEventName(name);
    EXPECT_EQ(parsed.kind, CodeEventNameKind::kJsFunction) << name;
    EXPECT_EQ(parsed.function, "gzipLeak") << name;
    EXPECT_EQ(parsed.script, "/srv/app/zip.js") << name;
    EXPECT_EQ(parsed.line, 12) << name;
    EXPECT_EQ(parsed.column, 18) << name;
  }
}

TEST(CodeEventNameTest, AnonymousFunctionsAndNodeModules) {
  const CodeEventName anonymous = ParseCodeEventName("JS:~ /tmp/jt.js:1:1");
  EXPECT_EQ(anonymous.kind, CodeEventNameKind::kJsFunction);
  EXPECT_EQ(anonymous.function, "(anonymous)");
  EXPECT_EQ(anonymous.script, "/tmp/jt.js");
  const CodeEventName internal = ParseCodeEventName("JS:*Module._compile node:internal/modules/cjs/loader:1358:37");
  EXPECT_EQ(internal.function, "Module._compile");
  EXPECT_EQ(internal.script, "node:internal/modules/cjs/loader");
  EXPECT_EQ(internal.line, 1358);
  EXPECT_EQ(ParseCodeEventName("Eval:~ /tmp/jt.js:1:1").function, "(eval)");
}

TEST(CodeEventNameTest, SpacesInFunctionNamesAndScripts) {
  const CodeEventName getter = ParseCodeEventName("JS:~get size file:///srv/my app/cache.mjs:40:7");
  EXPECT_EQ(getter.function, "get size");
  EXPECT_EQ(getter.script, "file:///srv/my app/cache.mjs");
  EXPECT_EQ(getter.line, 40);
  EXPECT_EQ(getter.column, 7);
}

TEST(CodeEventNameTest, OlderTagsAndNoColumn) {
  const CodeEventName lazy = ParseCodeEventName("LazyCompile:~handler /srv/app.js:3");
  EXPECT_EQ(lazy.kind, CodeEventNameKind::kJsFunction);
  EXPECT_EQ(lazy.function, "handler");
  EXPECT_EQ(lazy.line, 3);
  EXPECT_EQ(lazy.column, 0);
  const CodeEventName bare = ParseCodeEventName("Function:~onlyAName");
  EXPECT_EQ(bare.function, "onlyAName");
  EXPECT_EQ(bare.script, "");
}

TEST(CodeEventNameTest, BuiltinsAndTheInterpreter) {
  EXPECT_EQ(ParseCodeEventName("Builtin:InterpreterEntryTrampoline").kind, CodeEventNameKind::kInterpreter);
  EXPECT_EQ(ParseCodeEventName("Builtin:InterpreterEnterAtBytecode").kind, CodeEventNameKind::kInterpreter);
  const CodeEventName builtin = ParseCodeEventName("Builtin:JSConstructStubGeneric");
  EXPECT_EQ(builtin.kind, CodeEventNameKind::kBuiltin);
  EXPECT_EQ(builtin.function, "Builtins_JSConstructStubGeneric");
  const CodeEventName handler = ParseCodeEventName("BytecodeHandler:Construct");
  EXPECT_EQ(handler.kind, CodeEventNameKind::kBuiltin);
  EXPECT_EQ(handler.function, "Builtins_ConstructHandler");
  EXPECT_EQ(ParseCodeEventName("RegExp:[a-z]+").kind, CodeEventNameKind::kOther);
  EXPECT_EQ(ParseCodeEventName("Stub:Something").kind, CodeEventNameKind::kOther);
  EXPECT_EQ(ParseCodeEventName("no tag at all").kind, CodeEventNameKind::kOther);
  EXPECT_EQ(ParseCodeEventName("").kind, CodeEventNameKind::kOther);
}

}  // namespace
}  // namespace heapagent
