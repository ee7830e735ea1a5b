"""What both strict loopback receivers share: a threaded HTTP/1.1 server
that reads Content-Length and chunked bodies, a script of fault answers
(status, Retry-After, hang, die mid-request), decoding of every pprof with
an independent decoder (profile_summary, libprotobuf; HEAPAGENT_TEST_SUMMARY),
and a condition the tests wait on with a deadline ("got N uploads")."""
import gzip
import json
import os
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SUMMARY = os.environ.get("HEAPAGENT_TEST_SUMMARY", "")


class Rejected(Exception):
    """The request is invalid: answered with `status` and `message`."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def decode_pprof(data):
    """gunzip (required: both backends' clients gzip) + profile_summary."""
    if data[:2] != b"\x1f\x8b":
        raise Rejected(400, "pprof part is not gzipped")
    try:
        raw = gzip.decompress(data)
    except Exception as error:
        raise Rejected(400, f"bad gzip: {error}")
    with tempfile.NamedTemporaryFile(suffix=".pb.gz") as file:
        file.write(data)
        file.flush()
        result = subprocess.run([SUMMARY, file.name], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise Rejected(400, f"invalid pprof: {result.stderr.strip()}")
    summary = json.loads(result.stdout)
    summary["uncompressed_bytes"] = len(raw)
    summary["sample_count"] = len(summary.get("stacks", []))
    return summary


class Receiver:
    """Base: subclasses implement handle(method, path, headers, body) ->
    (status, headers dict, body bytes) and raise Rejected for invalid input."""

    def __init__(self, port=0):
        self.uploads = []        # accepted uploads, in order
        self.rejections = []     # (status, message)
        self.requests = 0        # every request that reached the handler
        self.request_times = []  # monotonic time of each, in order
        self.script = []         # fault answers for the next requests: ("status", code, headers) | ("hang",) | ("die",)
        self._condition = threading.Condition()
        self._release = threading.Event()   # unblocks hanging handlers at stop()
        self._server = None
        self._thread = None
        self.port = port

    # --- lifecycle --------------------------------------------------------
    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                receiver._serve(self)

            def do_GET(self):
                receiver._serve(self)

        class Server(ThreadingHTTPServer):
            allow_reuse_address = True  # coming back on the same port right after dying
            daemon_threads = True

        server = Server(("127.0.0.1", self.port), Handler)
        self.stopped = threading.Event()
        self._server = server
        self.port = server.server_address[1]
        self._release.clear()
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._release.set()
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            self.stopped.set()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    # --- waiting ----------------------------------------------------------
    def wait_for(self, predicate, timeout):
        """Waits until predicate(self) holds; returns it (False on timeout)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._condition.wait(left)
            return True

    def _notify(self):
        with self._condition:
            self._condition.notify_all()

    # --- one request ------------------------------------------------------
    def _read_body(self, handler):
        length = handler.headers.get("Content-Length")
        if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size_line = handler.rfile.readline()
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    handler.rfile.readline()
                    break
                chunks.append(handler.rfile.read(size))
                handler.rfile.readline()
            return b"".join(chunks)
        if length is None:
            raise Rejected(411, "length required")
        return handler.rfile.read(int(length))

    def _serve(self, handler):
        with self._condition:
            self.requests += 1
            self.request_times.append(time.monotonic())
            fault = self.script.pop(0) if self.script else None
        if fault and fault[0] == "die":
            # Read part of the body, then vanish: the connection is reset mid-request and the server is gone.
            handler.rfile.read(16)
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            handler.close_connection = True
            threading.Thread(target=self.stop, daemon=True).start()
            self._notify()
            return
        try:
            body = self._read_body(handler)
        except Exception:
            handler.close_connection = True
            return
        if fault and fault[0] == "hang":
            self._notify()
            self._release.wait()  # never answers while the server runs
            handler.close_connection = True
            return
        if fault and fault[0] == "status":
            self._answer(handler, fault[1], fault[2] if len(fault) > 2 else {}, b"scripted failure")
            self._notify()
            return
        try:
            status, headers, answer = self.handle(handler.command, handler.path, handler.headers, body)
        except Rejected as rejection:
            with self._condition:
                self.rejections.append((rejection.status, rejection.message))
            self._answer(handler, rejection.status, {}, rejection.message.encode())
            self._notify()
            return
        self._answer(handler, status, headers, answer)
        self._notify()

    def _answer(self, handler, status, headers, body):
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
