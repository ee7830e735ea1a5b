"""A strict stand-in for the Datadog agent's `POST /profiling/v1/input`
(formats.md section 5, uploads.md): requires DD-EVP-ORIGIN and
DD-EVP-ORIGIN-VERSION, a multipart/form-data body (Content-Length or
chunked) parsed byte for byte, an `event` part (filename event.json,
application/json) whose JSON has every key dd-trace-js sends in the right
type (start/end ISO-8601 with milliseconds and Z, version "4",
tags_profiler one comma-joined key:value string), one part per attachment,
each a gzipped pprof that decodes; answers 200 (the agent rewrites the
intake's 202). Run alone: python3 datadog_receiver.py PORT."""
import json
import re
import sys
import time
from datetime import datetime, timezone

from receiver_base import Receiver, Rejected, decode_pprof

ISO_MILLIS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
DISPOSITION = re.compile(r'^form-data; name="([^"]+)"; filename="([^"]+)"$')


def parse_multipart(content_type, body):
    """[(name, filename, content_type, bytes)], strictly as dd-trace lays it out."""
    match = re.match(r"^multipart/form-data; boundary=([A-Za-z0-9'()+_,\-./:=?]{1,70})$", content_type or "")
    if not match:
        raise Rejected(400, f"bad content type {content_type!r}")
    delimiter = b"--" + match.group(1).encode()
    if not body.startswith(delimiter + b"\r\n") or not body.endswith(delimiter + b"--\r\n"):
        raise Rejected(400, "body does not start and end with the boundary")
    inner = body[len(delimiter) + 2:-(len(delimiter) + 4)]
    if not inner.endswith(b"\r\n"):
        raise Rejected(400, "last part does not end with CRLF")
    parts = []
    for chunk in inner[:-2].split(b"\r\n" + delimiter + b"\r\n"):
        head, separator, content = chunk.partition(b"\r\n\r\n")
        if not separator:
            raise Rejected(400, "part without headers")
        fields = {}
        for line in head.decode().split("\r\n"):
            key, _, value = line.partition(": ")
            fields[key.lower()] = value
        disposition = DISPOSITION.match(fields.get("content-disposition", ""))
        if not disposition or "content-type" not in fields:
            raise Rejected(400, f"bad part headers {head!r}")
        parts.append((disposition.group(1), disposition.group(2), fields["content-type"], content))
    return parts


def parse_time(text, what):
    if not isinstance(text, str) or not ISO_MILLIS.match(text):
        raise Rejected(400, f"{what} is not ISO-8601 with ms and Z: {text!r}")
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


class DatadogReceiver(Receiver):
    def handle(self, method, path, headers, body):
        if method != "POST" or path != "/profiling/v1/input":
            raise Rejected(404, "not found")
        for header in ("DD-EVP-ORIGIN", "DD-EVP-ORIGIN-VERSION"):
            if not headers.get(header):
                raise Rejected(400, f"missing {header}")
        parts = parse_multipart(headers.get("Content-Type"), body)
        events = [p for p in parts if p[0] == "event"]
        if len(events) != 1 or events[0][1] != "event.json" or events[0][2] != "application/json":
            raise Rejected(400, "need exactly one event part, event.json, application/json")
        try:
            event = json.loads(events[0][3])
        except ValueError as error:
            raise Rejected(400, f"event.json is not JSON: {error}")
        expected_types = {"attachments": list, "start": str, "end": str, "family": str, "version": str,
                          "tags_profiler": str, "endpoint_counts": dict, "info": dict}
        for key, kind in expected_types.items():
            if not isinstance(event.get(key), kind):
                raise Rejected(400, f"event.{key} missing or not a {kind.__name__}")
        if event["version"] != "4":
            raise Rejected(400, "event.version must be \"4\"")
        start, end = parse_time(event["start"], "start"), parse_time(event["end"], "end")
        if start > end:
            raise Rejected(400, "start after end")
        tags = {}
        for tag in event["tags_profiler"].split(","):
            key, colon, value = tag.partition(":")
            if not colon or not key or not value:
                raise Rejected(400, f"bad tag {tag!r}")
            tags[key] = value
        files = {p[1]: p for p in parts if p[0] != "event"}
        if sorted(files) != sorted(event["attachments"]):
            raise Rejected(400, f"attachments {event['attachments']} vs parts {sorted(files)}")
        profiles = {}
        for filename, (name, _, content_type, content) in files.items():
            if content_type != "application/octet-stream":
                raise Rejected(400, f"{filename}: content type {content_type}")
            profiles[filename] = decode_pprof(content)
        upload = {"event": event, "tags": tags, "headers": dict(headers.items()), "parts": [p[:3] for p in parts],
                  "profiles": profiles, "start": start, "end": end, "received": time.time()}
        with self._condition:
            self.uploads.append(upload)
        return 200, {}, b""


if __name__ == "__main__":
    receiver = DatadogReceiver(int(sys.argv[1]) if len(sys.argv) > 1 else 0).start()
    print(receiver.port, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        receiver.stop()
