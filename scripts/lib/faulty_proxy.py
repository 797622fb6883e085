"""A proxy in front of moto's server that injects errors (503s, throttling) and can hide
secrets from batch reads: the AWS faults the migrate and rotate tests need."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.error
import urllib.request


class FaultyProxy(http.server.ThreadingHTTPServer):
    """Forwards to moto, answering some requests with an injected error."""


def blind_reply(target, body):
    """With `blind`, batch reads answer "nothing stored": what a plan sees when another writer
    creates the secrets between airseal's plan read and its create."""
    request = json.loads(body or b"{}")
    if target.endswith("BatchGetSecretValue"):
        ids = request.get("SecretIdList") or []
        return {"SecretValues": [], "Errors": [{"SecretId": i, "ErrorCode": "ResourceNotFoundException",
                                                "Message": "hidden by the test"} for i in ids]}
    if target.endswith("GetParameters"):
        return {"Parameters": [], "InvalidParameters": request.get("Names") or []}
    return None


def start_proxy(target, faults, blind=False, every=3, injected=(503, "ServiceUnavailable")):
    """A proxy in front of moto at `target`: every `every`-th of the first `faults` requests gets
    `injected` (HTTP status, AWS error type) instead of moto's answer. Returns (server, counters)."""
    state = {"seen": 0, "failed": 0, "hidden": 0}
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                state["seen"] += 1
                fail = state["failed"] < faults and state["seen"] % every == 0
                if fail:
                    state["failed"] += 1
            hidden = blind_reply(self.headers.get("X-Amz-Target") or "", body) if blind else None
            if hidden is not None:
                with lock:
                    state["hidden"] += 1
                payload = json.dumps(hidden).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            if fail:
                payload = json.dumps({"__type": injected[1], "message": "injected by the test"}).encode()
                self.send_response(injected[0])
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            request = urllib.request.Request(target + self.path, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status, reply, reply_headers = response.status, response.read(), response.headers
            except urllib.error.HTTPError as error:
                status, reply, reply_headers = error.code, error.read(), error.headers
            self.send_response(status)
            for k, v in reply_headers.items():
                if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    server = FaultyProxy(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state
