"""Uploads to Pyroscope and the Datadog agent, end to end: a real node app
under the real preload uploads to strict loopback receivers
(receivers/pyroscope_receiver.py, receivers/datadog_receiver.py) that parse
every request the way the real servers do and decode every pprof with
libprotobuf (profile_summary). Faults (connection refused, 500, 429 with
Retry-After, a receiver that never answers, 413, a receiver dying
mid-request) must not crash the app, change its exit code or delay its exit
beyond the flush budget, and profiles must arrive once the receiver is back."""
import os
import re
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "receivers"))

from harness import _CLEAN_ENV, LIBRARY, AgentTestCase, node_script, profiles, summary  # noqa: E402
from datadog_receiver import DatadogReceiver  # noqa: E402
from pyroscope_receiver import PyroscopeReceiver  # noqa: E402

APP = node_script("upload_app.js")
PERIOD = "0.5"
FLUSH_BUDGET = 2.0  # entry.cc's kExitFlushBudget
IDENTITY = {"DD_SERVICE": "quotes-api", "DD_ENV": "staging", "DD_VERSION": "1.2.3", "DD_TAGS": "team:memory,region:eu"}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def app_env(**extra):
    env = dict(_CLEAN_ENV)
    env.update(LD_PRELOAD=LIBRARY, HEAPAGENT_PERIOD=PERIOD, HEAPAGENT_JS_INTERVAL="16384", UPLOAD_APP_MS="2000")
    env.update(IDENTITY)
    env.update(extra)
    return env


def start_app(cwd, **extra):
    return subprocess.Popen(["node", APP], env=app_env(**extra), cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def run_app(cwd, timeout=60, **extra):
    started = time.monotonic()
    result = subprocess.run(["node", APP], env=app_env(**extra), cwd=cwd, capture_output=True, text=True,
                            timeout=timeout)
    return result, time.monotonic() - started


def wait_for_stderr_line(process, pattern, timeout):
    """Reads the app's stderr until a line matches (the agent's own log event)."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen.append(line)
        if re.search(pattern, line):
            return seen
    raise AssertionError(f"no stderr line matching {pattern!r}; got {''.join(seen)[-2000:]}")


def by_kind(uploads, key):
    kinds = {}
    for upload in uploads:
        kinds.setdefault(key(upload), []).append(upload)
    return kinds


def pyroscope_kind(upload):
    return upload["labels"]["heap"]


def datadog_kind(upload):
    return "js" if upload["event"]["family"] == "node" else "native"


class UploadTestCase(AgentTestCase):
    def setUp(self):
        super().setUp()
        self.receivers = []

    def tearDown(self):
        for receiver in self.receivers:
            receiver.stop()
        super().tearDown()

    def receiver(self, kind, port=0):
        receiver = kind(port).start()
        self.receivers.append(receiver)
        return receiver

    def file_counts(self):
        return {kind: len(profiles(self.output, kind)) for kind in ("js", "native")}


class UploadContentTest(UploadTestCase):
    """Both backends, every period, with the right names, labels, tags, types and deltas."""

    def test_js_and_native_reach_both_backends_as_their_clients_send_them(self):
        pyroscope = self.receiver(PyroscopeReceiver)
        datadog = self.receiver(DatadogReceiver)
        # From the script's directory, so Pyroscope's names read "./upload_app.js:...".
        result, _ = run_app(os.path.dirname(APP), HEAPAGENT_PYROSCOPE_URL=pyroscope.url, HEAPAGENT_DATADOG="1",
                            DD_TRACE_AGENT_URL=datadog.url, HEAPAGENT_OUTPUT_DIR=self.output)
        self.assertOk(result)
        self.assertEqual(result.stderr, "")
        self.assertEqual(pyroscope.rejections, [])
        self.assertEqual(datadog.rejections, [])
        files = self.file_counts()
        self.assertGreaterEqual(files["js"], 3, files)
        self.assertGreaterEqual(files["native"], 3, files)
        # Every profile written to a file was also delivered to each backend
        # (the final ones within the exit flush).
        self.assertEqual({k: len(v) for k, v in by_kind(pyroscope.uploads, pyroscope_kind).items()}, files)
        self.assertEqual({k: len(v) for k, v in by_kind(datadog.uploads, datadog_kind).items()}, files)
        self.check_pyroscope(pyroscope.uploads)
        self.check_datadog(datadog.uploads)

    def check_pyroscope(self, uploads):
        for kind, series in by_kind(uploads, pyroscope_kind).items():
            for upload in series:
                self.assertEqual(upload["app"], "quotes-api")
                labels = upload["labels"]
                self.assertEqual(labels["process.runtime.name"], "nodejs")
                self.assertRegex(labels["process.runtime.version"], r"^\d+\.\d+\.\d+$")
                self.assertEqual(labels["otel.scope.name"], "heapagent")
                self.assertEqual((labels["env"], labels["version"], labels["team"], labels["region"]),
                                 ("staging", "1.2.3", "memory", "eu"))
                self.assertRegex(labels["process.pid"], r"^\d+$")
                params = upload["params"]
                self.assertEqual((params["format"], params["spyName"]), ("pprof", "nodespy"))
                self.assertEqual(upload["headers"]["Content-Type"], "application/octet-stream")
                profile = upload["summary"]
                # No sample labels: they would become series labels in Pyroscope.
                self.assertTrue(all(not stack["labels"] for stack in profile["stacks"]), kind)
            # Contiguous windows per series.
            for before, after in zip(series, series[1:]):
                self.assertEqual(after["params"]["from"], before["params"]["until"])
        js = by_kind(uploads, pyroscope_kind)["js"]
        last = js[-2]["summary"]
        self.assertEqual(last["sample_types"], [["inuse_objects", "count"], ["inuse_space", "bytes"]])
        self.assertEqual(last["period_type"], ["inuse_space", "bytes"])
        self.assertEqual(last["period"], 16384)
        names = set(last["functions"])
        self.assertTrue(any(re.match(r"^\./upload_app\.js:retainJsObjects:\d+$", name) for name in names), names)
        self.assertIn(":(external):0", names)
        # Native: alloc_* are per-period deltas; their sum over all uploads is
        # the cumulative total of the last profile written to a file.
        native = by_kind(uploads, pyroscope_kind)["native"]
        self.assertEqual(native[0]["summary"]["sample_types"],
                         [["alloc_objects", "count"], ["alloc_space", "bytes"], ["inuse_objects", "count"],
                          ["inuse_space", "bytes"]])
        final_file = summary(profiles(self.output, "native")[-1])
        index = [t for t, _ in final_file["sample_types"]].index("alloc_space")
        cumulative_total = sum(stack["values"][index] for stack in final_file["stacks"])
        delta_total = sum(sum(stack["values"][index] for stack in upload["summary"]["stacks"]) for upload in native)
        self.assertEqual(delta_total, cumulative_total)
        # inuse_space is a snapshot: the last upload's equals the last file's.
        inuse = [t for t, _ in final_file["sample_types"]].index("inuse_space")
        self.assertEqual(sum(s["values"][inuse] for s in native[-1]["summary"]["stacks"]),
                         sum(s["values"][inuse] for s in final_file["stacks"]))

    def check_datadog(self, uploads):
        for kind, series in by_kind(uploads, datadog_kind).items():
            for seq, upload in enumerate(series):
                event, tags = upload["event"], upload["tags"]
                self.assertEqual(upload["headers"]["DD-EVP-ORIGIN"], "heapagent")
                self.assertEqual(event["version"], "4")
                self.assertEqual(event["endpoint_counts"], {})
                self.assertEqual(tags["profile_seq"], str(seq))
                self.assertEqual(tags["snapshot"], "on_shutdown" if seq == len(series) - 1 else "periodic")
                for key, value in {"runtime": "nodejs", "runtime_os": "linux", "format": "pprof",
                                   "service": "quotes-api", "env": "staging", "version": "1.2.3",
                                   "team": "memory", "region": "eu"}.items():
                    self.assertEqual(tags[key], value, key)
                self.assertRegex(tags["runtime_version"], r"^v\d+\.\d+\.\d+$")
                self.assertRegex(tags["runtime-id"], r"^[0-9a-f-]{36}$")
                self.assertEqual(event["info"]["runtime"]["engine"], "nodejs")
                self.assertEqual(event["info"]["application"]["service"], "quotes-api")
            for before, after in zip(series, series[1:]):
                self.assertEqual(after["event"]["start"], before["event"]["end"])
        js = by_kind(uploads, datadog_kind)["js"]
        self.assertEqual(js[0]["event"]["attachments"], ["space.pprof"])
        self.assertEqual(js[0]["parts"], [("event", "event.json", "application/json"),
                                          ("space.pprof", "space.pprof", "application/octet-stream")])
        self.assertEqual(js[0]["tags"]["language"], "javascript")
        profile = js[-2]["profiles"]["space.pprof"]
        self.assertEqual(profile["sample_types"], [["inuse_objects", "count"], ["inuse_space", "bytes"]])
        self.assertEqual(profile["period_type"], ["inuse_space", "bytes"])
        self.assertEqual(profile["period"], 16384)
        self.assertIn("retainJsObjects", profile["functions"])
        for stack in profile["stacks"]:
            self.assertEqual(set(stack["labels"]), {"thread name", "thread id", "os thread id"}, stack)
            self.assertEqual(stack["labels"]["thread name"], "Main Event Loop")
        external = [s for s in profile["stacks"] if s["frames"] == ["(external)"]]
        self.assertEqual(len(external), 1)
        native = by_kind(uploads, datadog_kind)["native"]
        self.assertEqual(native[0]["event"]["family"], "native")
        self.assertEqual(native[0]["event"]["attachments"], ["profile.pprof"])
        self.assertEqual(native[0]["profiles"]["profile.pprof"]["sample_types"],
                         [["alloc-samples", "count"], ["alloc-space", "bytes"], ["inuse-objects", "count"],
                          ["inuse-space", "bytes"]])

    def test_files_are_off_when_a_backend_is_configured(self):
        pyroscope = self.receiver(PyroscopeReceiver)
        result, _ = run_app(self.directory, HEAPAGENT_PYROSCOPE_URL=pyroscope.url, UPLOAD_APP_MS="800")
        self.assertOk(result)
        self.assertTrue(pyroscope.uploads)
        self.assertFalse(os.path.exists(os.path.join(self.directory, "heapagent-profiles")))


class UploadFaultTest(UploadTestCase):
    """A broken backend never hurts the app, and uploads resume by themselves."""

    def baseline_seconds(self):
        _, seconds = run_app(self.directory, UPLOAD_APP_MS="1500", HEAPAGENT_ENABLED="0")
        return seconds

    def test_connection_refused_then_the_receiver_comes_back(self):
        port = free_port()
        app = start_app(self.directory, HEAPAGENT_PYROSCOPE_URL=f"http://127.0.0.1:{port}", UPLOAD_APP_MS="6000",
                        HEAPAGENT_OUTPUT_DIR=self.output)
        try:
            wait_for_stderr_line(app, r"pyroscope: upload failed \(.*(refused|connect)", 10)
            started = time.time()
            pyroscope = self.receiver(PyroscopeReceiver, port)
            # A profile from before the receiver existed arrives (it was queued).
            self.assertTrue(pyroscope.wait_for(lambda r: any(int(u["params"]["from"]) < started - 0.5
                                                             for u in r.uploads), 10), pyroscope.uploads)
            app.stderr.read()
            self.assertEqual(app.wait(30), 0)
        finally:
            app.kill()
            app.stdout.close()
            app.stderr.close()
        self.assertEqual(pyroscope.rejections, [])
        delivered = {k: len(v) for k, v in by_kind(pyroscope.uploads, pyroscope_kind).items()}
        self.assertEqual(delivered, self.file_counts())  # nothing lost: the queue was big enough

    def test_500_and_429_are_retried_honouring_retry_after(self):
        pyroscope = self.receiver(PyroscopeReceiver)
        pyroscope.script = [("status", 500), ("status", 503), ("status", 429, {"Retry-After": "2"})]
        # Long enough for the backlog of the ~5 s of failures to drain while the app runs.
        result, _ = run_app(self.directory, HEAPAGENT_PYROSCOPE_URL=pyroscope.url, UPLOAD_APP_MS="9000",
                            HEAPAGENT_OUTPUT_DIR=self.output)
        self.assertOk(result)
        times = pyroscope.request_times
        self.assertGreaterEqual(times[3] - times[2], 2.0, "Retry-After: 2 was not honoured")
        self.assertGreaterEqual(times[1] - times[0], 0.5, "no backoff after a 500")
        delivered = {k: len(v) for k, v in by_kind(pyroscope.uploads, pyroscope_kind).items()}
        self.assertEqual(delivered, self.file_counts())

    def test_a_receiver_that_never_answers_delays_exit_by_the_flush_budget_at_most(self):
        datadog = self.receiver(DatadogReceiver)
        datadog.script = [("hang",)] * 1000
        app = start_app(self.directory, HEAPAGENT_DATADOG="1", DD_TRACE_AGENT_URL=datadog.url, UPLOAD_APP_MS="1500",
                        UPLOAD_APP_EXIT_CODE="3", HEAPAGENT_UPLOAD_TIMEOUT="60s", HEAPAGENT_LOG="debug")
        try:
            # The last thing the agent does before the exit flush is the final native profile.
            wait_for_stderr_line(app, r"native heap profile: .*final", 20)
            final_at = time.monotonic()
            app.stderr.read()
            self.assertEqual(app.wait(30), 3)  # the app's own exit code
            exited_at = time.monotonic()
        finally:
            app.kill()
            app.stdout.close()
            app.stderr.close()
        self.assertGreaterEqual(datadog.requests, 1)
        self.assertLess(exited_at - final_at, FLUSH_BUDGET + 0.5)

    def test_413_is_not_retried_and_says_which_limit(self):
        pyroscope = self.receiver(PyroscopeReceiver)
        pyroscope.script = [("status", 413)] * 1000
        result, _ = run_app(self.directory, HEAPAGENT_PYROSCOPE_URL=pyroscope.url, UPLOAD_APP_MS="1200",
                            HEAPAGENT_OUTPUT_DIR=self.output)
        self.assertOk(result)
        files = self.file_counts()
        self.assertEqual(pyroscope.requests, files["js"] + files["native"])  # each tried once
        self.assertRegex(result.stderr, r"pyroscope rejected a \w+ profile with HTTP 413: over a size limit: "
                                        r".*4 MiB uncompressed, 16000 samples")

    def test_receiver_dying_mid_request_and_coming_back(self):
        pyroscope = self.receiver(PyroscopeReceiver)
        port = pyroscope.port
        pyroscope.script = [("die",)]
        app = start_app(self.directory, HEAPAGENT_PYROSCOPE_URL=pyroscope.url, UPLOAD_APP_MS="5000",
                        HEAPAGENT_OUTPUT_DIR=self.output)
        try:
            self.assertTrue(pyroscope.wait_for(lambda r: r.requests >= 1, 10))
            wait_for_stderr_line(app, r"pyroscope: upload failed", 10)
            self.assertTrue(pyroscope.stopped.wait(10))
            back = self.receiver(PyroscopeReceiver, port)
            self.assertEqual(app.wait(30), 0)
        finally:
            app.kill()
            app.stdout.close()
            app.stderr.close()
        delivered = {k: len(v) for k, v in by_kind(back.uploads, pyroscope_kind).items()}
        self.assertEqual(delivered, self.file_counts())  # the one cut off was sent again

    def test_a_long_outage_stays_within_the_queue_bound(self):
        port = free_port()
        app = start_app(self.directory, HEAPAGENT_PYROSCOPE_URL=f"http://127.0.0.1:{port}", UPLOAD_APP_MS="6000",
                        HEAPAGENT_PERIOD="0.2", HEAPAGENT_UPLOAD_QUEUE_BYTES="64KiB", HEAPAGENT_OUTPUT_DIR=self.output)
        try:
            wait_for_stderr_line(app, r"dropped oldest first", 15)
            pyroscope = self.receiver(PyroscopeReceiver, port)
            self.assertTrue(pyroscope.wait_for(lambda r: len(r.uploads) >= 3, 15))
            self.assertEqual(app.wait(30), 0)
        finally:
            app.kill()
            app.stdout.close()
            app.stderr.close()
        files = self.file_counts()
        delivered = len(pyroscope.uploads)
        self.assertLess(delivered, files["js"] + files["native"])  # the oldest were dropped
        # What survived the outage is the newest: the last native window ends at the app's end.
        native = by_kind(pyroscope.uploads, pyroscope_kind)["native"]
        self.assertGreater(len(native), 0)


if __name__ == "__main__":
    unittest.main()
