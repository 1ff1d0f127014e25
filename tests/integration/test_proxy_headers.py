"""Proxy headers: a trusted peer's Forwarded (RFC 7239) or X-Forwarded-For/-Proto/-Host set the
scope's client, scheme and Host header and the access log's client; an untrusted peer's change
nothing; --no-proxy-headers turns it off; a bad trust list is one line and exit 3."""

import json
import os
import re
import subprocess
import tempfile
import unittest

from support import (HOST, Reader, Server, ServerTestCase, request, server_binary)
from test_uds import UdsServer
from ws_frames import WsClient


def scope_of(server, headers, path="/scope"):
    with Reader(server.connect()) as reader:
        reader.send(request("GET", path, headers))
        response = reader.read_response()
        assert response.status == 200, response.raw
        name = reader.sock.getsockname()
        return json.loads(response.body), name[1] if isinstance(name, tuple) else None


class TrustedLoopbackTest(ServerTestCase):
    """Default trust list: 127.0.0.1, ::1 and UNIX-socket peers; the tests connect from 127.0.0.1."""

    APP = "inspect"

    def scope(self, headers, path="/scope"):
        return scope_of(self.server, headers, path)[0]

    def test_uvicorn_example(self):
        scope = self.scope([("X-Forwarded-For", "203.0.113.7, 10.0.0.2"),
                            ("X-Forwarded-Proto", "https")])
        # 10.0.0.2 is not trusted, so it is the client (as Uvicorn: port 0).
        self.assertEqual(scope["client"], ["10.0.0.2", 0])
        self.assertEqual(scope["scheme"], "https")

    def test_port_and_ipv6_entries(self):
        self.assertEqual(self.scope([("X-Forwarded-For", "203.0.113.7:4444")])["client"],
                         ["203.0.113.7", 4444])
        self.assertEqual(self.scope([("X-Forwarded-For", "[2001:db8::1]:443")])["client"],
                         ["2001:db8::1", 443])

    def test_forwarded_header_with_host(self):
        scope = self.scope([("Forwarded", 'for="[2001:db8:cafe::17]:4711";proto=https;'
                                          'host=shop.example')])
        self.assertEqual(scope["client"], ["2001:db8:cafe::17", 4711])
        self.assertEqual(scope["scheme"], "https")
        self.assertIn(["host", "shop.example"], scope["headers"])
        self.assertNotIn(["host", "localhost"], scope["headers"])

    def test_x_forwarded_host(self):
        scope = self.scope([("X-Forwarded-Host", "shop.example:8443")])
        self.assertIn(["host", "shop.example:8443"], scope["headers"])
        # A value that is no host is not applied.
        scope = self.scope([("X-Forwarded-Host", "evil.example/x y")])
        self.assertIn(["host", "localhost"], scope["headers"])

    def test_malformed_forwarded_applies_nothing(self):
        scope, port = scope_of(self.server, [("Forwarded", 'for="unterminated'),
                                             ("X-Forwarded-For", "198.51.100.9"),
                                             ("X-Forwarded-Proto", "https")])
        self.assertEqual(scope["client"], [HOST, port])
        self.assertEqual(scope["scheme"], "http")

    def test_junk_proto_ignored(self):
        self.assertEqual(self.scope([("X-Forwarded-Proto", "gopher")])["scheme"], "http")

    def test_access_log_shows_forwarded_client(self):
        mark = self.server.stdout_mark()
        self.scope([("X-Forwarded-For", "198.51.100.23")], path="/logged")
        line = self.server.wait_for_stdout(r'"GET /logged HTTP/1.1" 200', 3, start=mark)
        self.assertIsNotNone(line, self.server.stdout_text())
        self.assertRegex(line, r"198\.51\.100\.23:0 - ")

    def test_next_request_on_the_connection_is_not_forwarded(self):
        with Reader(self.connect()) as reader:
            reader.send(request("GET", "/a", [("X-Forwarded-For", "198.51.100.1")]))
            first = json.loads(reader.read_response().body)
            reader.send(request("GET", "/b"))
            second = json.loads(reader.read_response().body)
            port = reader.sock.getsockname()[1]
        self.assertEqual(first["client"], ["198.51.100.1", 0])
        self.assertEqual(second["client"], [HOST, port])

    def test_websocket_scheme_becomes_wss(self):
        client = WsClient.open(self.server.port, "/ws",
                               headers=[("X-Forwarded-Proto", "https"),
                                        ("X-Forwarded-For", "198.51.100.7")])
        with client:
            self.assertEqual(client.response.status, 101)
            scope = json.loads(client.read_message()[1])
        self.assertEqual(scope["type"], "websocket")
        self.assertEqual(scope["scheme"], "wss")
        self.assertEqual(scope["client"], ["198.51.100.7", 0])


class UntrustedPeerTest(ServerTestCase):
    """The loopback peer is not in the list: its headers are ignored, all of them."""

    APP = "inspect"
    ARGS = ("--forwarded-allow-ips", "10.0.0.1, 192.168.0.0/16")

    def test_headers_ignored(self):
        scope, port = scope_of(self.server, [("X-Forwarded-For", "203.0.113.7"),
                                             ("X-Forwarded-Proto", "https"),
                                             ("X-Forwarded-Host", "shop.example"),
                                             ("Forwarded", "for=198.51.100.1;proto=https")])
        self.assertEqual(scope["client"], [HOST, port])
        self.assertEqual(scope["scheme"], "http")
        self.assertIn(["host", "localhost"], scope["headers"])


class NetworkTrustTest(ServerTestCase):
    """A CIDR network in the list: every hop inside it is skipped, right to left."""

    APP = "inspect"
    ARGS = ("--forwarded-allow-ips", "127.0.0.0/8,10.0.0.0/8")

    def test_walks_past_trusted_hops(self):
        scope, _ = scope_of(self.server, [("X-Forwarded-For",
                                           "198.51.100.1, 203.0.113.9, 10.1.2.3, 10.0.0.2")])
        self.assertEqual(scope["client"], ["203.0.113.9", 0])


class ProxyHeadersOffTest(ServerTestCase):
    APP = "inspect"
    ARGS = ("--no-proxy-headers",)

    def test_headers_ignored(self):
        scope, port = scope_of(self.server, [("X-Forwarded-For", "203.0.113.7"),
                                             ("X-Forwarded-Proto", "https")])
        self.assertEqual(scope["client"], [HOST, port])
        self.assertEqual(scope["scheme"], "http")


class TrustListOptionTest(unittest.TestCase):
    def run_server(self, *args, env=None):
        environment = dict(os.environ)
        environment.pop("FORWARDED_ALLOW_IPS", None)
        environment.update(env or {})
        return subprocess.run([server_binary(), "--app", "hello", "--port", "0", *args],
                              capture_output=True, text=True, timeout=20, env=environment)

    def test_bad_network_is_one_line_and_exit_3(self):
        result = self.run_server("--forwarded-allow-ips", "127.0.0.1,10.0.0.0/33")
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn("10.0.0.0/33", result.stderr)

    def test_bad_environment_value_is_one_line_and_exit_3(self):
        result = self.run_server(env={"FORWARDED_ALLOW_IPS": "1.2.3/8"})
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn("FORWARDED_ALLOW_IPS", result.stderr)

    def test_environment_sets_the_default(self):
        old = os.environ.get("FORWARDED_ALLOW_IPS")
        os.environ["FORWARDED_ALLOW_IPS"] = "10.9.9.9"
        try:
            server = Server("inspect")
            self.addCleanup(server.kill)
            server.start()
        finally:
            if old is None:
                del os.environ["FORWARDED_ALLOW_IPS"]
            else:
                os.environ["FORWARDED_ALLOW_IPS"] = old
        scope, port = scope_of(server, [("X-Forwarded-For", "203.0.113.7")])
        self.assertEqual(scope["client"], [HOST, port])  # 127.0.0.1 is no longer trusted

    def test_help_shows_default(self):
        result = self.run_server("--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn("--forwarded-allow-ips", result.stdout)
        self.assertIn("127.0.0.1,::1,unix:", result.stdout)
        self.assertIn("--no-proxy-headers", result.stdout)


class UnixSocketPeerTest(unittest.TestCase):
    """A proxy on a UNIX socket (nginx's usual upstream) is trusted by default."""

    def test_forwarded_for_applies(self):
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        server = UdsServer("inspect", os.path.join(directory.name, "s.sock"))
        self.addCleanup(server.kill)
        server.start()
        scope, _ = scope_of(server, [("X-Forwarded-For", "198.51.100.4"),
                                     ("X-Forwarded-Proto", "https")])
        self.assertEqual(scope["client"], ["198.51.100.4", 0])
        self.assertEqual(scope["scheme"], "https")


if __name__ == "__main__":
    unittest.main()
