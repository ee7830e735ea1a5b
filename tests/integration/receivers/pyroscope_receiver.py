"""A strict stand-in for Grafana Pyroscope's `POST /ingest` (formats.md
section 4): validates the query (name syntax, from/until, format), takes a
raw pprof body or a multipart `profile` field, enforces the default limits
(4 MiB uncompressed, 16,000 samples, 100 labels per sample, not older than
1 h nor more than 10 min ahead), decodes the pprof, and answers 200 with an
empty body. Run alone: python3 pyroscope_receiver.py PORT."""
import gzip
import re
import sys
import time
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qs, urlsplit

from receiver_base import Receiver, Rejected, decode_pprof

APP_NAME = re.compile(r"^[A-Za-z0-9_.\-/]+$")
LABEL_KEY = re.compile(r"^[A-Za-z0-9_.]+$")
MAX_PROFILE_BYTES = 4 * 1024 * 1024
MAX_SAMPLES = 16000
MAX_LABELS_PER_SAMPLE = 100


def parse_name(name):
    """'app{k=v,k2=v2}' -> (app, {k: v}); Rejected(400) when invalid."""
    match = re.match(r"^([^{}]*)(?:\{(.*)\})?$", name)
    if not match or not APP_NAME.match(match.group(1) or ""):
        raise Rejected(400, f"invalid application name {name!r}")
    labels = {}
    if match.group(2):
        for pair in match.group(2).split(","):
            if "=" not in pair:
                raise Rejected(400, f"invalid label {pair!r}")
            key, value = pair.split("=", 1)
            if not LABEL_KEY.match(key) or key.startswith("__"):
                raise Rejected(400, f"invalid label name {key!r}")
            if key in labels:
                raise Rejected(400, f"duplicate label {key!r}")
            labels[key] = value
    return match.group(1), labels


class PyroscopeReceiver(Receiver):
    def handle(self, method, path, headers, body):
        url = urlsplit(path)
        if method != "POST" or url.path != "/ingest":
            raise Rejected(404, "not found")
        query = parse_qs(url.query, keep_blank_values=True, strict_parsing=True)
        for key, values in query.items():
            if len(values) != 1:
                raise Rejected(400, f"repeated parameter {key}")
        params = {k: v[0] for k, v in query.items()}
        if "name" not in params:
            raise Rejected(400, "name is required")
        app, labels = parse_name(params["name"])
        now = time.time()
        try:
            start, until = int(params["from"]), int(params["until"])
        except (KeyError, ValueError):
            raise Rejected(400, "from/until must be unix seconds")
        if len(params["from"]) != 10 or len(params["until"]) != 10 or start > until:
            raise Rejected(400, f"bad window from={start} until={until}")
        if until < now - 3600:
            raise Rejected(400, "profile too old (more than 1h)")
        if start > now + 600:
            raise Rejected(400, "profile too far in the future")
        if params.get("format") == "pprof":
            profile = body
        else:
            content_type = headers.get("Content-Type", "")
            if not content_type.startswith("multipart/form-data"):
                raise Rejected(400, "expected format=pprof or a multipart body")
            message = BytesParser(policy=HTTP).parsebytes(
                b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
            parts = {part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
                     for part in message.iter_parts()}
            if "prev_profile" in parts:
                raise Rejected(400, "unsupported client version")
            if "profile" not in parts:
                raise Rejected(400, "no profile part")
            profile = parts["profile"]
        # Size before decoding: the limit is on the uncompressed profile.
        try:
            raw_size = len(gzip.decompress(profile)) if profile[:2] == b"\x1f\x8b" else len(profile)
        except Exception:
            raise Rejected(400, "bad gzip")
        if raw_size > MAX_PROFILE_BYTES:
            raise Rejected(413, f"profile size {raw_size} exceeds the limit {MAX_PROFILE_BYTES}")
        summary = decode_pprof(profile)
        if summary["sample_count"] > MAX_SAMPLES:
            raise Rejected(400, f"max samples limit exceeded: {summary['sample_count']} > {MAX_SAMPLES}")
        for stack in summary["stacks"]:
            if len(stack["labels"]) > MAX_LABELS_PER_SAMPLE:
                raise Rejected(400, "too many labels on a sample")
        upload = {"app": app, "labels": labels, "params": params, "headers": dict(headers.items()),
                  "summary": summary, "received": now}
        with self._condition:
            self.uploads.append(upload)
        return 200, {}, b""


if __name__ == "__main__":
    receiver = PyroscopeReceiver(int(sys.argv[1]) if len(sys.argv) > 1 else 0).start()
    print(receiver.port, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        receiver.stop()
