"""Serving on a UNIX-domain socket (--uds): HTTP and WebSocket over the socket file, the scope's
addresses as ASGI 2.2 puts them, the file's mode, its removal on exit, and the refusal to take
over a socket a live server still answers on."""

import json
import os
import re
import socket
import stat
import subprocess
import tempfile
import unittest

from support import IO_TIMEOUT, STARTUP_TIMEOUT, Reader, Server, request
from ws_frames import OP_TEXT, WsClient, handshake_request, new_key

class UdsServer(Server):
    """A Server listening on `path` instead of host and port."""

    def __init__(self, app, path, *args):
        super().__init__(app, "--uds", path, *args)
        self.path = path

    BANNER = re.compile(r"asgiserver running on unix socket (\S+) \(Press CTRL\+C to quit\)")

    def on_banner(self, match):
        assert match.group(1) == self.path, match.group(0)

    def connect(self, timeout=IO_TIMEOUT):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(self.path)
        return sock


class UdsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.path = os.path.join(self.dir.name, "asgi.sock")

    def start(self, app, *args):
        server = UdsServer(app, self.path, *args)
        self.addCleanup(server.kill)
        return server.start()

    def test_http_scope_addresses(self):
        server = self.start("inspect")
        with Reader(server.connect()) as reader:
            reader.send(request("GET", "/scope?x=1"))
            response = reader.read_response()
        self.assertEqual(response.status, 200)
        scope = json.loads(response.body)
        self.assertEqual(scope["server"], [self.path, None])
        self.assertIsNone(scope["client"])
        self.assertEqual(scope["path"], "/scope")
        self.assertEqual(scope["query_string"], "x=1")
        # No client address on a UNIX socket: the access line starts with " - " (as Uvicorn's).
        line = server.wait_for_stdout('"GET /scope\\?x=1 HTTP/1.1" 200 OK')
        self.assertIsNotNone(line, server.stdout_text())
        self.assertRegex(line, r'^(INFO: +)? - "GET')

    def test_keep_alive_and_pipelining(self):
        server = self.start("hello")
        with Reader(server.connect()) as reader:
            reader.send(request("GET", "/a") + request("GET", "/b"))
            first, second = reader.read_response(), reader.read_response()
            reader.send(request("GET", "/c"))
            third = reader.read_response()
        for response in (first, second, third):
            self.assertEqual(response.status, 200)
            self.assertEqual(response.body, b"Hello, world!")

    def test_websocket_echo(self):
        server = self.start("echo")
        client = WsClient(server.connect())
        with client:
            key = new_key()
            client.sock.sendall(handshake_request("/ws", key=key))
            client.response = client.reader.read_response()
            self.assertEqual(client.response.status, 101)
            client.send_text("over a unix socket")
            reply = client.read_frame()
            self.assertEqual(reply.opcode, OP_TEXT)
            self.assertEqual(reply.payload, b"over a unix socket")

    def test_file_mode_and_removal(self):
        server = self.start("hello")
        self.assertTrue(stat.S_ISSOCK(os.stat(self.path).st_mode))
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o666)
        server.stop()
        self.assertEqual(server.proc.returncode, 0)
        self.assertFalse(os.path.exists(self.path))

    def test_uds_mode_option(self):
        self.start("hello", "--uds-mode", "600")
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o600)

    def test_stale_socket_file_is_replaced(self):
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(self.path)  # bound but never listening: what a crashed server leaves
        stale.close()
        server = self.start("hello")
        with Reader(server.connect()) as reader:
            reader.send(request("GET", "/"))
            self.assertEqual(reader.read_response().status, 200)

    def test_live_socket_is_not_taken_over(self):
        self.start("hello")
        result = subprocess.run(UdsServer("hello", self.path).argv, stdin=subprocess.DEVNULL, capture_output=True,
                                timeout=STARTUP_TIMEOUT)
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn(b"a server is listening on it", result.stderr)
        self.assertTrue(os.path.exists(self.path))  # the first server's file is left alone

    def test_bad_uds_mode_is_a_usage_error(self):
        argv = UdsServer("hello", self.path, "--uds-mode", "999").argv
        result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                timeout=STARTUP_TIMEOUT)
        self.assertEqual(result.returncode, 3)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)


if __name__ == "__main__":
    unittest.main()
