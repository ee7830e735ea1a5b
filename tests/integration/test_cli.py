"""The heapagent command on profiles real node processes wrote under the real
agent: leak scenarios (node/cli_leaks.js) ranked by `heapagent leaks`, the
other commands on their output and on Go's, bad input, and the HTML pages
rendered by a real browser (headless chromium)."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import LIBRARY, BIN_DIR, AgentTestCase, node_binaries, node_script, run

CLI = os.environ.get("HEAPAGENT_TEST_CLI") or os.path.join(os.path.dirname(LIBRARY), "heapagent")
CHROMIUM = "/usr/bin/chromium"
SCRIPT = node_script("cli_leaks.js")
PERIODS = 8


def heapagent(*arguments, timeout=120):
    return subprocess.run([CLI, *arguments], capture_output=True, text=True, timeout=timeout)


def run_scenario(scenario, output):
    """Runs one scenario of cli_leaks.js under the agent until its js profile
    #PERIODS is written (half-second periods: about five seconds)."""
    node = node_binaries()[0][1]
    # No inlining: V8's sampler names the physical frame, and the scenario
    # checks that the leaking function itself is named (see cli_leaks.js).
    # Over the inspector: every read is preceded by V8's full GC, so in-use is
    # exactly what is live. In-process reads force no GC, so a 5-second run's
    # in-use also holds garbage no major GC has collected yet (a bounded cache
    # then looks like growth until the next mark-compact); a real service's
    # minutes-long series sees those GCs.
    result = run([node, "--max-inlined-bytecode-size=0", SCRIPT, scenario], env={
        "HEAPAGENT_JS_MODE": "cdp",
        "HEAPAGENT_OUTPUT_DIR": output,
        "HEAPAGENT_SERVICE": "cli",
        "HEAPAGENT_PERIOD": "0.5",
        "HEAPAGENT_JS_INTERVAL": "16384",
        "HEAPAGENT_NATIVE_INTERVAL": "32768",
        "HEAPAGENT_TEST_PERIODS": str(PERIODS),
    }, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"{scenario}: node exited {result.returncode}: {result.stderr[-2000:]}")
    return output


def leaks_json(directory, *extra):
    result = heapagent("leaks", directory, "--json", *extra)
    if result.returncode != 0:
        raise AssertionError(f"heapagent leaks failed ({result.returncode}): {result.stderr}")
    return json.loads(result.stdout)


class CliLeakScenariosTest(AgentTestCase):
    """`heapagent leaks` names the leaking function first, with its file,
    within eight half-second periods, and nothing on the controls."""

    def assertTopSuspect(self, report, function, kind="js"):
        suspects = [s for s in report["suspects"] if s["kind"] == kind]
        self.assertTrue(suspects, f"no {kind} suspect; report: {json.dumps(report)[:2000]}")
        top = suspects[0]
        self.assertEqual(top["function"], function, json.dumps(suspects[:3], indent=1)[:3000])
        self.assertTrue(top["file"].endswith("cli_leaks.js"), top["file"])
        self.assertGreaterEqual(top["confidence"], 0.5)
        self.assertGreater(top["growth_bytes_per_minute"], 0)
        self.assertTrue(top["stack"], "a suspect comes with its stack")
        return top

    def test_interceptors_added_per_request(self):
        report = leaks_json(run_scenario("interceptors", self.output))
        top = self.assertTopSuspect(report, "axiosRetry")
        self.assertEqual(report["suspects"][0]["function"], "axiosRetry", "the leak is the overall top suspect")
        self.assertIn("serve", [frame["function"] for frame in top["stack"]], "stack reaches the caller")

    def test_unbounded_map_cache(self):
        report = leaks_json(run_scenario("map-cache", self.output))
        self.assertTopSuspect(report, "cacheQuote")
        self.assertEqual(report["suspects"][0]["function"], "cacheQuote")

    def test_retained_buffers(self):
        report = leaks_json(run_scenario("buffers", self.output))
        self.assertTopSuspect(report, "retainPayload")
        # The Buffers' memory is native: node's ArrayBuffer allocator.
        native = [s for s in report["suspects"] if s["kind"] == "native"]
        self.assertTrue(native, "the retained backing stores are a native suspect")
        self.assertTrue(any("ArrayBuffer" in f["function"] or "BackingStore" in f["function"]
                            for f in native[0]["stack"]), native[0]["stack"][:6])

    def test_bounded_cache_is_not_a_leak(self):
        report = leaks_json(run_scenario("bounded-cache", self.output))
        self.assertEqual(report["suspects"], [], json.dumps(report["suspects"], indent=1)[:3000])

    def test_churn_is_not_a_leak(self):
        directory = run_scenario("churn", self.output)
        report = leaks_json(directory)
        self.assertEqual(report["suspects"], [], json.dumps(report["suspects"], indent=1)[:3000])
        text = heapagent("leaks", directory)
        self.assertEqual(text.returncode, 0)
        self.assertIn("No leak suspects", text.stdout)


class CliCommandsTest(unittest.TestCase):
    """top, flamegraph, diff, report on one real leaking process's files, and
    top on a profile rewritten by `go tool pprof -proto`."""

    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.mkdtemp(prefix="heapagent-cli-")
        cls.output = run_scenario("interceptors", os.path.join(cls.directory, "profiles"))
        names = sorted(os.listdir(cls.output))
        cls.js = [os.path.join(cls.output, n) for n in names if "-js-" in n]
        cls.native = [os.path.join(cls.output, n) for n in names if "-native-" in n]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.directory, ignore_errors=True)

    def test_top(self):
        js = heapagent("top", self.js[-2], "-n", "5")
        self.assertEqual(js.returncode, 0, js.stderr)
        self.assertIn("axiosRetry", js.stdout)
        self.assertIn("cum%", js.stdout)
        both = heapagent("top", self.output, "--kind", "native", "--sample", "alloc_space", "-n", "3")
        self.assertEqual(both.returncode, 0, both.stderr)
        self.assertIn("alloc_space", both.stdout)

    def test_top_reads_go_tool_pprof_output(self):
        if shutil.which("go") is None:
            self.skipTest("go is not installed")
        rewritten = os.path.join(self.directory, "rewritten.pb.gz")
        with open(rewritten, "wb") as out:
            subprocess.run(["go", "tool", "pprof", "-proto", self.native[-2]], stdout=out, check=True,
                           stderr=subprocess.DEVNULL, timeout=120)
        ours = heapagent("top", self.native[-2], "-n", "3").stdout.splitlines()
        theirs = heapagent("top", rewritten, "-n", "3").stdout.splitlines()
        self.assertEqual(ours[2:], theirs[2:])

    def test_flamegraph_and_diff_pages(self):
        page = os.path.join(self.directory, "flame.html")
        result = heapagent("flamegraph", self.js[-2], "-o", page)
        self.assertEqual(result.returncode, 0, result.stderr)
        html = open(page, encoding="utf-8").read()
        self.assertIn("axiosRetry", html)
        self.assertNotIn("<script src", html)
        diff_page = os.path.join(self.directory, "diff.html")
        diff = heapagent("diff", self.js[0], self.js[-2], "-o", diff_page)
        self.assertEqual(diff.returncode, 0, diff.stderr)
        growing = [line for line in diff.stdout.splitlines() if line.startswith("+")]
        self.assertIn("axiosRetry", growing[0])
        self.assertTrue(os.path.getsize(diff_page) > 10000)

    def test_report(self):
        page = os.path.join(self.directory, "report.html")
        result = heapagent("report", self.output, "-o", page)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("axiosRetry", result.stdout)


class CliBadInputTest(AgentTestCase):
    """Truncated and non-pprof files, empty directories, mixed processes: one
    clear message naming the file, exit code 2, never a crash."""

    def assertRefused(self, result, *phrases):
        self.assertEqual(result.returncode, 2, f"stdout: {result.stdout[-500:]} stderr: {result.stderr[-1000:]}")
        self.assertEqual(result.stdout, "")
        for phrase in phrases:
            self.assertIn(phrase, result.stderr)
        self.assertNotIn("Sanitizer", result.stderr)

    def test_bad_files_and_directories(self):
        os.makedirs(self.output)
        empty = os.path.join(self.directory, "empty")
        os.makedirs(empty)
        self.assertRefused(heapagent("leaks", empty), empty, "holds no profile")
        self.assertRefused(heapagent("report", os.path.join(self.directory, "missing"), "-o", "x.html"), "not a directory")

        text = os.path.join(self.directory, "notes.pb.gz")
        with open(text, "w") as out:
            out.write("this is not a profile\n")
        self.assertRefused(heapagent("top", text), text, "not a readable pprof profile")

        good = os.path.join(os.environ.get("HEAPAGENT_TEST_SOURCE_DIR", ""), "..", "profile_data", "data", "go_runtime_heap.pprof.gz")
        data = open(good, "rb").read()
        truncated = os.path.join(self.output, "svc-1-native-1.pb.gz")
        with open(truncated, "wb") as out:
            out.write(data[: len(data) // 2])
        with open(os.path.join(self.output, "svc-1-native-0.pb.gz"), "wb") as out:
            out.write(data)
        self.assertRefused(heapagent("flamegraph", truncated, "-o", os.path.join(self.directory, "f.html")),
                           truncated, "gzip")
        self.assertRefused(heapagent("leaks", self.output), "svc-1-native-1.pb.gz")

        os.remove(truncated)
        with open(os.path.join(self.output, "svc-2-native-0.pb.gz"), "wb") as out:
            out.write(data)
        self.assertRefused(heapagent("leaks", self.output), "2 processes", "svc-1-native-0.pb.gz", "svc-2-native-0.pb.gz")
        chosen = heapagent("leaks", self.output, "--pid", "2")
        self.assertEqual(chosen.returncode, 0, chosen.stderr)
        self.assertIn("needs at least", chosen.stdout)

        self.assertRefused(heapagent("top", good, "--sample", "nope"), "no sample type 'nope'")
        self.assertRefused(heapagent("leaks"), "exactly one directory")
        self.assertRefused(heapagent("frobnicate"), "unknown command")


class CliBrowserTest(unittest.TestCase):
    """The report rendered by headless chromium: the script built the
    timeline, the suspects table and the flame graphs. Keeps a screenshot in
    the build tree (cli-report.png)."""

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(CHROMIUM):
            raise unittest.SkipTest(f"{CHROMIUM} is missing (scripts/test.sh installs Debian's chromium)")
        cls.directory = tempfile.mkdtemp(prefix="heapagent-cli-browser-")
        cls.output = run_scenario("interceptors", os.path.join(cls.directory, "profiles"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.directory, ignore_errors=True)

    def chromium(self, *arguments):
        profile = tempfile.mkdtemp(prefix="chromium-", dir=self.directory)
        return subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", *arguments],
            capture_output=True, text=True, timeout=120)

    def test_report_renders(self):
        page = os.path.join(self.directory, "report.html")
        self.assertEqual(heapagent("report", self.output, "-o", page).returncode, 0)
        dom = self.chromium("--dump-dom", "file://" + page)
        self.assertEqual(dom.returncode, 0, dom.stderr[-2000:])
        html = dom.stdout
        self.assertIn('data-rendered="true"', html)
        self.assertIn('id="timeline"', html)
        self.assertGreaterEqual(html.count('class="timeline-series"'), 3, "JS, native and suspect series")
        self.assertIn('id="suspects"', html)
        self.assertIn('class="suspect-row"', html)
        first_row = html[html.index('class="suspect-row"'):]
        self.assertIn("axiosRetry", first_row[:first_row.index("</tr>")])
        self.assertIn('id="flamegraph"', html)
        self.assertIn('id="diff"', html)
        self.assertGreater(html.count('class="frame'), 20, "the flame graphs drew their frames")
        screenshot = os.path.join(BIN_DIR, "cli-report.png")
        shot = self.chromium("--window-size=1280,1800", f"--screenshot={screenshot}", "file://" + page)
        self.assertEqual(shot.returncode, 0, shot.stderr[-2000:])
        self.assertGreater(os.path.getsize(screenshot), 20000)

    def test_flamegraph_and_diff_render(self):
        js = sorted(n for n in os.listdir(self.output) if "-js-" in n)
        flame = os.path.join(self.directory, "flame.html")
        diff = os.path.join(self.directory, "diff.html")
        self.assertEqual(heapagent("flamegraph", os.path.join(self.output, js[-2]), "-o", flame).returncode, 0)
        self.assertEqual(heapagent("diff", os.path.join(self.output, js[0]), os.path.join(self.output, js[-2]),
                                   "-o", diff).returncode, 0)
        flame_dom = self.chromium("--dump-dom", "file://" + flame).stdout
        self.assertIn('id="flamegraph"', flame_dom)
        self.assertIn("axiosRetry", flame_dom)
        self.assertIn('<option value="0">inuse_samples (count)</option>', flame_dom, "the sample type switch")
        diff_dom = self.chromium("--dump-dom", "file://" + diff).stdout
        self.assertIn('id="diff"', diff_dom)
        self.assertIn('class="growth-row"', diff_dom)
        self.assertIn("rgba(229,57,53", diff_dom, "growth is drawn in red")


if __name__ == "__main__":
    unittest.main()
