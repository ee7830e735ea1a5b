"""The heap summary series end to end: real node under the real preload writes
{service}-{pid}-summary.jsonl beside its profiles, one record per period and
one at exit, whose figures grow on a leaking script and stay flat on a
churning one; with DogStatsD configured, a strict local receiver
(receivers/dogstatsd_receiver.py) decodes every datagram and checks the
names and tags dd-trace-js's runtime metrics use; `heapagent leaks` reads the
series and tells growth from churn."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "receivers"))

from harness import LIBRARY, MIB, AgentTestCase, node_binaries, node_script, profiles, run  # noqa: E402
from dogstatsd_receiver import DogStatsdReceiver  # noqa: E402

CLI = os.environ.get("HEAPAGENT_TEST_CLI") or os.path.join(os.path.dirname(LIBRARY), "heapagent")
APP = node_script("summary_app.js")
RECORDS = 10  # periodic records before the app stops allocating


def read_summary(directory, pid):
    (name,) = [n for n in os.listdir(directory) if n.endswith(f"-{pid}-summary.jsonl")]
    with open(os.path.join(directory, name)) as summary:
        text = summary.read()
    assert text.endswith("\n"), "the last record is a whole line"
    return [json.loads(line) for line in text.splitlines()]


def run_app(mode, output, node="node", **env):
    if "DD_SERVICE" not in env:
        env["HEAPAGENT_SERVICE"] = "summary"
    result = run([node, APP, mode], env={
        "HEAPAGENT_OUTPUT_DIR": output, "HEAPAGENT_PERIOD": "0.5",
        "HEAPAGENT_NATIVE_INTERVAL": "65536", "HEAPAGENT_JS_INTERVAL": "16384", "HEAPAGENT_TEST_RECORDS": str(RECORDS),
        **env}, timeout=120)
    if result.returncode != 0:
        raise AssertionError(f"node exited {result.returncode}: {result.stderr[-2000:]}")
    if result.stderr:
        raise AssertionError(f"output on the app's stderr: {result.stderr[-2000:]}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return result, report


def leaks_json(directory):
    result = subprocess.run([CLI, "leaks", directory, "--json"], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise AssertionError(f"heapagent leaks failed ({result.returncode}): {result.stderr}")
    return json.loads(result.stdout)


class SummaryTestCase(AgentTestCase):
    def run_mode(self, mode, output=None, node="node", **env):
        output = output or self.output
        result, report = run_app(mode, output, node=node, **env)
        native = profiles(output, "native")
        pid = os.path.basename(native[0]).split("-")[-3]
        return read_summary(output, pid), report, native

    def assertOneRecordPerPeriod(self, records, native_files):
        self.assertEqual([r["seq"] for r in records], list(range(len(records))))
        # The native profile and the summary record of a period come from the
        # same pass of the agent thread, the final ones included.
        self.assertEqual(len(records), len(native_files))
        self.assertGreaterEqual(len(records), RECORDS + 3)
        self.assertEqual([r["final"] for r in records], [False] * (len(records) - 1) + [True])
        times = [r["unix_ms"] for r in records]
        self.assertEqual(times, sorted(times))
        for previous, record in zip(records, records[1:]):
            self.assertEqual(record["window_start_unix_ms"], previous["unix_ms"], "contiguous windows")

    def assertPlausible(self, record, source, retains=True):
        what = json.dumps(record)
        self.assertGreater(record["rss_bytes"], 20 * MIB, what)
        self.assertEqual(record["v8_source"], source, what)
        self.assertEqual(record["v8_isolates"], 1, what)
        self.assertGreater(record["v8_heap_used_bytes"], 2 * MIB, what)
        self.assertLess(record["v8_heap_used_bytes"], record["rss_bytes"], what)
        self.assertLessEqual(record["v8_heap_used_bytes"], record["v8_heap_total_bytes"], what)
        self.assertLessEqual(record["v8_read_unix_ms"], record["unix_ms"], what)
        self.assertGreaterEqual(record["v8_external_bytes"], record["v8_array_buffers_bytes"], what)
        self.assertEqual(record["allocator"], "glibc", what)
        self.assertLessEqual(record["allocator_in_use_bytes"], record["allocator_mapped_bytes"], what)
        self.assertGreater(record["sampled_native_sites"], 0, what)
        if retains:  # a churning script may have no sampled JS object alive at a read
            self.assertGreater(record["sampled_js_sites"], 0, what)
        self.assertGreater(record["agent_tables_mapped_bytes"], 8 * MIB, what)
        self.assertLess(record["agent_tables_resident_bytes"], record["agent_tables_mapped_bytes"], what)


class SummarySeriesTest(SummaryTestCase):
    """Direct mode (node 20's default): the figures V8 and node report in-process."""

    def test_a_leak_grows_and_the_figures_match_node_s_own(self):
        # On every node the tests run (20, 22, 24): node's array-buffer
        # counter sits at a different offset in 24 (v8direct/v8_abi.h).
        for major, node in node_binaries():
            with self.subTest(node=major):
                self.check_leak(os.path.join(self.directory, f"node{major}"), node)

    def check_leak(self, output, node):
        records, report, native = self.run_mode("leak", output=output, node=node)
        self.assertOneRecordPerPeriod(records, native)
        periodic = records[:-1]
        for record in periodic[1:]:
            self.assertPlausible(record, "direct")
        early, late = periodic[len(periodic) // 4], periodic[-1]
        # The app retains ~220 KiB per 20 ms tick: tens of MiB over the run.
        for key in ("v8_heap_used_bytes", "v8_array_buffers_bytes", "allocator_in_use_bytes",
                    "sampled_native_in_use_bytes", "sampled_js_in_use_bytes"):
            self.assertGreater(late[key] - early[key], 8 * MIB, f"{key}: {early[key]} -> {late[key]}")
        # RSS also holds V8's young garbage, which comes and goes: from the start.
        self.assertGreater(late["rss_bytes"] - periodic[1]["rss_bytes"], 8 * MIB,
                           [r["rss_bytes"] for r in periodic])
        # The last two periodic records were taken after the app stopped
        # allocating: node's own process.memoryUsage() at exit agrees.
        memory = report["memory"]
        self.assertLessEqual(abs(late["v8_array_buffers_bytes"] - memory["arrayBuffers"]), 0.02 * memory["arrayBuffers"])
        self.assertLessEqual(abs(late["v8_external_bytes"] - memory["external"]), 0.05 * memory["external"])
        self.assertLessEqual(abs(late["v8_heap_total_bytes"] - memory["heapTotal"]), 0.25 * memory["heapTotal"])
        # The sampled sites estimate what the allocator and V8 count.
        self.assertLess(abs(late["sampled_native_in_use_bytes"] - late["allocator_in_use_bytes"]),
                        0.5 * late["allocator_in_use_bytes"])

    def test_churn_stays_flat(self):
        records, _, native = self.run_mode("churn")
        self.assertOneRecordPerPeriod(records, native)
        periodic = records[:-1]
        for record in periodic[1:]:
            self.assertPlausible(record, "direct", retains=False)
        window = periodic[len(periodic) // 4:]
        # The same allocation rate as the leak (tens of MiB over the run),
        # none of it kept: what is in use stays within a few MiB.
        for key in ("v8_array_buffers_bytes", "allocator_in_use_bytes", "sampled_native_in_use_bytes"):
            values = [r[key] for r in window]
            self.assertLess(max(values) - min(values), 8 * MIB, f"{key}: {values}")
        rss = [r["rss_bytes"] for r in window]
        self.assertLess(rss[-1] - rss[0], 8 * MIB, rss)

    def test_leaks_tells_growth_from_churn(self):
        run_app("leak", self.output)
        leak = leaks_json(self.output)
        process = {p["name"]: p for p in leak["process"]}
        self.assertTrue(process["RSS"]["grows"], json.dumps(leak["process"])[:2000])
        self.assertTrue(process["allocator in use"]["grows"])
        self.assertTrue(process["V8 heap used"]["grows"])
        self.assertTrue(any("process (heap summary)" in note for note in leak["notes"]), leak["notes"])
        self.assertFalse(any("stay flat" in note for note in leak["notes"]), leak["notes"])

        churn_output = os.path.join(self.directory, "churn")
        run_app("churn", churn_output)
        churn = leaks_json(churn_output)
        process = {p["name"]: p for p in churn["process"]}
        # RSS may creep while node settles in; the heaps are the verdict.
        self.assertFalse(process["allocator in use"]["grows"], json.dumps(churn["process"])[:2000])
        self.assertFalse(process["V8 heap used"]["grows"], json.dumps(churn["process"])[:2000])
        self.assertTrue(any("heaps stay flat" in note for note in churn["notes"]), churn["notes"])
        self.assertEqual(churn["suspects"], [], json.dumps(churn["suspects"])[:2000])


class SummaryCdpTest(SummaryTestCase):
    def test_over_the_inspector_the_figures_come_from_process_memory_usage(self):
        records, _, native = self.run_mode("leak", HEAPAGENT_JS_MODE="cdp")
        self.assertOneRecordPerPeriod(records, native)
        for record in records[2:-1]:
            self.assertPlausible(record, "cdp")


class SummaryWithoutJsTest(SummaryTestCase):
    def test_unknown_figures_are_null(self):
        records, _, native = self.run_mode("churn", HEAPAGENT_JS="0")
        self.assertOneRecordPerPeriod(records, native)
        for record in records:
            for key in ("v8_source", "v8_heap_used_bytes", "v8_array_buffers_bytes", "sampled_js_in_use_bytes"):
                self.assertIsNone(record[key], key)
            self.assertGreater(record["rss_bytes"], 0)


IDENTITY = {"DD_SERVICE": "quotes-api", "DD_ENV": "staging", "DD_VERSION": "1.2.3",
            "DD_TAGS": "team:memory,region:eu-west"}
RUNTIME_GAUGES = {"runtime.node.mem.rss", "runtime.node.mem.heap_used", "runtime.node.mem.heap_total",
                  "runtime.node.mem.external", "runtime.node.heap.total_heap_size"}
HEAPAGENT_GAUGES = {"heapagent.mem.array_buffers", "heapagent.native.in_use", "heapagent.native.mapped",
                    "heapagent.sampled.native.in_use", "heapagent.sampled.native.sites",
                    "heapagent.sampled.js.in_use", "heapagent.sampled.js.sites", "heapagent.agent.tables_resident"}


class DogStatsdTest(SummaryTestCase):
    def receiver(self, **kwargs):
        receiver = DogStatsdReceiver(**kwargs).start()
        self.addCleanup(receiver.stop)
        return receiver

    def test_udp_gauges_under_dd_trace_names_and_tags(self):
        receiver = self.receiver()
        records, _, _ = self.run_mode("leak", DD_RUNTIME_METRICS_ENABLED="true",
                                      DD_DOGSTATSD_PORT=str(receiver.port), **IDENTITY)
        # One rss gauge per record: the receiver has them all once the final's arrived.
        self.assertTrue(receiver.wait_for(lambda m: sum(x.name == "runtime.node.mem.rss" for x in m) >= len(records),
                                          timeout=10), f"{len(receiver.metrics)} metrics for {len(records)} records")
        self.assertEqual(receiver.rejections, [])
        metrics = receiver.metrics
        self.assertEqual({m.name for m in metrics}, RUNTIME_GAUGES | HEAPAGENT_GAUGES)
        self.assertTrue(all(m.kind == "g" for m in metrics))
        for metric in metrics:
            self.assertEqual(metric.tags, ["team:memory", "region:eu-west", "service:quotes-api", "env:staging",
                                           "version:1.2.3"], metric)
        rss = [m.value for m in metrics if m.name == "runtime.node.mem.rss"]
        self.assertEqual(rss, [float(r["rss_bytes"]) for r in records])
        heap_used = [m.value for m in metrics if m.name == "runtime.node.mem.heap_used"]
        self.assertEqual(heap_used, [float(r["v8_heap_used_bytes"]) for r in records if r["v8_heap_used_bytes"]])
        self.assertTrue(all(len(d) <= 1024 for d in receiver.datagrams))

    def test_unix_socket_url_and_runtime_id(self):
        path = os.path.join(tempfile.mkdtemp(prefix="heapagent-dsd-"), "dsd.socket")
        self.addCleanup(lambda: os.path.isdir(os.path.dirname(path)) and os.rmdir(os.path.dirname(path)))
        receiver = self.receiver(kind="unix", path=path)
        records, _, _ = self.run_mode("churn", DD_DOGSTATSD_URL=f"unix://{path}",
                                      DD_RUNTIME_METRICS_RUNTIME_ID_ENABLED="true", DD_SERVICE="quotes-api")
        self.assertTrue(receiver.wait_for(lambda m: sum(x.name == "runtime.node.mem.rss" for x in m) >= len(records),
                                          timeout=10))
        self.assertEqual(receiver.rejections, [])
        tags = {tuple(m.tags) for m in receiver.metrics}
        self.assertEqual(len(tags), 1, tags)
        (only,) = tags
        self.assertEqual(only[0], "service:quotes-api")
        self.assertRegex(only[1], r"^runtime-id:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        self.assertEqual(len(only), 2)


if __name__ == "__main__":
    unittest.main()
