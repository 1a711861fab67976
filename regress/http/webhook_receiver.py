"""webhook_receiver.py — a webhook receiver on loopback for the webhook suites: it
records every delivery (time of arrival, headers, body) per path, and answers each path
as the test scripted it: 200 by default, or in turn 500 (or any status), "hang" (no
answer: the sender's 10 s timeout), "close" (the connection closed without an answer),
"hold" (no answer until release() — a batch kept in flight), "big" (200 with a body
over the 64 KiB the sender reads) or "redirect" (302 elsewhere on this receiver).
Waiting is on conditions with deadlines (wait_for), never a fixed sleep.
"""
import hashlib
import hmac
import http.server
import json
import socket
import sys
import threading
import time


class Delivery:
    def __init__(self, path, headers, raw):
        self.at = time.monotonic()
        self.path = path
        self.headers = headers
        self.raw = raw
        self.json = json.loads(raw)

    def signature_valid(self, secret):
        """X-Privacybee-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">, as docs/webhooks.md
        tells receivers to check it."""
        parts = dict(p.split("=", 1) for p in self.headers.get("x-privacybee-signature", "").split(","))
        expected = hmac.new(secret.encode(), parts.get("t", "").encode() + b"." + self.raw,
                            hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, parts.get("v1", ""))

    @property
    def events(self):
        return self.json["events"]


class Receiver:
    def __init__(self):
        self.lock = threading.Condition()
        self.deliveries = []
        self.scripts = {}
        self.released = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    script = receiver.scripts.get(self.path)
                    answer = script.pop(0) if script else 200
                    receiver.deliveries.append(Delivery(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, raw))
                    receiver.lock.notify_all()
                if answer == "hang":
                    time.sleep(13)
                    self.close_connection = True
                    return
                if answer == "hold":
                    receiver.released.wait(30)
                    answer = 200
                if answer == "close":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                body, headers = b"{}", {}
                if answer == "big":
                    answer, body = 200, b"x" * (1024 * 1024)
                elif answer == "redirect":
                    answer, headers = 302, {"Location": f"http://127.0.0.1:{receiver.port}/elsewhere"}
                # every attempt comes on a fresh connection: libcurl retries a request once,
                # unrecorded, when a kept connection turns out closed before any answer
                # (what "close" does), and a scripted answer is for one attempt
                headers["Connection"] = "close"
                self.close_connection = True
                try:
                    self.send_response(answer)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    # the sender is gone (killed while we held its batch) or stopped
                    # reading (the 64 KiB cap)
                    self.close_connection = True

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                # a sender that went away (killed, or aborting at its 64 KiB cap) is expected
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path, answers):
        with self.lock:
            self.scripts[path] = list(answers)

    def release(self):
        self.released.set()

    def at(self, path):
        with self.lock:
            return [d for d in self.deliveries if d.path == path]

    def events(self, path):
        """Every event delivered to path, in order of arrival (duplicates included)."""
        return [e for d in self.at(path) for e in d.events]

    def wait_for(self, predicate, seconds=30):
        """Wait until predicate() holds (re-checked at each delivery), at most seconds."""
        deadline = time.monotonic() + seconds
        with self.lock:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.lock.wait(min(left, 0.5))
            return True

    def close(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
