"""JS heap profiling over node's own inspector, end to end: real node
processes (every major in HEAPAGENT_TEST_NODES) under the real LD_PRELOAD,
js profiles decoded with libprotobuf (profile_summary) and go tool pprof."""
import os
import re
import shutil
import subprocess
import time
import unittest

import harness
from harness import (MIB, AgentTestCase, cumulative, go_pprof, node_binaries, node_script, profiles, program,
                     source_line, summary, value_index)

# These tests are about the inspector (CDP) path; test_js_direct.py covers
# the in-process path that HEAPAGENT_JS_MODE=auto prefers on known nodes.
CDP = {"HEAPAGENT_JS_MODE": "cdp"}


def run(command, env=None, **kwargs):
    return harness.run(command, env={**CDP, **(env or {})}, **kwargs)

# At 4 KiB the smallest retained amount compared below (~3.5 MiB) has ~900
# samples: its estimate is within ±4% (one standard deviation).
FAST = {"HEAPAGENT_PERIOD": "0.5", "HEAPAGENT_JS_INTERVAL": "4096"}



def stacks_with(profile, function):
    return [s for s in profile["stacks"] if function in s["frames"]]


class JsProfileTest(AgentTestCase):
    def run_allocations(self, node):
        output = os.path.join(self.directory, os.path.basename(os.path.dirname(node)) or "node")
        # No inlining: V8 names the physical frame, and these checks name the
        # functions that allocate (see README, Known limits).
        result = run([node, "--max-inlined-bytecode-size=0", node_script("js_allocations.js")],
                     env={**FAST, "HEAPAGENT_OUTPUT_DIR": output})
        self.assertOk(result)
        self.assertEqual(result.stderr, "")
        files = profiles(output, "js")
        self.assertGreaterEqual(len(files), 2, files)
        return files, summary(files[-2])

    def test_named_functions_with_file_line_and_proportional_bytes(self):
        for major, node in node_binaries():
            with self.subTest(node=major):
                files, profile = self.run_allocations(node)
                self.assertEqual(profile["sample_types"], [["inuse_samples", "count"], ["inuse_space", "bytes"]])
                self.assertEqual(profile["default_sample_type"], "inuse_space")
                self.assertEqual(profile["period_type"], ["space", "bytes"])
                self.assertEqual(profile["period"], 4096)
                functions = profile["functions"]
                for name in ["retainSmallArrays", "retainLargeArrays", "retainStrings", "addRetryInterceptors",
                             "cacheResponse", "makeRows"]:
                    self.assertIn(name, functions, sorted(functions))
                    self.assertTrue(functions[name]["file"].endswith("js_allocations.js"), functions[name])
                    self.assertEqual(functions[name]["lines"], [source_line("js_allocations.js", f"function {name}(")],
                                     name)
                # Same shape, four times the rows: four times the bytes.
                small = cumulative(profile, "retainSmallArrays")
                large = cumulative(profile, "retainLargeArrays")
                self.assertGreater(small, 2 * MIB)
                self.assertLess(abs(large / small - 4), 0.8, (small, large))
                # The leak shapes of the write-up are there. (Only roughly: V8
                # attributes allocations of a function it inlined to the
                # caller, and node 20/22/24 lay objects out differently.)
                self.assertGreater(cumulative(profile, "addRetryInterceptors"), MIB / 4)
                self.assertGreater(cumulative(profile, "cacheResponse"), MIB / 4)
                # V8's root is never a frame; every sample is labelled with its thread.
                self.assertNotIn("(root)", functions)
                for stack in profile["stacks"]:
                    self.assertEqual(stack["labels"].get("thread name"), "Main Event Loop", stack)
                    self.assertEqual(stack["labels"].get("thread id"), "0")
                    self.assertRegex(stack["labels"].get("os thread id", ""), r"^\d+$")
                # Off-heap memory is its own sample, as dd-trace-js sends it.
                external = stacks_with(profile, "(external)")
                self.assertEqual(len(external), 1, external)
                self.assertEqual(external[0]["frames"], ["(external)"])
                # Objects that survived from the previous profile are told apart.
                ages = {s["labels"].get("age") for s in profile["stacks"] if s["frames"] != ["(external)"]}
                self.assertIn("old", ages)
                top = go_pprof("-top", files[-2])
                self.assertEqual(top.returncode, 0, top.stderr)
                self.assertIn("retainLargeArrays", top.stdout)

    def test_worker_samples_carry_the_worker_thread_label(self):
        for major, node in node_binaries():
            with self.subTest(node=major):
                output = os.path.join(self.directory, f"worker-{major}")
                result = run([node, node_script("js_worker.js")], env={**FAST, "HEAPAGENT_OUTPUT_DIR": output})
                self.assertOk(result)
                self.assertEqual(result.stderr, "")
                found = []
                for path in profiles(output, "js"):
                    found += [s["labels"] for s in stacks_with(summary(path), "workerRetain")]
                self.assertTrue(found, "no workerRetain samples in any js profile")
                self.assertTrue(all(labels["thread name"].startswith("Worker #") for labels in found), found)
                self.assertTrue(all(labels["thread id"] != "0" for labels in found), found)


class JsExitTest(AgentTestCase):
    def test_exit_paths_keep_code_and_output_and_are_not_delayed(self):
        for major, node in node_binaries():
            for mode, code in [("natural", 0), ("exit", 3), ("throw", 1), ("sigint", -2)]:
                with self.subTest(node=major, mode=mode):
                    output = os.path.join(self.directory, f"{major}-{mode}")
                    bare = run([node, node_script("js_exit_modes.js"), mode], preload=False)
                    agent, lag = self.run_timing_exit([node, node_script("js_exit_modes.js"), mode],
                                                      {**FAST, "HEAPAGENT_OUTPUT_DIR": output})
                    self.assertEqual(bare.returncode, code)
                    self.assertEqual(agent.returncode, code)
                    self.assertEqual(agent.stdout, bare.stdout)
                    self.assertEqual(re.sub(r"\d+", "N", agent.stderr), re.sub(r"\d+", "N", bare.stderr))
                    # From the app's last line to the end of the process.
                    self.assertLess(lag, 1.0, f"exit took {lag:.2f}s after the app's last line")
                    files = profiles(output, "js")
                    if mode != "sigint":
                        # The final profile is taken where node runs its exit
                        # handlers; a signal's default action runs none.
                        self.assertGreaterEqual(len(files), 1, files)
                        self.assertIn("allocateBeforeExit", summary(files[-1])["functions"])

    def run_timing_exit(self, command, env):
        """Runs command; returns (CompletedProcess-like, seconds between the
        'exiting' line on stdout and the process's end)."""
        from harness import _CLEAN_ENV, LIBRARY
        full_env = dict(_CLEAN_ENV, LD_PRELOAD=LIBRARY, **CDP, **env)
        process = subprocess.Popen(command, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = process.stdout.readline()
        seen_at = time.monotonic()
        rest, stderr = process.communicate(timeout=60)
        lag = time.monotonic() - seen_at
        return subprocess.CompletedProcess(command, process.returncode, first + rest, stderr), lag

    def test_console_is_byte_identical(self):
        for major, node in node_binaries():
            with self.subTest(node=major):
                bare = run([node, "-e", "console.log(1); console.error(2)"], preload=False)
                agent = run([node, "-e", "console.log(1); console.error(2)"],
                            env={"HEAPAGENT_OUTPUT_DIR": os.path.join(self.directory, f"console-{major}")})
                self.assertEqual((agent.returncode, agent.stdout, agent.stderr),
                                 (bare.returncode, bare.stdout, bare.stderr))


class JsCoexistenceTest(AgentTestCase):
    def test_app_with_its_own_inspector_keeps_it_and_is_profiled(self):
        for major, node in node_binaries():
            with self.subTest(node=major):
                output = os.path.join(self.directory, f"inspect-{major}")
                command = [node, "--inspect=127.0.0.1:0", node_script("js_allocations.js")]
                result = run(command, env={**FAST, "HEAPAGENT_OUTPUT_DIR": output})
                self.assertOk(result)
                # The app's own banner, exactly as without the agent; nothing of the agent's.
                lines = result.stderr.splitlines()
                self.assertEqual(len(lines), 2, result.stderr)
                self.assertRegex(lines[0], r"^Debugger listening on ws://127\.0\.0\.1:\d+/[0-9a-f-]{36}$")
                self.assertTrue(lines[1].startswith("For help, see: "))
                self.assertIn("retainLargeArrays", summary(profiles(output, "js")[-2])["functions"])

    def test_app_that_opens_its_inspector_later_keeps_it_and_is_profiled(self):
        result = run(["node", "--inspect-port=127.0.0.1:0", node_script("js_open_later.js")],
                     env={**FAST, "HEAPAGENT_OUTPUT_DIR": self.output})
        self.assertOk(result)
        lines = result.stderr.splitlines()
        self.assertEqual(len(lines), 2, result.stderr)
        self.assertRegex(lines[0], r"^Debugger listening on ws://127\.0\.0\.1:\d+/")
        self.assertIn("allocateAfterOpen", summary(profiles(self.output, "js")[-2])["functions"])

    def test_app_closing_the_inspector_is_not_blocked_and_gets_one_line(self):
        from harness import _CLEAN_ENV, LIBRARY
        env = dict(_CLEAN_ENV, LD_PRELOAD=LIBRARY, **CDP, **FAST, HEAPAGENT_OUTPUT_DIR=self.output)
        process = subprocess.Popen(["node", node_script("js_close_inspector.js")], env=env, stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # The event: the agent's line (it waits a grace period first, in
            # case the process is exiting); then the app may end.
            line = process.stderr.readline()
            self.assertRegex(line, r"^heapagent: node closed its inspector .*JS heap profiling is off\n$")
            stdout, rest = process.communicate(input="", timeout=60)  # ends the app's stdin
        finally:
            if process.poll() is None:
                process.kill()
        self.assertEqual(process.returncode, 0)
        self.assertEqual(stdout, "closed, url undefined\nstill running\n")
        self.assertEqual(rest, "")

    def test_another_profiler_stopping_the_sampler_is_reported_once_and_survived(self):
        result = run(["node", node_script("js_foreign_stop.js")], env={**FAST, "HEAPAGENT_OUTPUT_DIR": self.output})
        self.assertOk(result)
        lines = result.stderr.splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertRegex(lines[0], r"^heapagent: V8's sampling heap profiler was stopped by someone else")
        # Sampling resumed: the last periodic profile has the app's samples again.
        self.assertIn("keepAllocating", summary(profiles(self.output, "js")[-2])["functions"])

    def test_disable_sigusr1_does_not_matter(self):
        # The agent never uses SIGUSR1 (node 22+ has --disable-sigusr1).
        for major, node in node_binaries():
            if int(major) < 22:
                continue
            with self.subTest(node=major):
                output = os.path.join(self.directory, f"nosigusr1-{major}")
                result = run([node, "--disable-sigusr1", node_script("js_allocations.js")],
                             env={**FAST, "HEAPAGENT_OUTPUT_DIR": output})
                self.assertOk(result)
                self.assertEqual(result.stderr, "")
                self.assertIn("retainLargeArrays", summary(profiles(output, "js")[-2])["functions"])

    @unittest.skipUnless(os.environ.get("HEAPAGENT_TEST_NODE_MODULES"), "HEAPAGENT_TEST_NODE_MODULES not set")
    def test_datadog_pprof_in_the_same_process_is_detected_and_reported(self):
        result = run(["node", node_script("js_with_datadog_pprof.js")],
                     env={**FAST, "HEAPAGENT_OUTPUT_DIR": self.output,
                          "NODE_PATH": os.environ["HEAPAGENT_TEST_NODE_MODULES"]})
        self.assertOk(result)
        lines = result.stderr.splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertRegex(lines[0], r"^heapagent: @datadog/pprof .* is loaded in this process and shares V8's one heap")
        self.assertGreaterEqual(len(profiles(self.output, "js")), 2)

    def test_child_that_inherits_the_environment_but_not_the_agent_has_no_inspector(self):
        script = ("const {execFileSync} = require('child_process');"
                  "const env = {...process.env}; delete env.LD_PRELOAD;"
                  "process.stdout.write(execFileSync(process.execPath, ['-p', "
                  "'String(require(\"inspector\").url()) + \" \" + String(process.env.NODE_OPTIONS)'], {env}));"
                  "console.log(' parent:', process.env.NODE_OPTIONS);")
        result = run(["node", "-e", script], env={"HEAPAGENT_OUTPUT_DIR": self.output, "NODE_OPTIONS": "--no-warnings"})
        self.assertOk(result)
        self.assertEqual(result.stdout.strip(), "undefined --no-warnings\n parent: --no-warnings".strip())

    def test_js_profiling_can_be_turned_off(self):
        result = run(["node", "-p", "String(require('inspector').url())"],
                     env={"HEAPAGENT_JS": "0", "HEAPAGENT_OUTPUT_DIR": self.output})
        self.assertOk(result)
        self.assertEqual(result.stdout, "undefined\n")
        self.assertEqual(profiles(self.output, "js"), [])


class JsDegradeTest(AgentTestCase):
    def test_a_node_without_an_inspector_gives_one_line_and_native_profiling_goes_on(self):
        # A program called "node" that is not node: no inspector symbols.
        impostor = os.path.join(self.directory, "node")
        shutil.copy(program("retain_known_bytes"), impostor)
        result = run([impostor], env={"HEAPAGENT_OUTPUT_DIR": self.output, "HEAPAGENT_NATIVE_INTERVAL": "65536"})
        self.assertOk(result)
        self.assertEqual(result.stderr.count("\n"), 1, result.stderr)
        self.assertRegex(result.stderr, r"^heapagent: this node has no usable inspector .*JS heap profiling is off\n$")
        self.assertEqual(len(profiles(self.output, "native")), 1)


if __name__ == "__main__":
    unittest.main()
