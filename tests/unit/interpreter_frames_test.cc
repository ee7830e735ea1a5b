// sampling/interpreter_frames: the interpreter's published code ranges, and
// reading an interpreted frame's bytecode from slots laid out as V8 does.
#include "sampling/interpreter_frames.h"

#include <gtest/gtest.h>

#include <thread>

namespace heapagent {
namespace {

class InterpreterFramesTest : public ::testing::Test {
 protected:
  void SetUp() override { ResetInterpreterRangesForTesting(); }
  void TearDown() override { ResetInterpreterRangesForTesting(); }
};

TEST_F(InterpreterFramesTest, RangesMergeAndAnswerForReturnAddresses) {
  EXPECT_FALSE(InterpreterRangesKnown());
  EXPECT_FALSE(IsInterpreterCode(0x1001));
  PublishInterpreterRange(0x1000, 0x1400);
  PublishInterpreterRange(0x1420, 0x1800);  // a small alignment gap: merged
  PublishInterpreterRange(0x900000, 0x900100);
  EXPECT_TRUE(InterpreterRangesKnown());
  // A return address is one past its call instruction.
  EXPECT_TRUE(IsInterpreterCode(0x1001));
  EXPECT_TRUE(IsInterpreterCode(0x1410));
  EXPECT_TRUE(IsInterpreterCode(0x1800));
  EXPECT_FALSE(IsInterpreterCode(0x1801));
  EXPECT_FALSE(IsInterpreterCode(0x1000));
  EXPECT_TRUE(IsInterpreterCode(0x900080));
  EXPECT_FALSE(IsInterpreterCode(0x800000));
}

TEST_F(InterpreterFramesTest, ReadsTheBytecodeOfAnInterpretedFrame) {
  // fp-40 offset (Smi), fp-32 BytecodeArray (tagged), fp-24 argc, fp-16
  // function, fp-8 context, fp saved fp, fp+8 return address.
  alignas(16) uintptr_t frame[8] = {};
  const uintptr_t fp = reinterpret_cast<uintptr_t>(&frame[5]);
  const uintptr_t bytecode_array = 0x2e1b00041000 | 1;
  frame[0] = uintptr_t{0x37} << 32;  // Smi 0x37, without pointer compression
  frame[1] = bytecode_array;
  const uintptr_t tagged = InterpretedFrameBytecode(fp);
  ASSERT_TRUE(IsJsBytecodeFrame(tagged));
  EXPECT_EQ(JsBytecodeAddress(tagged), bytecode_array + 0x37);
  frame[0] = uintptr_t{0x37} << 1;  // with pointer compression's 31-bit Smis
  EXPECT_EQ(JsBytecodeAddress(InterpretedFrameBytecode(fp)), bytecode_array + 0x37);
}

TEST_F(InterpreterFramesTest, RejectsSlotsThatAreNotV8s) {
  alignas(16) uintptr_t frame[8] = {};
  const uintptr_t fp = reinterpret_cast<uintptr_t>(&frame[5]);
  frame[1] = 0x2e1b00041000;  // untagged: not a heap object
  frame[0] = uintptr_t{0x37} << 32;
  EXPECT_EQ(InterpretedFrameBytecode(fp), 0u);
  frame[1] = 0x2e1b00041001;
  frame[0] = 0x12345679;  // not a Smi
  EXPECT_EQ(InterpretedFrameBytecode(fp), 0u);
  frame[0] = 0;  // offset 0 is inside the object's header
  EXPECT_EQ(InterpretedFrameBytecode(fp), 0u);
  EXPECT_EQ(InterpretedFrameBytecode(0), 0u);
  EXPECT_EQ(InterpretedFrameBytecode(fp + 3), 0u);  // misaligned frame pointer
}

TEST_F(InterpreterFramesTest, ReadersRaceWithPublication) {
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop.load()) {
      // Any answer is fine; the race must be clean (TSan) and never see a
      // range that was not published.
      if (IsInterpreterCode(0x50000001)) ADD_FAILURE() << "never published";
      (void)IsInterpreterCode(0x10001);
    }
  });
  for (uintptr_t i = 0; i < 200; ++i) PublishInterpreterRange(0x10000 + i * 0x100, 0x10000 + (i + 1) * 0x100);
  stop = true;
  reader.join();
  EXPECT_TRUE(IsInterpreterCode(0x10000 + 150 * 0x100));
}

}  // namespace
}  // namespace heapagent
