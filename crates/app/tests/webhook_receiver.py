"""A webhook receiver that checks every request with the official Standard
Webhooks library (PyPI `standardwebhooks`), for the tests in
tests/it/webhook_*.rs.

Run as `python3 webhook_receiver.py`: it binds 127.0.0.1 on a free port,
prints the port on one line, and serves until killed.

    POST /_config   {"secrets": ["whsec_…", …],   each request is verified
                                                  against each of these
                     "responses": [500, 500, 200], answered in order, then
                     "default_status": 200,        this one
                     "delay_ms": 0,                wait before answering
                     "now": 1764331200}            the sender's clock (unix
                                                  seconds) for the library's
                                                  5-minute timestamp
                                                  tolerance; null: wall clock
                    Fields left out keep their value; the log is kept.
    GET  /_log      [{"webhook_id", "verified_by": [indexes of the secrets
                     that verify], "errors": [why each other one did not],
                     "signatures": how many in webhook-signature, "status",
                     "time", "body", "timestamp", "path"}, …] oldest first
    POST <anything else>   a webhook: verified, logged, answered.

The tests drive the app with a manual clock, so the library's timestamp
check compares against the clock the test says ("now") instead of the wall
clock; the signature check is the library's own, untouched.
"""

import json
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import standardwebhooks.webhooks as sw
from standardwebhooks.webhooks import Webhook

LOCK = threading.Lock()
CONFIG = {"secrets": [], "responses": [], "default_status": 200, "delay_ms": 0, "now": None}
LOG = []


class _TestClock(datetime):
    """`datetime` whose now() is the sender's clock when one was given."""

    @classmethod
    def now(cls, tz=None):
        with LOCK:
            fixed = CONFIG["now"]
        if fixed is None:
            return datetime.now(tz)
        return datetime.fromtimestamp(float(fixed), tz=tz or timezone.utc)


# The library reads `datetime.now(tz=timezone.utc)` from its module.
sw.datetime = _TestClock


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 (quiet test output)
        pass

    def _body(self):
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self, status, payload, content_type="application/json"):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/_log":
            with LOCK:
                snapshot = list(LOG)
            self._answer(200, snapshot)
        else:
            self._answer(404, {"error": "not found"})

    def do_POST(self):
        body = self._body()
        if self.path == "/_config":
            change = json.loads(body or b"{}")
            with LOCK:
                for key in ("secrets", "responses", "default_status", "delay_ms", "now"):
                    if key in change:
                        CONFIG[key] = change[key]
            self._answer(200, {"ok": True})
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        with LOCK:
            secrets = list(CONFIG["secrets"])
            status = CONFIG["responses"].pop(0) if CONFIG["responses"] else CONFIG["default_status"]
            delay_ms = CONFIG["delay_ms"]
        verified_by, errors = [], []
        for index, secret in enumerate(secrets):
            try:
                Webhook(secret).verify(body, headers)
                verified_by.append(index)
            except Exception as err:  # the library's WebhookVerificationError, or a bad header
                errors.append(f"{index}: {err}")
        if delay_ms:
            time.sleep(delay_ms / 1000)
        with LOCK:
            LOG.append(
                {
                    "webhook_id": headers.get("webhook-id"),
                    "timestamp": headers.get("webhook-timestamp"),
                    "signatures": len((headers.get("webhook-signature") or "").split()),
                    "verified_by": verified_by,
                    "errors": errors,
                    "status": status,
                    "time": time.time(),
                    "path": self.path,
                    "body": body.decode("utf-8", "replace"),
                }
            )
        self._answer(status, b"received", "text/plain")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A sender killed mid-request (the crash test) leaves a broken
        # connection behind: not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def main():
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
