"""Receive AudioShake webhook deliveries: one POST of the whole Task each time a target
ends. Verifies the signature when WEBHOOK_SECRET is set (the mock signs deliveries for
keys that registered a secret; the real service documents no signature).

    python webhook_receiver.py [--port 8765] [--count N] [--any-age]

Answers 204 to a good delivery (so it is not retried) and 400 to a bad one; prints one
line per delivery; stops after N deliveries when --count is given, else on Ctrl-C.
A signature older than 5 minutes is refused (a replay); --any-age skips that check,
for a mock whose clock runs faster than the wall (`serve --speed 100` stamps its
deliveries with its own time, minutes ahead).
"""

import argparse
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

from audioshake_kit import WebhookSignatureError, verify_and_parse
from audioshake_kit.domain.signing import DEFAULT_TOLERANCE_S
from audioshake_kit.webhooks import SIGNATURE_HEADER

SECRET = os.environ.get("WEBHOOK_SECRET") or None


class Receiver(BaseHTTPRequestHandler):
    received = 0
    tolerance_s: float | None = DEFAULT_TOLERANCE_S

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            task = verify_and_parse(
                body, self.headers.get(SIGNATURE_HEADER), SECRET, tolerance_s=self.tolerance_s
            )
        except WebhookSignatureError as exc:
            print(f"rejected: {exc}", flush=True)
            self.send_response(400)
            self.end_headers()
            return
        self.send_response(204)
        self.end_headers()
        Receiver.received += 1
        ended = [f"{t.model}={t.status}" for t in task.targets if t.status != "processing"]
        print(f"task {task.id}: {' '.join(ended)}", flush=True)

    def log_message(self, format: str, *args: object) -> None:  # quiet: one line each
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--count", type=int, default=None, help="stop after N deliveries")
    parser.add_argument("--any-age", action="store_true", help="accept old signatures")
    args = parser.parse_args()
    if args.any_age:
        Receiver.tolerance_s = None
    server = HTTPServer(("127.0.0.1", args.port), Receiver)
    print(f"listening on http://127.0.0.1:{args.port}/", flush=True)
    try:
        while args.count is None or Receiver.received < args.count:
            server.handle_request()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
