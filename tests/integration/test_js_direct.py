"""The direct (in-process) JS heap path, end to end: real node processes
(every major in HEAPAGENT_TEST_NODES) under the real LD_PRELOAD with
HEAPAGENT_JS_MODE=auto/direct, js profiles decoded with libprotobuf
(profile_summary). See v8direct/ and agent/direct_js_collector.h."""
import json
import os
import re
import unittest

from harness import (MIB, AgentTestCase, cumulative, node_binaries, node_script, profiles, run, source_line, summary,
                     value_index)

# Small interval: the retained sets below get hundreds of samples each.
FAST = {"HEAPAGENT_PERIOD": "0.5", "HEAPAGENT_JS_INTERVAL": "16384"}
KNOWN_MAJORS = {"20", "22", "24"}



def thread_names(profile):
    return {dict(s["labels"]).get("thread name") for s in profile["stacks"]}


class DirectJsTest(AgentTestCase):
    def known_nodes(self):
        nodes = [(major, node) for major, node in node_binaries() if major in KNOWN_MAJORS]
        if not nodes:
            self.skipTest("no node 20/22/24 to test the direct path on")
        return nodes

    def run_node(self, node, script, *arguments, env=None, name=None):
        output = os.path.join(self.directory, name or os.path.basename(os.path.dirname(node)) or "node")
        result = run([node, node_script(script), *arguments],
                     env={**FAST, "HEAPAGENT_OUTPUT_DIR": output, **(env or {})})
        return result, output

    def test_named_functions_exact_counts_no_inspector(self):
        for major, node in self.known_nodes():
            for mode in ("auto", "direct"):
                with self.subTest(node=major, mode=mode):
                    result, output = self.run_node(node, "direct_allocations.js", "5",
                                                   env={"HEAPAGENT_JS_MODE": mode, "HEAPAGENT_LOG": "info"},
                                                   name=f"{major}-{mode}")
                    self.assertEqual(result.returncode, 5, result.stderr)
                    # Direct mode opens no inspector: no banner, no port.
                    self.assertNotIn("Debugger", result.stderr)
                    self.assertIn(f"JS heap read in-process on node {major}", result.stderr)
                    files = profiles(output, "js")
                    self.assertGreaterEqual(len(files), 3, files)
                    self.assertTrue(files[-1].endswith(".pb.gz"))
                    profile = summary(files[-1])  # the final one, from node's AtExit
                    self.assertEqual(profile["sample_types"], [["inuse_objects", "count"], ["inuse_space", "bytes"]])
                    self.assertEqual(profile["period"], 16384)
                    functions = profile["functions"]
                    for name in ("directRetainObjects", "directRetainArrays"):
                        self.assertIn(name, functions, sorted(functions))
                        self.assertTrue(functions[name]["file"].endswith("direct_allocations.js"), functions[name])
                        self.assertEqual(functions[name]["lines"],
                                         [source_line("direct_allocations.js", f"function {name}(")])
                    # 100k objects retained: V8's scaled counts are an unbiased
                    # estimate, within a few percent at this many samples.
                    objects = cumulative(profile, "directRetainObjects", "inuse_objects")
                    self.assertGreater(objects, 70_000)
                    self.assertLess(objects, 130_000)
                    # 2000 arrays of 1000 tagged 8-byte slots (node has no
                    # pointer compression): ~16 MB, plus V8's per-bucket
                    # rounding when objects are near the interval.
                    arrays = cumulative(profile, "directRetainArrays")
                    self.assertGreater(arrays, 12 * MIB)
                    self.assertLess(arrays, 24 * MIB)
                    self.assertIn("Main Event Loop", thread_names(profile))
                    self.assertTrue(any("(external)" in s["frames"] for s in profile["stacks"]))

    def test_reads_walk_v8s_tree_once_proved_and_give_the_same_profile(self):
        for major, node in self.known_nodes():
            finals = {}
            for tree in ("1", "0"):
                with self.subTest(node=major, read_tree=tree):
                    result, output = self.run_node(node, "direct_allocations.js", "5",
                                                   env={"HEAPAGENT_JS_MODE": "direct", "HEAPAGENT_LOG": "debug",
                                                        "HEAPAGENT_JS_READ_TREE": tree},
                                                   name=f"{major}-tree{tree}")
                    self.assertEqual(result.returncode, 5, result.stderr)
                    reads = [line for line in result.stderr.splitlines() if "read the JS heap" in line]
                    walked = [line for line in reads if "walked V8's tree" in line]
                    if tree == "1":
                        # The first read proves the layout through
                        # GetAllocationProfile; later ones walk the tree.
                        self.assertIn("ms in V8", reads[0])
                        self.assertTrue(walked, "\n".join(reads))
                        self.assertNotIn("slower", result.stderr)
                    else:
                        self.assertFalse(walked, "\n".join(reads))
                    finals[tree] = summary(profiles(output, "js")[-1])
            with self.subTest(node=major, compare="tree vs GetAllocationProfile"):
                for name in ("directRetainObjects", "directRetainArrays"):
                    in_tree, in_v8 = finals["1"]["functions"][name], finals["0"]["functions"][name]
                    self.assertEqual((in_tree["file"], in_tree["lines"]), (in_v8["file"], in_v8["lines"]))
                # Two runs, two sets of random samples: within sampling noise.
                objects = [cumulative(finals[tree], "directRetainObjects", "inuse_objects") for tree in ("1", "0")]
                self.assertLess(abs(objects[0] - objects[1]), 0.3 * objects[1], objects)

    def test_natural_exit_takes_final_profile_at_teardown(self):
        for major, node in self.known_nodes():
            with self.subTest(node=major):
                result, output = self.run_node(node, "direct_allocations.js", "0", "natural")
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(result.stderr, "")
                files = profiles(output, "js")
                self.assertGreaterEqual(len(files), 3, files)
                self.assertIn("directRetainObjects", summary(files[-1])["functions"])

    def test_workers_including_terminated_and_late_ones(self):
        for major, node in self.known_nodes():
            with self.subTest(node=major):
                result, output = self.run_node(node, "direct_workers.js")
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(result.stderr, "")
                seen_functions = set()
                seen_threads = set()
                for path in profiles(output, "js"):
                    profile = summary(path)
                    seen_functions.update(profile["functions"])
                    seen_threads.update(thread_names(profile))
                self.assertIn("workerRetain", seen_functions)
                self.assertIn("lateWorkerRetain", seen_functions)
                self.assertTrue(any(re.fullmatch(r"Worker #\d+", name or "") for name in seen_threads), seen_threads)

    def test_app_cannot_tell(self):
        for major, node in self.known_nodes():
            with self.subTest(node=major):
                bare = run([node, node_script("direct_app_view.js"), "a", "b"], preload=False)
                agent, _ = self.run_node(node, "direct_app_view.js", "a", "b", env={"HEAPAGENT_JS_MODE": "direct"})
                self.assertEqual(bare.returncode, 3, bare.stderr)
                self.assertEqual((agent.returncode, agent.stdout, agent.stderr),
                                 (bare.returncode, bare.stdout, bare.stderr))
                view = json.loads(agent.stdout)
                self.assertEqual(view["main"]["requireCache"], ["./direct_app_view.js"])

    def test_unknown_version_falls_back_to_cdp_with_one_line(self):
        _, node = self.known_nodes()[0]
        result, output = self.run_node(node, "direct_allocations.js", "0",
                                       env={"HEAPAGENT_TEST_V8_VERSION": "99.1.0-node.1"})
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stderr.splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("V8 99.1.0-node.1 is not a version whose ABI heapagent knows", lines[0])
        self.assertIn("using node's inspector (CDP)", lines[0])
        profile = summary(profiles(output, "js")[-1])
        self.assertEqual(profile["sample_types"][0], ["inuse_samples", "count"])  # the CDP path's layout
        self.assertIn("directRetainObjects", profile["functions"])

    def test_direct_mode_on_unknown_version_stays_off(self):
        _, node = self.known_nodes()[0]
        result, output = self.run_node(node, "direct_app_view.js",
                                       env={"HEAPAGENT_TEST_V8_VERSION": "99.1.0-node.1", "HEAPAGENT_JS_MODE": "direct"})
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn("JS heap profiling is off", result.stderr)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertNotIn("Debugger", result.stderr)


if __name__ == "__main__":
    unittest.main()
