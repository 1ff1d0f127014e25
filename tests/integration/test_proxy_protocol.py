"""--proxy-protocol: each connection starts with a PROXY protocol v1 or v2 header; a trusted
peer's header sets the scope's client and server (and the access log's client), an untrusted
peer's is read and ignored, a missing, malformed or stalled one closes the connection with one
log line. The header is taken off the socket exactly, so TLS after it still works."""

import json
import shutil
import socket
import ssl
import struct
import tempfile
import time
import unittest

from support import HOST, IO_TIMEOUT, Reader, Server, request
from test_tls import TlsServer, make_pki


def v2_header(command=1, family=0x11, source=("192.0.2.10", 56324),
              destination=("198.51.100.1", 443), tlvs=b""):
    if family == 0x11:
        block = (socket.inet_pton(socket.AF_INET, source[0]) +
                 socket.inet_pton(socket.AF_INET, destination[0]) +
                 struct.pack("!HH", source[1], destination[1]))
    elif family == 0x21:
        block = (socket.inet_pton(socket.AF_INET6, source[0]) +
                 socket.inet_pton(socket.AF_INET6, destination[0]) +
                 struct.pack("!HH", source[1], destination[1]))
    else:
        block = b""
    block += tlvs
    return (b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x20 | command, family]) +
            struct.pack("!H", len(block)) + block)


class ProxyProtocolTest(unittest.TestCase):
    def start(self, *args, app="inspect"):
        server = Server(app, "--proxy-protocol", *args)
        self.addCleanup(server.kill)
        server.start()
        return server

    def scope_after(self, server, header, headers=()):
        with Reader(server.connect()) as reader:
            reader.send(header + request("GET", "/", [("Connection", "close"), *headers]))
            response = reader.read_response()
        self.assertEqual(response.status, 200, response.raw)
        return json.loads(response.body)

    def test_v1_from_a_trusted_peer_sets_client_and_server(self):
        server = self.start()
        scope = self.scope_after(server, b"PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\r\n")
        self.assertEqual(scope["client"], ["192.0.2.10", 56324])
        self.assertEqual(scope["server"], ["198.51.100.1", 443])
        self.assertIsNotNone(server.wait_for_stdout(r'^INFO: +192\.0\.2\.10:56324 - "GET / '))

    def test_v1_tcp6_and_unknown(self):
        server = self.start()
        scope = self.scope_after(server, b"PROXY TCP6 2001:db8::1 2001:db8::2 4000 80\r\n")
        self.assertEqual(scope["client"], ["2001:db8::1", 4000])
        scope = self.scope_after(server, b"PROXY UNKNOWN\r\n")
        self.assertEqual(scope["client"][0], "127.0.0.1")

    def test_v2_ipv4_ipv6_local_and_tlvs(self):
        server = self.start()
        scope = self.scope_after(server, v2_header(tlvs=b"\x04\x00\x02ok"))
        self.assertEqual(scope["client"], ["192.0.2.10", 56324])
        self.assertEqual(scope["server"], ["198.51.100.1", 443])
        scope = self.scope_after(server, v2_header(family=0x21, source=("2001:db8::7", 1),
                                                   destination=("::1", 8000)))
        self.assertEqual(scope["client"], ["2001:db8::7", 1])
        scope = self.scope_after(server, v2_header(command=0, family=0))  # LOCAL: a health check
        self.assertEqual(scope["client"][0], "127.0.0.1")

    def test_keep_alive_reads_the_header_once(self):
        server = self.start()
        with Reader(server.connect()) as reader:
            reader.send(b"PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\r\n" + request("GET", "/a"))
            first = json.loads(reader.read_response().body)
            reader.send(request("GET", "/b", [("Connection", "close")]))
            second = json.loads(reader.read_response().body)
        self.assertEqual(first["client"], second["client"])
        self.assertEqual(second["path"], "/b")

    def test_header_arriving_in_pieces(self):
        server = self.start()
        header = v2_header()
        with Reader(server.connect()) as reader:
            for piece in (header[:5], header[5:14], header[14:20], header[20:]):
                reader.send(piece)
                time.sleep(0.05)
            reader.send(request("GET", "/", [("Connection", "close")]))
            scope = json.loads(reader.read_response().body)
        self.assertEqual(scope["client"], ["192.0.2.10", 56324])

    def test_untrusted_peer_header_is_read_and_ignored(self):
        server = self.start("--forwarded-allow-ips", "10.0.0.1")
        scope = self.scope_after(server, b"PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\r\n")
        self.assertEqual(scope["client"][0], "127.0.0.1")
        self.assertEqual(scope["path"], "/")

    def test_proxy_headers_then_count_only_if_the_client_is_trusted(self):
        server = self.start()
        scope = self.scope_after(server, b"PROXY TCP4 203.0.113.7 198.51.100.1 5000 80\r\n",
                                 [("X-Forwarded-For", "1.1.1.1"), ("X-Forwarded-Proto", "https")])
        self.assertEqual(scope["client"], ["203.0.113.7", 5000])
        self.assertEqual(scope["scheme"], "http")

    def assert_closed_with_a_warning(self, server, data, pattern):
        mark = server.stderr_mark()
        with Reader(server.connect()) as reader:
            reader.send(data)
            reader.assert_closed()
        self.assertIsNotNone(server.wait_for_stderr(pattern, 5, mark), server.stderr_text())

    def test_missing_header_closes_without_an_answer(self):
        server = self.start()
        self.assert_closed_with_a_warning(server, request("GET", "/"),
                                          r"Invalid PROXY protocol header from 127\.0\.0\.1:\d+: "
                                          r"not a PROXY protocol header; closing")

    def test_malformed_headers_close(self):
        server = self.start()
        for data in (b"PROXY TCP4 1.2.3.4 5.6.7.8 99999 1\r\n", b"PROXY TCP9 a b c d\r\n",
                     b"PROXY " + b"x" * 120, v2_header()[:12] + b"\x13\x11\x00\x0c" + b"\0" * 12):
            self.assert_closed_with_a_warning(server, data + request("GET", "/"),
                                              "Invalid PROXY protocol header")
        self.assertEqual(self.scope_after(server, b"PROXY UNKNOWN\r\n")["path"], "/")

    def test_stalled_header_is_bounded_by_the_header_timeout(self):
        server = self.start("--timeout-request-header", "1")
        started = time.monotonic()
        self.assert_closed_with_a_warning(server, b"PROXY TCP4 1.2.3.4",
                                          "no complete header in time")
        self.assertLess(time.monotonic() - started, 3)

    def test_tls_after_the_header(self):
        pki = tempfile.mkdtemp(prefix="asgi-pp-")
        self.addCleanup(shutil.rmtree, pki, True)
        make_pki(pki)
        server = TlsServer("inspect", "--proxy-protocol", "--ssl-certfile", pki + "/chain.pem",
                           "--ssl-keyfile", pki + "/server.key")
        self.addCleanup(server.kill)
        server.start()
        raw = socket.create_connection((HOST, server.port), timeout=IO_TIMEOUT)
        raw.sendall(b"PROXY TCP4 192.0.2.10 198.51.100.1 56324 443\r\n")
        context = ssl.create_default_context(cafile=pki + "/ca.pem")
        with Reader(context.wrap_socket(raw, server_hostname="127.0.0.1")) as reader:
            reader.send(request("GET", "/", [("Connection", "close")]))
            scope = json.loads(reader.read_response().body)
        self.assertEqual(scope["client"], ["192.0.2.10", 56324])
        self.assertEqual(scope["scheme"], "https")


if __name__ == "__main__":
    unittest.main()
