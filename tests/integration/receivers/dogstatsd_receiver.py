"""A strict stand-in for the Datadog agent's DogStatsD listener, over UDP or a
unix datagram socket. Each datagram is parsed as the DogStatsD protocol
documents it (docs.datadoghq.com/developers/dogstatsd/datagram_shell):

    <name>:<value>|<type>[|@<sample rate>][|#<tag>,<tag>...][|T<timestamp>][|c:<container id>]

one metric per line, lines separated by '\\n'. A name starts with a letter
and holds only ASCII letters, digits, '_' and '.', at most 200 characters; a
value is a number (a gauge's may be negative or fractional); tags are
non-empty, without spaces or '|' or ','. Datagrams over 8192 bytes (the
agent's default buffer) are refused. Anything else is recorded as a
rejection with the offending line. Run alone: python3 dogstatsd_receiver.py PORT."""
import os
import re
import socket
import sys
import threading
import time

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,199}$")
VALUE = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
TYPES = {"g", "c", "d", "h", "ms", "s"}
TAG = re.compile(r"^[^\s|,#]+$")
MAX_DATAGRAM = 8192


class Metric:
    def __init__(self, name, value, kind, tags):
        self.name, self.value, self.kind, self.tags = name, value, kind, tags

    def __repr__(self):
        return f"{self.name}:{self.value}|{self.kind}|#{','.join(self.tags)}"


def parse_line(line):
    """One metric line -> Metric; ValueError naming the problem."""
    head, _, rest = line.partition("|")
    name, colon, value = head.partition(":")
    if not colon or not NAME.match(name):
        raise ValueError(f"bad metric name in {line!r}")
    if not VALUE.match(value):
        raise ValueError(f"bad value in {line!r}")
    fields = rest.split("|")
    kind = fields[0]
    if kind not in TYPES:
        raise ValueError(f"bad type {kind!r} in {line!r}")
    tags = []
    seen = set()
    for field in fields[1:]:
        if not field or field[0] in seen:
            raise ValueError(f"empty or repeated field in {line!r}")
        seen.add(field[0])
        if field[0] == "@":
            float(field[1:])
        elif field[0] == "#":
            tags = field[1:].split(",")
            if not all(TAG.match(tag) for tag in tags):
                raise ValueError(f"bad tag in {line!r}")
        elif field[0] == "T":
            int(field[1:])
        elif not field.startswith("c:"):
            raise ValueError(f"unknown field {field!r} in {line!r}")
    return Metric(name, float(value), kind, tags)


def parse_datagram(data):
    if len(data) > MAX_DATAGRAM:
        raise ValueError(f"datagram of {len(data)} bytes")
    text = data.decode("utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # a trailing newline ends the last line
    if not lines:
        raise ValueError("empty datagram")
    return [parse_line(line) for line in lines]


class DogStatsdReceiver:
    """Receives on its own thread; `metrics` in arrival order, `rejections`
    as (reason, datagram). kind: 'udp' or 'unix'."""

    def __init__(self, kind="udp", path=None, port=0):
        self.kind = kind
        if kind == "udp":
            self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.socket.bind(("127.0.0.1", port))
            self.port = self.socket.getsockname()[1]
            self.url = f"udp://127.0.0.1:{self.port}"
        else:
            self.path = path
            self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.socket.bind(path)
            self.url = f"unix://{path}"
        self.socket.settimeout(0.1)
        self.metrics = []
        self.datagrams = []
        self.rejections = []
        self.condition = threading.Condition()
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.running = False
        self.thread.join(timeout=5)
        self.socket.close()
        if self.kind == "unix" and os.path.exists(self.path):
            os.unlink(self.path)

    def _run(self):
        while self.running:
            try:
                data = self.socket.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.condition:
                self.datagrams.append(data)
                try:
                    self.metrics.extend(parse_datagram(data))
                except (ValueError, UnicodeDecodeError) as error:
                    self.rejections.append((str(error), data))
                self.condition.notify_all()

    def wait_for(self, predicate, timeout):
        """Waits until predicate(metrics) holds; False at the deadline."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while not predicate(self.metrics):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.condition.wait(remaining)
            return True


if __name__ == "__main__":
    receiver = DogStatsdReceiver(port=int(sys.argv[1]) if len(sys.argv) > 1 else 0).start()
    print(f"listening on {receiver.url}", flush=True)
    shown = 0
    while True:
        time.sleep(1)
        with receiver.condition:
            for metric in receiver.metrics[shown:]:
                print(metric, flush=True)
            shown = len(receiver.metrics)
            for reason, _ in receiver.rejections:
                print("REJECTED", reason, flush=True)
            receiver.rejections.clear()
