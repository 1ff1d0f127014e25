"""--limit-concurrency answers 503 with Uvicorn's exact bytes once N requests and WebSockets are in
flight in the process (and takes requests again when they end); --limit-max-requests shuts the
server down gracefully after N requests, the last one answered."""

import re
import signal
import time
import unittest

from support import Reader, Server, ServerTestCase, request
from ws_frames import OP_TEXT, WsClient

UVICORN_503 = re.compile(
    rb"HTTP/1\.1 503 Service Unavailable\r\n"
    rb"date: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\r\n"
    rb"server: asgiserver\r\n"
    rb"content-type: text/plain; charset=utf-8\r\n"
    rb"content-length: 19\r\n"
    rb"connection: close\r\n\r\n"
    rb"Service Unavailable\Z")


class ConcurrencyLimitTest(ServerTestCase):
    APP = "testing"
    TESTING_BINARY = True
    ARGS = ("--limit-concurrency", "2")

    def answer(self, path="/"):
        with Reader(self.connect()) as reader:
            reader.send(request("GET", path))
            return reader.read_response()

    def until_status(self, status, path="/"):
        deadline = time.monotonic() + 5
        while True:
            response = self.answer(path)
            if response.status == status or time.monotonic() > deadline:
                return response
            time.sleep(0.05)

    def hold(self):
        """A request the app keeps in flight until its client leaves."""
        reader = Reader(self.connect())
        reader.send(request("GET", "/wait-disconnect"))
        return reader

    def test_exact_503_then_recovers(self):
        self.assertEqual(self.answer("/status/204").status, 204)  # one in flight is under the limit
        held = [self.hold(), self.hold()]
        mark = self.server.stderr_mark()
        response = self.until_status(503, "/status/204")
        self.assertEqual(response.status, 503, response.raw)
        self.assertRegex(response.raw, UVICORN_503)
        self.assertIsNotNone(self.server.wait_for_stderr("Exceeded concurrency limit.", 3, mark))
        self.assertIsNotNone(self.server.wait_for_stdout(r'"GET /status/204 HTTP/1\.1" 503', 3))
        for reader in held:
            reader.sock.close()
        self.assertEqual(self.until_status(204, "/status/204").status, 204)



class WebSocketConcurrencyLimitTest(ServerTestCase):
    APP = "echo"
    ARGS = ("--limit-concurrency", "1")

    def status(self):
        with Reader(self.connect()) as reader:
            reader.send(request("POST", "/", body=b"x"))
            return reader.read_response().status

    def test_websockets_count(self):
        self.assertEqual(self.status(), 200)
        client = WsClient.open(self.server.port, "/ws")
        with client:
            self.assertEqual(client.response.status, 101)
            client.send_text("hi")
            self.assertEqual(client.read_message()[1], b"hi")
            self.assertEqual(self.status(), 503)
            # An upgrade over the limit is refused the same way.
            refused = WsClient.open(self.server.port, "/ws")
            with refused:
                self.assertEqual(refused.response.status, 503)
        deadline = time.monotonic() + 5
        while self.status() != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.status(), 200)


class MaxRequestsTest(unittest.TestCase):
    def test_exits_gracefully_after_n_requests(self):
        server = Server("hello", "--limit-max-requests", "3")
        self.addCleanup(server.kill)
        server.start()
        with Reader(server.connect()) as reader:
            for _ in range(2):
                reader.send(request("GET", "/"))
                self.assertEqual(reader.read_response().status, 200)
            self.assertTrue(server.alive())
            reader.send(request("GET", "/"))
            third = reader.read_response()
        self.assertEqual(third.status, 200)
        self.assertEqual(third.header("connection"), "close")
        self.assertEqual(server.wait(10), 0, server.stderr_text())
        self.assertIn("Maximum request limit of 3 exceeded. Terminating process.",
                      server.stderr_text())
        self.assertIn("Finished server process", server.stderr_text())

    def test_jitter_stays_within_bounds(self):
        server = Server("hello", "--limit-max-requests", "2", "--limit-max-requests-jitter", "2")
        self.addCleanup(server.kill)
        server.start()
        served = 0
        while server.alive() and served < 10:
            try:
                with Reader(server.connect()) as reader:
                    reader.send(request("GET", "/"))
                    if reader.read_response().status == 200:
                        served += 1
            except OSError:
                break
            time.sleep(0.1)
        self.assertEqual(server.wait(10), 0)
        limit = int(re.search(r"Maximum request limit of (\d+)", server.stderr_text()).group(1))
        self.assertIn(limit, (2, 3, 4))
        self.assertEqual(served, limit)


if __name__ == "__main__":
    unittest.main()
