"""--metrics-bind: /metrics in the Prometheus text format counting what was really served (requests
by method and status, durations, body bytes, open connections by protocol, WebSocket messages,
event-loop lag per loop), /healthz and /readyz on a listener apart from the app's, /readyz
following startup and the drain. A bad address is exit 3."""

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import unittest

from support import HOST, Reader, Server, free_port, request, server_binary, testing_binary
from ws_frames import WsClient

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+Inf]+|NaN)$')


def http_get(port, path):
    with Reader(socket.create_connection((HOST, port), timeout=5)) as reader:
        reader.send(request("GET", path, [("Connection", "close")]))
        return reader.read_response()


def parse_metrics(text):
    """{(name, labels-text): value}; fails on any line that is not a comment or a sample."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        match = SAMPLE.match(line)
        assert match, "not Prometheus text: %r" % line
        samples[(match.group(1), match.group(2) or "")] = float(match.group(3))
    return samples


class MetricsTest(unittest.TestCase):
    def start(self, app="crab_app", *args, binary=None):
        self.metrics_port = free_port()
        server = Server(app, "--metrics-bind", "%s:%d" % (HOST, self.metrics_port), *args,
                        binary=binary)
        self.addCleanup(server.kill)
        server.start()
        return server

    def metrics_when(self, key, value, timeout=5):
        """The metrics once `key` reached `value`: a request is counted when its exchange ends,
        a moment after the client has read the response."""
        deadline = time.monotonic() + timeout
        m = self.metrics()
        while m.get(key) != value and time.monotonic() < deadline:
            time.sleep(0.02)
            m = self.metrics()
        return m

    def metrics(self):
        response = http_get(self.metrics_port, "/metrics")
        self.assertEqual(response.status, 200)
        self.assertTrue(response.header("content-type").startswith("text/plain; version=0.0.4"))
        return parse_metrics(response.body.decode())

    def test_counts_what_was_served(self):
        server = self.start()
        before = self.metrics()
        self.assertEqual(before.get(("asgiserver_requests_total", '{method="GET",status="200"}')),
                         None)
        for _ in range(3):
            self.assertEqual(http_get(server.port, "/crabs").status, 200)
        self.assertEqual(http_get(server.port, "/nope").status, 404)
        with Reader(server.connect()) as reader:
            body = json.dumps({"name": "Pinchy", "species": "Cancer pagurus"}).encode()
            reader.send(request("POST", "/crabs", [("Content-Type", "application/json"),
                                                   ("Connection", "close")], body=body))
            self.assertEqual(reader.read_response().status, 201)
        m = self.metrics_when(("asgiserver_request_duration_seconds_count", ""), 5)
        self.assertEqual(m[("asgiserver_requests_total", '{method="GET",status="200"}')], 3)
        self.assertEqual(m[("asgiserver_requests_total", '{method="GET",status="404"}')], 1)
        self.assertEqual(m[("asgiserver_requests_total", '{method="POST",status="201"}')], 1)
        self.assertEqual(m[("asgiserver_request_duration_seconds_count", "")], 5)
        self.assertEqual(m[("asgiserver_request_duration_seconds_bucket", '{le="+Inf"}')], 5)
        self.assertEqual(m[("asgiserver_request_body_bytes_total", "")], len(body))
        self.assertGreater(m[("asgiserver_response_body_bytes_total", "")], 100)
        self.assertEqual(m[("asgiserver_requests_in_flight", "")], 0)
        time.sleep(0.3)  # a few heartbeats
        m = self.metrics()
        self.assertGreater(m[("asgiserver_event_loop_lag_seconds_count", '{loop="1"}')], 0)
        # The app's own paths are untouched: /metrics there is the app's 404.
        self.assertEqual(http_get(server.port, "/metrics").status, 404)
        # Probes and scrapes make no access lines.
        self.assertIsNotNone(server.wait_for_stdout(r'"GET /metrics HTTP/1\.1" 404', 3))
        self.assertNotRegex(server.stdout_text(), r'"GET /(healthz|readyz|metrics) HTTP/1\.1" 200')

    def test_open_connections_and_websocket_messages(self):
        server = self.start()
        idle = Reader(server.connect())
        self.addCleanup(idle.sock.close)
        idle.send(request("GET", "/crabs"))
        idle.read_response()
        ws = WsClient.open(server.port, "/ws/tank")
        self.addCleanup(ws.close)
        self.assertEqual(ws.response.status, 101)
        ws.read_message()  # a tank state
        ws.send_text(json.dumps({"type": "drop", "x": 10, "y": 10}))
        time.sleep(0.3)
        m = self.metrics()
        self.assertEqual(m[("asgiserver_connections_open", '{protocol="http"}')], 1)
        self.assertEqual(m[("asgiserver_connections_open", '{protocol="websocket"}')], 1)
        self.assertEqual(m[("asgiserver_websocket_messages_total", '{direction="in"}')], 1)
        self.assertGreater(m[("asgiserver_websocket_messages_total", '{direction="out"}')], 0)
        ws.close()
        idle.sock.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            m = self.metrics()
            if m[("asgiserver_connections_open", '{protocol="websocket"}')] == 0 and \
                    m[("asgiserver_connections_open", '{protocol="http"}')] == 0:
                break
            time.sleep(0.1)
        self.assertEqual(m[("asgiserver_connections_open", '{protocol="http"}')], 0)
        self.assertEqual(m[("asgiserver_connections_open", '{protocol="websocket"}')], 0)

    def test_lag_per_loop(self):
        self.start("hello", "--threads", "2")
        time.sleep(0.3)
        m = self.metrics()
        self.assertIn(("asgiserver_event_loop_lag_seconds_count", '{loop="1"}'), m)
        self.assertIn(("asgiserver_event_loop_lag_seconds_count", '{loop="2"}'), m)

    def test_readyz_follows_startup(self):
        # Not through Server.start(): it waits for the banner, which follows the startup.
        self.metrics_port = free_port()
        proc = subprocess.Popen([testing_binary(), "--app", "lifespan_slow_startup", "--port", "0",
                                 "--metrics-bind", "%s:%d" % (HOST, self.metrics_port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(proc.wait)
        self.addCleanup(proc.kill)
        deadline = time.monotonic() + 5
        healthy = None
        while time.monotonic() < deadline:
            try:
                healthy = http_get(self.metrics_port, "/healthz").status
                break
            except OSError:
                time.sleep(0.02)
        self.assertEqual(healthy, 200)
        # During the one-second lifespan startup: alive, not ready.
        response = http_get(self.metrics_port, "/readyz")
        self.assertEqual((response.status, response.body), (503, b"starting\n"))
        while http_get(self.metrics_port, "/readyz").status != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(http_get(self.metrics_port, "/readyz").status, 200)

    def test_readyz_is_503_while_draining(self):
        server = self.start("crab_app", "--timeout-graceful-shutdown", "10")
        slow = Reader(server.connect(timeout=10))
        self.addCleanup(slow.sock.close)
        slow.send(request("GET", "/slow?seconds=1.5", [("Connection", "close")]))
        time.sleep(0.3)
        server.signal(signal.SIGTERM)
        time.sleep(0.3)
        response = http_get(self.metrics_port, "/readyz")
        self.assertEqual((response.status, response.body), (503, b"draining\n"))
        self.assertEqual(http_get(self.metrics_port, "/healthz").status, 200)
        self.assertEqual(slow.read_response().status, 200)
        self.assertEqual(server.wait(15), 0)

    def test_worker_processes_are_summed_and_a_dead_ones_counts_kept(self):
        server = self.start("hello", "--workers", "2")
        ready = re.compile(r"Worker \[(\d+)\] is ready")
        deadline = time.monotonic() + 10
        while len([l for l in server.stderr_lines() if ready.search(l)]) < 2:
            self.assertLess(time.monotonic(), deadline, server.stderr_text())
            time.sleep(0.05)
        self.assertEqual(http_get(self.metrics_port, "/readyz").status, 200)
        for _ in range(20):
            self.assertEqual(http_get(server.port, "/").status, 200)
        time.sleep(0.3)  # a few heartbeats in each loop
        m = self.metrics_when(("asgiserver_requests_total", '{method="GET",status="200"}'), 20)
        self.assertEqual(m[("asgiserver_requests_total", '{method="GET",status="200"}')], 20)
        self.assertEqual(len([k for k in m if k[0] == "asgiserver_event_loop_lag_seconds_count"]), 2)
        victim = int(ready.search(next(l for l in server.stderr_lines() if ready.search(l))).group(1))
        os.kill(victim, signal.SIGKILL)
        server.wait_for_stderr(r"Worker \[%d\] was killed" % victim, 5)
        for _ in range(5):
            self.assertEqual(http_get(server.port, "/").status, 200)
        m = self.metrics_when(("asgiserver_requests_total", '{method="GET",status="200"}'), 25)
        self.assertEqual(m[("asgiserver_requests_total", '{method="GET",status="200"}')], 25)
        self.assertEqual(m[("asgiserver_request_duration_seconds_count", "")], 25)

    def test_bad_address_is_exit_3(self):
        for args in (["--metrics-bind", "nonsense"], ["--metrics-bind", "unix:/tmp/x.sock"]):
            result = subprocess.run([server_binary(), "--app", "hello", *args],
                                    capture_output=True, text=True, timeout=20)
            self.assertEqual(result.returncode, 3, args)
            self.assertEqual(len([l for l in result.stderr.splitlines() if l.strip()]), 1,
                             result.stderr)


if __name__ == "__main__":
    unittest.main()
