"""Native heap profiling, end to end: real programs and real node under the
real LD_PRELOAD, profiles decoded with libprotobuf (profile_summary) and
go tool pprof."""
import os
import re
import shutil
import socket
import subprocess
import time
import unittest
import unittest.mock
import urllib.error
import urllib.request

from harness import (LIBRARY, MIB, AgentTestCase, cumulative, go_pprof, node_script, profiles, program, run,
                     summary, value_index)

# At a 4 KiB mean interval the ±10% bounds below sit at 4.5+ standard
# deviations for every retained amount in these tests (the smallest is 8 MiB
# in 1 KiB blocks: ~1,800 samples, ~2.1% relative standard error).
SMALL_INTERVAL = "4096"


class KnownBytesTest(AgentTestCase):
    def setUp(self):
        super().setUp()
        result = run([program("retain_known_bytes")], env={
            "HEAPAGENT_PROCESS": "retain_known_bytes", "HEAPAGENT_NATIVE_INTERVAL": SMALL_INTERVAL,
            "HEAPAGENT_OUTPUT_DIR": self.output})
        self.assertOk(result)
        self.assertEqual(result.stderr, "")
        files = profiles(self.output)
        self.assertEqual(len(files), 1, files)
        self.file = files[0]
        self.profile = summary(self.file)

    def test_in_use_bytes_per_function_match_the_truth(self):
        self.assertWithin(cumulative(self.profile, "RetainSixtyFourMiB"), 64 * MIB, 0.10, "RetainSixtyFourMiB")
        self.assertWithin(cumulative(self.profile, "workload::RetainEightMiB()"), 8 * MIB, 0.10,
                          "workload::RetainEightMiB (operator new)")

    def test_in_use_objects_are_estimated_too(self):
        objects = cumulative(self.profile, "RetainSixtyFourMiB", "inuse_objects")
        self.assertLessEqual(abs(objects - 65536), 0.10 * 65536, objects)

    def test_churn_is_allocated_but_not_in_use(self):
        self.assertLess(cumulative(self.profile, "ChurnTwoHundredFiftySixMiB"), 2 * MIB)
        self.assertWithin(cumulative(self.profile, "ChurnTwoHundredFiftySixMiB", "alloc_space"), 256 * MIB, 0.10,
                          "ChurnTwoHundredFiftySixMiB alloc_space")

    def test_header_follows_the_go_heap_profile_conventions(self):
        p = self.profile
        self.assertEqual(p["sample_types"], [["alloc_objects", "count"], ["alloc_space", "bytes"],
                                             ["inuse_objects", "count"], ["inuse_space", "bytes"]])
        self.assertEqual(p["default_sample_type"], "inuse_space")
        self.assertEqual(p["period_type"], ["space", "bytes"])
        self.assertEqual(p["period"], int(SMALL_INTERVAL))
        now = time.time_ns()
        self.assertTrue(now - 120e9 < p["time_nanos"] <= now, p["time_nanos"])
        self.assertGreater(p["duration_nanos"], 0)

    def test_frames_have_file_line_and_mappings_have_build_ids(self):
        function = next(v for k, v in self.profile["functions"].items() if "RetainSixtyFourMiB" in k)
        self.assertTrue(function["file"].endswith("retain_known_bytes.cc"), function["file"])
        self.assertTrue(function["lines"], "no line numbers")
        binary = [m for m in self.profile["mappings"] if m["filename"].endswith("/retain_known_bytes")]
        self.assertEqual(len(binary), 1, self.profile["mappings"])
        self.assertRegex(binary[0]["build_id"], r"^[0-9a-f]{16,}$")

    def test_go_tool_pprof_reads_names(self):
        top = go_pprof("-top", "-sample_index=inuse_space", self.file)
        self.assertEqual(top.returncode, 0, top.stderr)
        self.assertIn("RetainSixtyFourMiB", top.stdout)
        self.assertIn("workload::RetainEightMiB", top.stdout)
        traces = go_pprof("-traces", self.file)
        self.assertEqual(traces.returncode, 0, traces.stderr)
        self.assertIn("main", traces.stdout)


class ThreadsTest(AgentTestCase):
    def test_eight_threads_allocating_and_freeing_concurrently(self):
        result = run([program("threads_churn")], env={
            "HEAPAGENT_PROCESS": "threads_churn", "HEAPAGENT_NATIVE_INTERVAL": SMALL_INTERVAL,
            "HEAPAGENT_OUTPUT_DIR": self.output})
        self.assertOk(result)
        profile = summary(profiles(self.output)[0])
        self.assertWithin(cumulative(profile, "ThreadRetainFourMiB"), 32 * MIB, 0.10, "ThreadRetainFourMiB")
        self.assertGreater(cumulative(profile, "ThreadChurn", "alloc_space"), 100 * MIB)
        self.assertLess(cumulative(profile, "ThreadChurn"), 8 * MIB)


class ForkExecTest(AgentTestCase):
    def test_fork_gives_the_child_fresh_state_and_exec_leaks_nothing(self):
        os.makedirs(self.output)
        result = run([program("fork_exec"), self.output], env={
            "HEAPAGENT_PROCESS": "fork_exec", "HEAPAGENT_NATIVE_INTERVAL": SMALL_INTERVAL,
            "HEAPAGENT_OUTPUT_DIR": self.output}, timeout=120)
        self.assertOk(result)
        parent_pid, child_pid = result.stdout.split()
        parent_files = profiles(self.output, pid=parent_pid)
        child_files = profiles(self.output, pid=child_pid)
        self.assertEqual(len(child_files), 1, os.listdir(self.output))
        self.assertEqual(len(parent_files), 1, os.listdir(self.output))
        # Only the parent and the child that exited normally wrote profiles:
        # the 100 stress children _exit()ed, the exec'd shell is not profiled.
        self.assertEqual(len(profiles(self.output)), 2, os.listdir(self.output))

        parent = summary(parent_files[0])
        self.assertWithin(cumulative(parent, "RetainParentEightMiB"), 8 * MIB, 0.10, "parent RetainParentEightMiB")
        self.assertEqual(cumulative(parent, "ChildRetainSixteenMiB", "alloc_space"), 0)
        child = summary(child_files[0])
        self.assertWithin(cumulative(child, "ChildRetainSixteenMiB"), 16 * MIB, 0.10, "child ChildRetainSixteenMiB")
        self.assertEqual(cumulative(child, "RetainParentEightMiB", "alloc_space"), 0,
                         "the child must start with fresh state")

        with open(os.path.join(self.output, "exec-threads.txt")) as threads:
            self.assertNotIn("heapagent", threads.read())
        with open(os.path.join(self.output, "exec-fds.txt")) as fds:
            targets = re.findall(r"-> (.*)", fds.read())
        leaked = [t for t in targets if not (t.startswith(("/dev/", "pipe:")) or t.endswith("exec-fds.txt"))]
        self.assertEqual(leaked, [], "descriptors inherited through exec")


class EarlyConstructorTest(AgentTestCase):
    def test_allocations_before_the_agent_constructor_are_handled(self):
        result = run([program("early_alloc_main")], env={
            "HEAPAGENT_PROCESS": "early_alloc_main", "HEAPAGENT_NATIVE_INTERVAL": SMALL_INTERVAL,
            "HEAPAGENT_OUTPUT_DIR": self.output})
        self.assertOk(result)
        profile = summary(profiles(self.output)[0])
        self.assertWithin(cumulative(profile, "MainRetainEightMiB"), 8 * MIB, 0.10, "MainRetainEightMiB")


class NodeTest(AgentTestCase):
    def test_buffer_heavy_script_gives_profiles_go_tool_pprof_reads(self):
        result = run(["node", node_script("buffers.js")], env={
            "HEAPAGENT_PERIOD": "0.5", "HEAPAGENT_NATIVE_INTERVAL": "16384", "HEAPAGENT_OUTPUT_DIR": self.output})
        self.assertOk(result)
        self.assertEqual(result.stderr, "")
        files = profiles(self.output)
        self.assertGreaterEqual(len(files), 2, files)  # at least one periodic, and the final one
        periodic = files[-2]
        profile = summary(periodic)
        # 3072 Buffers of 16 KiB are alive while the periodic profile is taken.
        self.assertWithin(cumulative(profile, "node::NodeArrayBufferAllocator::Allocate"), 48 * MIB, 0.10,
                          "Buffers retained through NodeArrayBufferAllocator")
        self.assertGreater(cumulative(profile, "node::NodeArrayBufferAllocator::Allocate", "alloc_space"), 40 * MIB)
        # node may map parts of its own file twice (V8's builtins), so one or more.
        node_mappings = [m for m in profile["mappings"] if m["filename"].endswith("/node")]
        self.assertTrue(node_mappings and all(m["build_id"] for m in node_mappings), profile["mappings"])
        top = go_pprof("-top", periodic)
        self.assertEqual(top.returncode, 0, top.stderr)
        self.assertIn("node::NodeArrayBufferAllocator::Allocate", top.stdout)
        traces = go_pprof("-traces", periodic)
        self.assertEqual(traces.returncode, 0, traces.stderr)
        self.assertIn("node::Start", traces.stdout)

    def test_go_tool_pprof_http_serves_the_flame_graph(self):
        result = run(["node", node_script("buffers.js")], env={
            "HEAPAGENT_PERIOD": "0.5", "HEAPAGENT_OUTPUT_DIR": self.output})
        self.assertOk(result)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(["go", "tool", "pprof", "-no_browser", f"-http=127.0.0.1:{port}",
                                   profiles(self.output)[-2]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True)
        try:
            # pprof prints its address just before it starts listening: wait
            # for the line, then for the port to accept.
            for line in server.stdout:
                if "Serving web UI" in line:
                    break
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/ui/flamegraph", timeout=30) as page:
                        body = page.read().decode()
                    break
                except urllib.error.URLError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.05)
            self.assertIn("NodeArrayBufferAllocator", body)
        finally:
            server.kill()
            server.wait()

    def test_every_exit_path_writes_a_final_profile_and_keeps_the_exit_code(self):
        for mode, code in [("natural", 0), ("exit", 7), ("exitcode", 3), ("throw", 1), ("reject", 1)]:
            with self.subTest(mode=mode):
                output = os.path.join(self.directory, mode)
                bare = run(["node", node_script("exit_modes.js"), mode], preload=False)
                agent = run(["node", node_script("exit_modes.js"), mode], env={"HEAPAGENT_OUTPUT_DIR": output})
                self.assertEqual(bare.returncode, code)
                self.assertEqual(agent.returncode, code)
                self.assertEqual(agent.stdout, bare.stdout)
                self.assertEqual(re.sub(r"\d+", "N", agent.stderr), re.sub(r"\d+", "N", bare.stderr))
                files = profiles(output)
                self.assertEqual(len(files), 1, files)
                self.assertTrue(files[0].endswith("-native-000000.pb.gz"))
                summary(files[0])

    def test_service_name_comes_from_the_environment_or_the_script(self):
        for env, prefix in [({}, "exit_modes-"), ({"DD_SERVICE": "dd-svc"}, "dd-svc-"),
                            ({"HEAPAGENT_SERVICE": "billing", "DD_SERVICE": "dd-svc"}, "billing-")]:
            with self.subTest(env=env):
                output = os.path.join(self.directory, prefix.strip("-"))
                result = run(["node", node_script("exit_modes.js"), "natural"],
                             env={"HEAPAGENT_OUTPUT_DIR": output, **env})
                self.assertOk(result)
                names = [os.path.basename(f) for f in profiles(output)]
                self.assertEqual(len(names), 1)
                self.assertRegex(names[0], "^" + re.escape(prefix) + r"\d+-native-000000\.pb\.gz$")


class ProcessScopeTest(AgentTestCase):
    def test_a_shell_spawned_by_node_stays_inert(self):
        result = run(["node", node_script("spawn_shell.js")], env={"HEAPAGENT_OUTPUT_DIR": self.output})
        self.assertOk(result)
        shell_pid = re.search(r"pid (\d+)", result.stdout).group(1)
        self.assertNotIn("heapagent", result.stdout)  # no agent thread in the shell
        self.assertEqual(profiles(self.output, pid=shell_pid), [])
        self.assertEqual(len(profiles(self.output)), 1)  # node's own final profile

    def test_programs_other_than_node_are_not_profiled_by_default(self):
        result = run([program("retain_known_bytes")], env={"HEAPAGENT_OUTPUT_DIR": self.output})
        self.assertOk(result)
        self.assertEqual(result.stderr, "")
        self.assertFalse(os.path.exists(self.output))

    def test_heapagent_process_widens_the_scope(self):
        result = run([program("retain_known_bytes")], env={"HEAPAGENT_OUTPUT_DIR": self.output,
                                                             "HEAPAGENT_PROCESS": "node,retain_*"})
        self.assertOk(result)
        self.assertEqual(len(profiles(self.output)), 1)

    def test_the_extensions_are_loaded_only_where_needed(self):
        # A native program with no backend configured never maps the JS heap
        # and upload code (libheapagent_extensions.so); node does.
        extensions = "libheapagent_extensions.so"
        native = run(["cat", "/proc/self/maps"], env={"HEAPAGENT_PROCESS": "cat", "HEAPAGENT_OUTPUT_DIR": self.output})
        self.assertOk(native)
        self.assertIn("libheapagent.so", native.stdout)
        self.assertNotIn(extensions, native.stdout)
        self.assertEqual(len(profiles(self.output)), 1)
        in_node = run(["node", "-e", "process.stdout.write(require('fs').readFileSync('/proc/self/maps', 'utf8'))"],
                      env={"HEAPAGENT_OUTPUT_DIR": self.output})
        self.assertOk(in_node)
        self.assertIn(extensions, in_node.stdout)

    def test_disabled_agent_does_nothing(self):
        result = run(["node", node_script("exit_modes.js"), "natural"],
                     env={"HEAPAGENT_ENABLED": "0", "HEAPAGENT_OUTPUT_DIR": self.output})
        self.assertOk(result)
        self.assertFalse(os.path.exists(self.output))


class HostSafetyTest(AgentTestCase):
    BAD_VALUES = [
        ("HEAPAGENT_NATIVE_INTERVAL", "abc"), ("HEAPAGENT_NATIVE_INTERVAL", "0"),
        ("HEAPAGENT_NATIVE_INTERVAL", "-5"), ("HEAPAGENT_PERIOD", "-1"), ("HEAPAGENT_PERIOD", "soon"),
        ("HEAPAGENT_STACK_DEPTH", "0"), ("HEAPAGENT_STACK_DEPTH", "9999"), ("HEAPAGENT_MAX_FILES", "none"),
        ("HEAPAGENT_LOG", "loud"), ("HEAPAGENT_ENABLED", "maybe"), ("HEAPAGENT_NATIVE", "2"),
        ("HEAPAGENT_ALLOCATOR", "tcmalloc"),
    ]

    def test_each_bad_value_gives_one_line_and_the_app_runs_on(self):
        bare = run(["node", node_script("exit_modes.js"), "exitcode"], preload=False)
        for name, value in self.BAD_VALUES:
            with self.subTest(variable=name, value=value):
                output = os.path.join(self.directory, f"{name}-{value}")
                result = run(["node", node_script("exit_modes.js"), "exitcode"],
                             env={name: value, "HEAPAGENT_OUTPUT_DIR": output})
                self.assertEqual(result.returncode, 3)
                self.assertEqual(result.stdout, bare.stdout)
                agent_lines = [l for l in result.stderr.splitlines() if l.startswith("heapagent:")]
                self.assertEqual(len(agent_lines), 1, result.stderr)
                self.assertIn(f"{name}=", agent_lines[0])
                self.assertIn("using", agent_lines[0])
                self.assertEqual([l for l in result.stderr.splitlines() if not l.startswith("heapagent:")],
                                 bare.stderr.splitlines())
                self.assertEqual(len(profiles(output)), 1)  # profiling went on with the default

    def test_unwritable_output_directory_gives_one_line_and_the_app_runs_on(self):
        blocker = os.path.join(self.directory, "a-file")
        open(blocker, "w").close()
        result = run(["node", node_script("exit_modes.js"), "exitcode"],
                     env={"HEAPAGENT_OUTPUT_DIR": os.path.join(blocker, "profiles")})
        self.assertEqual(result.returncode, 3)
        agent_lines = [l for l in result.stderr.splitlines() if l.startswith("heapagent:")]
        self.assertEqual(len(agent_lines), 1, result.stderr)
        self.assertIn("cannot write profiles", agent_lines[0])

    def test_missing_extensions_give_one_line_and_native_profiling_goes_on(self):
        # libheapagent.so copied alone: the JS heap and uploads are off, the
        # native heap is still profiled, the app does not notice.
        lonely = os.path.join(self.directory, "libheapagent.so")
        shutil.copy(LIBRARY, lonely)
        bare = run(["node", node_script("exit_modes.js"), "exitcode"], preload=False)
        result = run(["node", node_script("exit_modes.js"), "exitcode"],
                     env={"LD_PRELOAD": lonely, "HEAPAGENT_OUTPUT_DIR": self.output})
        self.assertEqual((result.returncode, result.stdout), (3, bare.stdout))
        agent_lines = [l for l in result.stderr.splitlines() if l.startswith("heapagent:")]
        self.assertEqual(len(agent_lines), 1, result.stderr)
        self.assertIn("libheapagent_extensions.so", agent_lines[0])
        self.assertEqual(len(profiles(self.output)), 1)
        self.assertEqual(profiles(self.output, kind="js"), [])

    def test_output_is_untouched_by_default(self):
        for mode in ["natural", "throw"]:
            with self.subTest(mode=mode):
                bare = run(["node", node_script("exit_modes.js"), mode], preload=False)
                agent = run(["node", node_script("exit_modes.js"), mode], env={"HEAPAGENT_OUTPUT_DIR": self.output})
                self.assertEqual((agent.returncode, agent.stdout), (bare.returncode, bare.stdout))
                self.assertEqual(re.sub(r"\d+", "N", agent.stderr), re.sub(r"\d+", "N", bare.stderr))


class FilesTest(AgentTestCase):
    def test_old_files_are_deleted_beyond_max_files(self):
        result = run(["node", node_script("many_periods.js"), "6"], env={
            "HEAPAGENT_PERIOD": "0.2", "HEAPAGENT_MAX_FILES": "3", "HEAPAGENT_OUTPUT_DIR": self.output})
        self.assertOk(result)
        names = sorted(os.listdir(self.output))
        # At most MAX_FILES per kind: three native, and up to three js.
        native = [n for n in names if "-native-" in n]
        self.assertEqual(len(native), 3, names)
        self.assertLessEqual(len([n for n in names if "-js-" in n]), 3, names)
        # Besides them only the heap summary, one bounded file per process.
        summaries = [n for n in names if n.endswith("-summary.jsonl")]
        self.assertEqual(len(summaries), 1, names)
        self.assertEqual(len(names), len(native) + len([n for n in names if "-js-" in n]) + 1, names)
        sequences = [int(re.search(r"-native-(\d+)\.pb\.gz$", n).group(1)) for n in native]
        self.assertGreaterEqual(sequences[0], 4)
        self.assertEqual(sequences, list(range(sequences[0], sequences[0] + 3)))

    def test_periodic_profiles_cover_contiguous_windows(self):
        result = run(["node", node_script("many_periods.js"), "2"], env={
            "HEAPAGENT_PERIOD": "0.3", "HEAPAGENT_OUTPUT_DIR": self.output})
        self.assertOk(result)
        windows = [summary(f) for f in profiles(self.output)]
        self.assertGreaterEqual(len(windows), 3)
        for earlier, later in zip(windows, windows[1:]):
            self.assertEqual(earlier["time_nanos"] + earlier["duration_nanos"], later["time_nanos"])
        # Periodic windows last about one period; a loaded machine may stretch
        # one, but never shrink it to nothing or stretch it by seconds.
        for periodic in windows[:-1]:
            self.assertGreater(periodic["duration_nanos"] / 1e9, 0.15)
            self.assertLess(periodic["duration_nanos"] / 1e9, 3.0)


# --- HEAPAGENT_ALLOCATOR=jemalloc ---------------------------------------------

REPORT_LIBRARY = os.environ.get("HEAPAGENT_TEST_ALLOCATOR_REPORT_LIBRARY", "")
# The programs these tests profile; anything else they start (a shell, ls)
# is left alone by the agent and must stay on glibc.
PROFILED = ("node", "retain_known_bytes", "threads_churn", "fork_exec", "early_alloc_main")


class JemallocMode:
    """Runs the native tests of the class it is mixed into with
    HEAPAGENT_ALLOCATOR=jemalloc, and checks with the allocators' own
    statistics (programs/allocator_report.cc, preloaded after the agent) that
    jemalloc really served every profiled process: a switch that silently did
    not happen leaves jemalloc's allocation count at 0."""

    def setUp(self):
        agent_run = run

        def run_with_jemalloc(command, env=None, preload=True, **kwargs):
            if preload:
                env = {"HEAPAGENT_ALLOCATOR": "jemalloc", "LD_PRELOAD": f"{LIBRARY}:{REPORT_LIBRARY}",
                       "HEAPAGENT_TEST_ALLOCATOR_REPORT": self.report(), **(env or {})}
            return agent_run(command, env=env, preload=preload, **kwargs)

        # The parent class's tests (and setUps) call the module's run(); only
        # they see this.
        patcher = unittest.mock.patch(f"{__name__}.run", run_with_jemalloc)
        patcher.start()
        self.addCleanup(patcher.stop)
        super().setUp()

    def report(self):
        return os.path.join(self.directory, "allocator-report.txt")

    def tearDown(self):
        try:
            with open(self.report()) as report:
                lines = [line.split() for line in report]
            profiled = [line for line in lines if line[0] in PROFILED]
            self.assertTrue(profiled, f"no profiled process reported its allocators: {lines}")
            for executable, jemalloc_allocations, glibc_in_use in profiled:
                self.assertGreater(int(jemalloc_allocations), 1000,
                                   f"{executable}: jemalloc served nothing (glibc holds {glibc_in_use} bytes)")
            # (jemalloc counts one allocation of its own start-up.)
            for executable, jemalloc_allocations, _ in [line for line in lines if line[0] not in PROFILED]:
                self.assertLess(int(jemalloc_allocations), 10, f"{executable} is not profiled: glibc serves it")
        finally:
            super().tearDown()


class JemallocKnownBytesTest(JemallocMode, KnownBytesTest):
    pass


class JemallocThreadsTest(JemallocMode, ThreadsTest):
    pass


class JemallocForkExecTest(JemallocMode, ForkExecTest):
    pass


class JemallocEarlyConstructorTest(JemallocMode, EarlyConstructorTest):
    pass


class JemallocNodeTest(JemallocMode, NodeTest):
    pass


class AllocatorChoiceTest(AgentTestCase):
    def early_blocks(self, env, library=LIBRARY):
        result = run([program("early_blocks_main")], env={
            "LD_PRELOAD": library, "HEAPAGENT_PROCESS": "early_blocks_main", "HEAPAGENT_OUTPUT_DIR": self.output,
            **env})
        self.assertOk(result)
        numbers = dict(zip(result.stdout.split()[::2], map(int, result.stdout.split()[1::2])))
        return result, numbers

    def assertJemallocServes(self, numbers):
        self.assertGreaterEqual(numbers["jemalloc_grew"], 32 * MIB, numbers)
        self.assertLess(numbers["glibc_grew"], MIB, numbers)

    def assertGlibcServes(self, numbers):
        self.assertEqual(numbers["jemalloc_grew"], 0, numbers)
        self.assertGreaterEqual(numbers["glibc_grew"], 32 * MIB, numbers)

    def test_blocks_from_before_the_switch_go_back_to_glibc(self):
        result, numbers = self.early_blocks({"HEAPAGENT_ALLOCATOR": "jemalloc"})
        self.assertEqual(result.stderr, "")
        self.assertJemallocServes(numbers)
        # Every early block freed or resized after the switch left glibc's
        # heap (the 4 MiB one most visibly). Up to 64 KiB may stay in glibc's
        # per-thread caches, which mallinfo2 counts as in use.
        early = numbers["early_bytes"]
        self.assertGreaterEqual(numbers["early_bytes_returned_to_glibc"], early - 64 * 1024, numbers)
        self.assertLessEqual(numbers["early_bytes_returned_to_glibc"], early + 64 * 1024, numbers)
        self.assertEqual(len(profiles(self.output)), 1)

    def test_system_allocator_is_the_default(self):
        _, numbers = self.early_blocks({})
        self.assertGlibcServes(numbers)
        _, numbers = self.early_blocks({"HEAPAGENT_ALLOCATOR": "system"})
        self.assertGlibcServes(numbers)

    def test_processes_the_agent_leaves_alone_stay_on_glibc(self):
        _, numbers = self.early_blocks({"HEAPAGENT_ALLOCATOR": "jemalloc", "HEAPAGENT_PROCESS": "node"})
        self.assertGlibcServes(numbers)
        _, numbers = self.early_blocks({"HEAPAGENT_ALLOCATOR": "jemalloc", "HEAPAGENT_ENABLED": "0"})
        self.assertGlibcServes(numbers)

    def test_info_log_names_jemalloc_and_the_early_blocks(self):
        result, numbers = self.early_blocks({"HEAPAGENT_ALLOCATOR": "jemalloc", "HEAPAGENT_LOG": "info"})
        self.assertJemallocServes(numbers)
        self.assertRegex(result.stderr, r"heapagent: jemalloc 5\.\S+ serves the malloc family; \d+ blocks from "
                                        r"before the switch stay with glibc")

    def alone(self):
        """A copy of libheapagent.so without libheapagent-jemalloc.so beside it
        (what a container gets when only the one file is copied)."""
        alone = os.path.join(self.directory, "alone")
        os.makedirs(alone)
        shutil.copy(LIBRARY, alone)
        return os.path.join(alone, os.path.basename(LIBRARY))

    def assertOneLineAndGlibc(self, result, numbers, *fragments):
        self.assertGlibcServes(numbers)
        lines = result.stderr.splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertTrue(lines[0].startswith("heapagent: HEAPAGENT_ALLOCATOR=jemalloc: "), lines[0])
        self.assertIn("using the system allocator", lines[0])
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        self.assertEqual(len(profiles(self.output)), 1)  # profiling goes on

    def test_missing_jemalloc_gives_one_line_and_glibc(self):
        result, numbers = self.early_blocks({"HEAPAGENT_ALLOCATOR": "jemalloc",
                                             "HEAPAGENT_JEMALLOC_PATH": "/nonexistent/libjemalloc.so.2"},
                                            library=self.alone())
        self.assertOneLineAndGlibc(result, numbers, "not found", "apt-get install libjemalloc2")

    def test_without_the_companion_jemalloc_cannot_be_loaded_late(self):
        # Debian's jemalloc needs static TLS that glibc only grants at start-up.
        result, numbers = self.early_blocks({"HEAPAGENT_ALLOCATOR": "jemalloc"}, library=self.alone())
        self.assertOneLineAndGlibc(result, numbers, "static TLS", "libheapagent-jemalloc.so")

    def test_without_the_companion_glibc_tunables_make_room_for_jemalloc(self):
        result, numbers = self.early_blocks({"HEAPAGENT_ALLOCATOR": "jemalloc",
                                             "GLIBC_TUNABLES": "glibc.rtld.optional_static_tls=16384"},
                                            library=self.alone())
        self.assertEqual(result.stderr, "")
        self.assertJemallocServes(numbers)

    def test_operator_new_and_malloc_stay_the_agents_and_libstdcxxs(self):
        # jemalloc, loaded with the program through the companion, must come
        # after the agent and libstdc++ in the global scope: operator new of a
        # jemalloc-mode program is sampled like any other allocation.
        result = run([program("retain_known_bytes")], env={
            "HEAPAGENT_ALLOCATOR": "jemalloc", "HEAPAGENT_PROCESS": "retain_known_bytes",
            "HEAPAGENT_NATIVE_INTERVAL": SMALL_INTERVAL, "HEAPAGENT_OUTPUT_DIR": self.output, "LD_DEBUG": "scopes"})
        self.assertOk(result)
        scope = re.search(r"object=\S*retain_known_bytes \[0\]\n\s*\d+:\s*scope 0: (.*)", result.stderr).group(1).split()
        position = {os.path.basename(path): index for index, path in enumerate(scope)}
        self.assertLess(position[os.path.basename(LIBRARY)], position["libjemalloc.so.2"], scope)
        self.assertLess(position["libc.so.6"], position["libjemalloc.so.2"], scope)
        self.assertLess(position["libstdc++.so.6"], position["libjemalloc.so.2"], scope)


if __name__ == "__main__":
    unittest.main()
