"""Native allocations named by their JS callers (mixed stacks): real node
processes (every major in HEAPAGENT_TEST_NODES the direct path knows) under
the real preload; profiles read with `go tool pprof -traces -lines` and the
libprotobuf decoder (profile_summary). See sampling/jit_code_map.h and
sampling/interpreter_frames.h."""
import os
import re
import unittest

from harness import (AgentTestCase, go_pprof, node_binaries, node_script, profiles, run, source_line, summary,
                     value_index)

KNOWN_MAJORS = {"20", "22", "24"}
FAST = {"HEAPAGENT_PERIOD": "0.5", "HEAPAGENT_NATIVE_INTERVAL": "32768"}



def traces(path):
    """`go tool pprof -traces -lines` as a list of (value text, frames leaf first)."""
    result = go_pprof("-traces", "-lines", "-sample_index=alloc_space", path)
    if result.returncode != 0:
        raise AssertionError(result.stderr)
    stacks = []
    for block in result.stdout.split("-----------+-------------------------------------------------------")[1:]:
        lines = [line.strip() for line in block.strip().splitlines() if line.strip()]
        if not lines:
            continue
        value, first = lines[0].split(None, 1) if " " in lines[0] else (lines[0], "")
        stacks.append((value, [first] + lines[1:]))
    return stacks


def frame_function(frame):
    return frame.split(" ")[0]


class MixedStacksTest(AgentTestCase):
    def known_nodes(self):
        nodes = [(major, node) for major, node in node_binaries() if major in KNOWN_MAJORS]
        if not nodes:
            self.skipTest("no node 20/22/24: mixed stacks need the direct path")
        return nodes

    def run_script(self, node, name, script, *arguments, env=None, node_flags=()):
        output = os.path.join(self.directory, name)
        result = run([node, *node_flags, node_script(script), *arguments],
                     env={**FAST, "HEAPAGENT_OUTPUT_DIR": output, **(env or {})})
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        return result, output

    def test_js_callers_of_native_allocations(self):
        script = node_script("mixed_stacks.js")
        expected = {
            # function: (its declaration line, a native frame its allocations must reach)
            "compressReport": (source_line("mixed_stacks.js", "function compressReport"), "zlib"),
            "allocatePayload": (source_line("mixed_stacks.js", "function allocatePayload"), "ArrayBuffer"),
            "hashRecord": (source_line("mixed_stacks.js", "function hashRecord"), "crypto"),
        }
        for major, node in self.known_nodes():
            with self.subTest(node=major):
                # Every frame named: interpreted ones too (opt-in; by default
                # a function V8 has not compiled yet shows as the
                # interpreter's trampoline, and how many of 3000 calls run
                # before V8 compiles it depends on the machine's load). No
                # inlining: optimized code that inlined allocatePayload into
                # the loop is one frame, named after the loop's function
                # (README, known limits).
                _, output = self.run_script(node, major, "mixed_stacks.js",
                                            env={"HEAPAGENT_NATIVE_JS_INTERPRETED": "1"},
                                            node_flags=["--max-inlined-bytecode-size=0"])
                files = profiles(output)
                self.assertGreaterEqual(len(files), 2, files)
                periodic = files[-2]
                stacks = traces(periodic)
                for function, (line, native_part) in expected.items():
                    located = f"{function} {script}:{line}"
                    with_caller = [frames for _, frames in stacks if located in frames]
                    self.assertTrue(with_caller, f"{located} is no caller in any native stack")
                    # Its native allocations: native frames below it (leaf side)
                    # that belong to the library it called.
                    self.assertTrue(any(
                        any(native_part.lower() in frame.lower() for frame in frames[:frames.index(located)])
                        for frames in with_caller), f"{function}: no {native_part} frame below it")
                    self.assertTrue(any(frames[0].startswith(("malloc", "calloc", "realloc", "operator new",
                                                              "node::NodeArrayBufferAllocator", "CRYPTO_"))
                                        or "alloc" in frames[0].lower() for frames in with_caller), function)

                # JS frames carry a mapping of their own, for viewers to colour.
                profile = summary(periodic)
                self.assertIn("[js]", [m["filename"] for m in profile["mappings"]])
                retained = sum(s["values"][value_index(profile, "inuse_space")] for s in profile["stacks"]
                               if "allocatePayload" in s["frames"])
                # 3000 Buffers of 8 KiB retained by allocatePayload.
                self.assertGreater(retained, 0.8 * 3000 * 8192, "allocatePayload's retained Buffers")

                # libuv's pool threads (its thread function is `worker`) have
                # no JS: their stacks stay native and named.
                pool = [frames for _, frames in stacks if any(frame_function(f) == "worker" for f in frames)]
                self.assertTrue(pool, "no stack from libuv's thread pool")
                self.assertTrue(any("scrypt" in " ".join(frames).lower() for frames in pool), "scrypt on the pool")
                for frames in pool:
                    self.assertFalse(any(f.startswith(("compressReport", "allocatePayload", "hashRecord"))
                                         for f in frames), frames)

    def test_interpreted_frames_are_named_when_asked(self):
        # Code that ran only a few times (node's module loader, here) is
        # still interpreted: by default its frames are the interpreter's
        # trampoline; frame reading (opt-in) names them.
        _, node = self.known_nodes()[0]
        trampolines = {}
        for interpreted in ("0", "1"):
            _, output = self.run_script(node, f"interpreted-{interpreted}", "mixed_stacks.js",
                                        env={"HEAPAGENT_NATIVE_JS_INTERPRETED": interpreted},
                                        node_flags=["--max-inlined-bytecode-size=0"])
            stacks = [frames for _, frames in traces(profiles(output)[-2])
                      if any(frame.startswith("compressReport ") for frame in frames)]
            self.assertTrue(stacks, interpreted)
            trampolines[interpreted] = sum(frame_function(frame) == "Builtins_InterpreterEntryTrampoline"
                                           for frames in stacks for frame in frames) / len(stacks)
            if interpreted == "1":
                self.assertTrue(any(any(frame.startswith("Module._compile ") for frame in frames) for frames in stacks))
        self.assertGreater(trampolines["0"], 0, trampolines)
        self.assertLess(trampolines["1"], trampolines["0"] / 2, trampolines)

    def test_turned_off_the_stacks_stay_native(self):
        _, node = self.known_nodes()[0]
        _, output = self.run_script(node, "off", "mixed_stacks.js", env={"HEAPAGENT_NATIVE_JS_FRAMES": "false"})
        profile = summary(profiles(output)[-2])
        self.assertNotIn("[js]", [m["filename"] for m in profile["mappings"]])
        self.assertNotIn("compressReport", profile["functions"])

    def test_code_churn_keeps_the_code_map_bounded(self):
        for major, node in self.known_nodes():
            with self.subTest(node=major):
                # Interpreted frames read too: the churned functions' bytecode
                # is in the map as well, and retainNative runs too rarely to
                # be compiled.
                result, output = self.run_script(node, major, "code_churn.js", "6",
                                                 env={"HEAPAGENT_LOG": "debug", "HEAPAGENT_NATIVE_JS_INTERPRETED": "1"})
                sizes = [(int(ranges), int(kib)) for ranges, kib in
                         re.findall(r"JS code map: (\d+) ranges, about (\d+) KiB", result.stderr)]
                self.assertGreaterEqual(len(sizes), 6, result.stderr[-2000:])
                # 20000 functions compiled per round: well past the map's
                # 32768 ranges, which it keeps to (and to its byte budget).
                self.assertEqual(max(ranges for ranges, _ in sizes), 32768, sizes)
                self.assertLess(max(kib for _, kib in sizes), 8 * 1024, sizes)
                # The retaining function is still named after the churn.
                profile = summary(profiles(output)[-2])
                self.assertIn("retainNative", profile["functions"])


if __name__ == "__main__":
    unittest.main()
