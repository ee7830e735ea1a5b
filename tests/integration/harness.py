"""Shared helpers for the integration tests: run a real process under the
real preload, find the profiles it wrote, and decode them with independent
consumers (profile_summary, built on libprotobuf; go tool pprof)."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

LIBRARY = os.environ["HEAPAGENT_TEST_LIBRARY"]
BIN_DIR = os.environ["HEAPAGENT_TEST_BIN_DIR"]
SUMMARY = os.environ["HEAPAGENT_TEST_SUMMARY"]
SOURCE_DIR = os.environ["HEAPAGENT_TEST_SOURCE_DIR"]
NODE_DIR = os.path.join(SOURCE_DIR, "node")
MIB = 1024 * 1024

# The variables a developer may have set in their shell must not leak into
# a test's expectations.
_CLEAN_ENV = {k: v for k, v in os.environ.items()
              if not k.startswith(("HEAPAGENT_", "DD_")) and k not in ("LD_PRELOAD", "NODE_OPTIONS")}


def program(name):
    return os.path.join(BIN_DIR, name)


def node_script(name):
    return os.path.join(NODE_DIR, name)


def source_line(script, text):
    """1-based line of the first line containing `text` in a node test script."""
    with open(node_script(script)) as source:
        for number, line in enumerate(source, 1):
            if text in line:
                return number
    raise AssertionError(f"{text!r} not in {script}")


def run(command, env=None, cwd=None, preload=True, timeout=120):
    """Runs `command`; returns CompletedProcess with text stdout/stderr."""
    full_env = dict(_CLEAN_ENV)
    if preload:
        full_env["LD_PRELOAD"] = LIBRARY
    full_env.update(env or {})
    return subprocess.run(command, env=full_env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def profiles(directory, kind="native", pid=None):
    """Profile files of one kind (and pid), oldest sequence first."""
    if not os.path.isdir(directory):
        return []
    names = [n for n in os.listdir(directory) if n.endswith(".pb.gz") and f"-{kind}-" in n]
    if pid is not None:
        names = [n for n in names if f"-{pid}-{kind}-" in n]
    return [os.path.join(directory, n) for n in sorted(names)]


def summary(path):
    result = subprocess.run([SUMMARY, path], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"profile_summary rejected {path}: {result.stderr.strip()}")
    return json.loads(result.stdout)


def value_index(profile, sample_type):
    return [t for t, _ in profile["sample_types"]].index(sample_type)


def cumulative(profile, function_substring, sample_type="inuse_space"):
    """Largest cumulative value of any function whose name contains the text."""
    index = value_index(profile, sample_type)
    matches = [v["cum"][index] for name, v in profile["functions"].items() if function_substring in name]
    return max(matches) if matches else 0


def go_pprof(*arguments, timeout=120):
    return subprocess.run(["go", "tool", "pprof", *arguments], capture_output=True, text=True, timeout=timeout)


class AgentTestCase(unittest.TestCase):
    """Gives each test a fresh output directory."""

    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="heapagent-test-")
        self.output = os.path.join(self.directory, "profiles")

    def tearDown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    def assertWithin(self, actual, expected, fraction, what):
        self.assertLessEqual(abs(actual - expected), fraction * expected,
                             f"{what}: estimated {actual / MIB:.2f} MiB, truth {expected / MIB:.2f} MiB "
                             f"(tolerance ±{fraction:.0%})")

    def assertOk(self, result):
        self.assertEqual(result.returncode, 0, f"exit {result.returncode}; stderr: {result.stderr[-2000:]}")


_NODES = None


def node_binaries():
    """(major, path) of every node the JS tests run on: the paths in
    HEAPAGENT_TEST_NODES (colon-separated; scripts/test.sh installs node 22
    and 24 from the npm registry beside the system's 20), else `node`."""
    global _NODES
    if _NODES is None:
        paths = [p for p in os.environ.get("HEAPAGENT_TEST_NODES", "").split(":") if p] or ["node"]
        _NODES = []
        for path in paths:
            version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
            _NODES.append((version.lstrip("v").split(".")[0], path))
    return _NODES
