"""--header NAME:VALUE: default response headers on every response (the app's, the server's own
error answers, the WebSocket handshake), after date and server and before the app's; a
configured server header replaces the default one; a malformed one is one line and exit 3."""

import subprocess
import unittest

from support import Reader, Server, request, server_binary
from ws_frames import WsClient


def raw_head(server, path, method="GET"):
    """The response head's header lines, in order, as sent."""
    with Reader(server.connect()) as r:
        r.send(request(method, path))
        response = r.read_response()
    return [(n.lower(), v) for n, v in response.headers]


class DefaultHeaders(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("crab_app", "--header", "X-Frame-Options: DENY",
                            "--header", "Server: custom", "--header", "x-two:a:b").start()

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()

    def test_on_app_responses_in_order(self):
        names = [n for n, _ in raw_head(self.server, "/crabs")]
        self.assertEqual(names[:4], ["date", "x-frame-options", "server", "x-two"])
        headers = dict(raw_head(self.server, "/crabs"))
        self.assertEqual(headers["x-frame-options"], "DENY")
        self.assertEqual(headers["server"], "custom")  # replaced, not doubled
        self.assertEqual(headers["x-two"], "a:b")      # split at the first ':' only
        self.assertEqual(names.count("server"), 1)

    def test_on_the_servers_own_error_answers(self):
        with Reader(self.server.connect()) as r:
            r.send(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")
            response = r.read_response()
        self.assertEqual(response.status, 400)
        self.assertEqual(dict((n.lower(), v) for n, v in response.headers)["x-frame-options"], "DENY")

    def test_on_the_websocket_handshake(self):
        with WsClient.open(self.server.port, "/ws/tank") as client:
            self.assertEqual(client.response.status, 101)
            headers = dict((n.lower(), v) for n, v in client.response.headers)
            self.assertEqual(headers["x-frame-options"], "DENY")

    def test_malformed_is_refused(self):
        for value in ("no-colon", "bad name: x", "x: a\x01b"):
            with self.subTest(value=value):
                proc = subprocess.run([server_binary(), "--app", "hello", "--header", value],
                                      stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
                self.assertEqual(proc.returncode, 3)
                self.assertEqual(len(proc.stderr.decode().splitlines()), 1, proc.stderr)


if __name__ == "__main__":
    unittest.main()
