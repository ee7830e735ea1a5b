// sampling/code_aliases: V8's second mapping of node's embedded builtins is
// translated back into node's own image, where the symbols are.
#include "sampling/code_aliases.h"

#include <gtest/gtest.h>

namespace heapagent {
namespace {

// /proc/self/maps of node 20 under the agent (trimmed).
constexpr const char* kNodeMaps =
    "00400000-00b6f000 r--p 00000000 fe:00 247823                             /usr/bin/node\n"
    "00b6f000-00b71000 r-xp 0076f000 fe:00 247823                             /usr/bin/node\n"
    "00b72000-025fe000 r-xp 00772000 fe:00 247823                             /usr/bin/node\n"
    "02600000-02601000 r-xp 02200000 fe:00 247823                             /usr/bin/node\n"
    "7ff8bbe40000-7ff8bbfd2000 r-xp 014c4000 fe:00 247823                     /usr/bin/node\n"
    "7ff8d9364000-7ff8d94ba000 r-xp 00026000 fe:00 332835                     /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7ff8d9999000-7ff8d999b000 r-xp 00000000 00:00 0                          [vdso]\n";

TEST(CodeAliasesTest, FindsV8sCopyOfTheBuiltins) {
  const std::vector<CodeAlias> aliases = FindCodeAliases(kNodeMaps);
  ASSERT_EQ(aliases.size(), 1u);
  EXPECT_EQ(aliases[0].start, 0x7ff8bbe40000u);
  EXPECT_EQ(aliases[0].end, 0x7ff8bbfd2000u);
  // File offset 0x14c4000 lies in the text mapping at 0xb72000 (offset 0x772000).
  EXPECT_EQ(aliases[0].primary_start, 0xb72000u + (0x14c4000u - 0x772000u));
}

TEST(CodeAliasesTest, TranslatesOnlyAddressesInsideAnAlias) {
  const std::vector<CodeAlias> aliases = FindCodeAliases(kNodeMaps);
  EXPECT_EQ(TranslateCodeAlias(aliases, 0x7ff8bbe40010), 0xb72000u + (0x14c4000u - 0x772000u) + 0x10);
  EXPECT_EQ(TranslateCodeAlias(aliases, 0x7ff8bbfd2000), 0x7ff8bbfd2000u);  // one past the end
  EXPECT_EQ(TranslateCodeAlias(aliases, 0xb80000), 0xb80000u);             // the primary itself
  EXPECT_EQ(TranslateCodeAlias(aliases, 0x7ff8d9364100), 0x7ff8d9364100u);
}

TEST(CodeAliasesTest, OrdinaryProcessesAndGarbageHaveNone) {
  EXPECT_TRUE(FindCodeAliases(
                  "5581-5590 r-xp 00001000 fe:00 1 /usr/bin/cat\n"
                  "7f00-7f10 r-xp 00026000 fe:00 2 /usr/lib/x86_64-linux-gnu/libc.so.6\n")
                  .empty());
  EXPECT_TRUE(FindCodeAliases("").empty());
  EXPECT_TRUE(FindCodeAliases("not a maps file\n\n-- r-xp zz\n").empty());
}

}  // namespace
}  // namespace heapagent
