"""--log-format json: every line the server writes, startup to shutdown, server messages and access
lines alike, is one JSON object with time, level, logger and message; access lines add their
fields. --use-colors / --no-use-colors, automatic by default (off when not a terminal)."""

import json
import re
import signal
import socket
import subprocess
import unittest

from support import Reader, Server, request, server_binary
from ws_frames import WsClient

ANSI = re.compile(r"\x1b\[\d+m")


class JsonLogTest(unittest.TestCase):
    def test_every_line_is_a_json_object(self):
        server = Server("crab_app", "--log-format", "json")
        self.addCleanup(server.kill)
        server.start()
        with Reader(server.connect()) as reader:
            reader.send(request("GET", "/crabs?limit=2",
                                [("User-Agent", "crab/1"), ("X-Request-Id", "req-7")]))
            self.assertEqual(reader.read_response().status, 200)
            reader.send(request("GET", "/nope", [("Connection", "close")]))
            self.assertEqual(reader.read_response().status, 404)
        ws = WsClient.open(server.port, "/ws/tank")
        self.assertEqual(ws.response.status, 101)
        ws.close()
        server.wait_for_stdout(r"/nope", 3)
        server.signal(signal.SIGINT)
        self.assertEqual(server.wait(20), 0)
        lines = server.stderr_lines() + server.stdout_lines()
        self.assertGreater(len(lines), 6)
        objects = []
        for line in lines:
            try:
                objects.append(json.loads(line))
            except ValueError:
                self.fail("not JSON: %r" % line)
        for obj in objects:
            self.assertRegex(obj["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertIn(obj["level"], ("debug", "info", "warning", "error", "critical"))
            self.assertIn(obj["logger"], ("asgiserver.error", "asgiserver.access"))
            self.assertIsInstance(obj["message"], str)
        messages = [o["message"] for o in objects]
        self.assertIn("Application startup complete.", messages)
        self.assertTrue(any(m.startswith("Finished server process") for m in messages))
        access = [o for o in objects if o["logger"] == "asgiserver.access"]
        crabs = next(o for o in access if o.get("path") == "/crabs")
        self.assertEqual((crabs["method"], crabs["query"], crabs["status"], crabs["http_version"]),
                         ("GET", "limit=2", 200, "1.1"))
        self.assertEqual((crabs["user_agent"], crabs["request_id"]), ("crab/1", "req-7"))
        self.assertGreater(crabs["bytes"], 10)
        self.assertIsInstance(crabs["duration_ms"], float)
        self.assertRegex(crabs["client"], r"^127\.0\.0\.1:\d+$")
        self.assertIn('"GET /crabs?limit=2 HTTP/1.1" 200 OK', crabs["message"])
        nope = next(o for o in access if o.get("path") == "/nope")
        self.assertEqual((nope["status"], nope["user_agent"], nope["request_id"]), (404, None, None))
        self.assertTrue(any(o.get("websocket") == "/ws/tank" for o in access), access)

    def test_startup_failure_is_one_json_line(self):
        result = subprocess.run([server_binary(), "--app", "no_such_app", "--log-format", "json"],
                                capture_output=True, text=True, timeout=20)
        self.assertEqual(result.returncode, 3)
        lines = [l for l in result.stderr.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, lines)
        obj = json.loads(lines[0])
        self.assertEqual(obj["level"], "error")
        self.assertIn("no_such_app", obj["message"])


class TraceTest(unittest.TestCase):
    def test_trace_shows_connections_and_every_message_without_bodies(self):
        server = Server("echo", "--log-level", "trace")
        self.addCleanup(server.kill)
        server.start()
        with Reader(server.connect()) as reader:
            reader.send(request("POST", "/x", [("Connection", "close")], body=b"secret-body-123"))
            self.assertEqual(reader.read_response().body, b"secret-body-123")
        self.assertIsNotNone(server.wait_for_stderr(r"Connection lost", 3))
        text = server.stderr_text()
        for pattern in (r"TRACE: +127\.0\.0\.1:\d+ - Connection made",
                        r"TRACE: +ASGI \[(\d+)\] Started http POST /x",
                        r"ASGI \[\d+\] Receive http\.request body=<15 bytes> more_body=false",
                        r"ASGI \[\d+\] Send http\.response\.start status=200 headers=\d+",
                        r"ASGI \[\d+\] Send http\.response\.body body=<15 bytes>",
                        r"ASGI \[\d+\] Completed",
                        r"TRACE: +127\.0\.0\.1:\d+ - Connection lost"):
            self.assertRegex(text, pattern)
        self.assertNotIn("secret-body-123", text)

    def test_info_level_shows_no_trace(self):
        server = Server("echo")
        self.addCleanup(server.kill)
        server.start()
        with Reader(server.connect()) as reader:
            reader.send(request("POST", "/x", [("Connection", "close")], body=b"abc"))
            reader.read_response()
        server.wait_for_stdout("POST /x", 3)
        self.assertNotIn("TRACE", server.stderr_text())


class StalledOutputTest(unittest.TestCase):
    def start_with_stdout_pipe(self):
        """A server whose stdout is a pipe this test controls; its port, from the banner."""
        proc = subprocess.Popen([server_binary(), "--app", "hello", "--port", "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)
        self.addCleanup(proc.wait)
        self.addCleanup(proc.kill)
        for line in iter(proc.stderr.readline, b""):
            match = re.search(rb"running on http://127\.0\.0\.1:(\d+)", line)
            if match:
                return proc, int(match.group(1))
        self.fail("no banner")

    def assert_serves(self, port, requests):
        with Reader(socket.create_connection(("127.0.0.1", port), timeout=5)) as reader:
            for _ in range(requests):
                reader.send(request("GET", "/"))
                self.assertEqual(reader.read_response().status, 200)

    def test_a_stalled_stdout_reader_never_stops_serving(self):
        # stdout is a pipe nobody reads: it is full after about a thousand access lines.
        proc, port = self.start_with_stdout_pipe()
        self.assert_serves(port, 5000)

    def test_a_closed_stdout_never_stops_serving(self):
        proc, port = self.start_with_stdout_pipe()
        proc.stdout.close()  # the log reader went away: writes now fail with EPIPE
        self.assert_serves(port, 2000)
        self.assertIsNone(proc.poll())


class ColorTest(unittest.TestCase):
    def lines(self, *args):
        server = Server("hello", *args)
        self.addCleanup(server.kill)
        server.start()
        with Reader(server.connect()) as reader:
            reader.send(request("GET", "/", [("Connection", "close")]))
            reader.read_response()
        server.wait_for_stdout("GET /", 3)
        return server.stderr_text(), server.stdout_text()

    def test_automatic_is_off_when_not_a_terminal(self):
        errors, access = self.lines()
        self.assertNotRegex(errors + access, ANSI)

    def test_use_colors_colors_the_level_names(self):
        errors, access = self.lines("--use-colors")
        self.assertIn("\x1b[32mINFO\x1b[0m:     Started server process", errors)
        self.assertRegex(access, r"\x1b\[32mINFO\x1b\[0m:     127\.0\.0\.1:\d+ - \"GET / ")

    def test_no_use_colors(self):
        errors, access = self.lines("--use-colors", "--no-use-colors")
        self.assertNotRegex(errors + access, ANSI)


if __name__ == "__main__":
    unittest.main()
