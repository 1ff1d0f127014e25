"""TLS (--ssl-*): HTTPS and WSS with certificates made at test time with the openssl CLI; the ASGI
`tls` extension's contents; mutual TLS accepted and refused; the handshake bounded by the header
timeout; plain HTTP on the TLS port answered 400; bad files are one line and exit 3; SIGHUP
re-reads the certificate; large bodies both ways and pathsend over TLS."""

import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from support import HOST, IO_TIMEOUT, Reader, Server, request, testing_binary
from ws_frames import WsClient, handshake_request

HTTPS_BANNER = re.compile(r"asgiserver running on https://127\.0\.0\.1:(\d+) \(Press CTRL\+C")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_pki(directory):
    """A CA; a server certificate for 127.0.0.1 signed by it (chain file: leaf, then CA); a
    client certificate signed by it; a self-signed stranger client; an encrypted key."""
    def run(*args):
        openssl(*args, cwd=directory)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=Test CA")
    with open(os.path.join(directory, "san.ext"), "w") as file:
        file.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, subject in (("server", "/CN=localhost"), ("client", "/O=Crabs/CN=crab client"),
                          ("server2", "/CN=renewed")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out",
            name + ".csr", "-subj", subject)
        run("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", "san.ext")
    with open(os.path.join(directory, "chain.pem"), "w") as chain:
        for name in ("server.pem", "ca.pem"):
            with open(os.path.join(directory, name)) as part:
                chain.write(part.read())
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "stranger.key", "-out",
        "stranger.pem", "-days", "2", "-subj", "/CN=stranger")
    run("pkey", "-in", "server.key", "-out", "server-encrypted.key", "-aes256", "-passout",
        "pass:crab secret")


class TlsServer(Server):
    BANNER = HTTPS_BANNER


class TlsTestBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki = tempfile.mkdtemp(prefix="asgi-tls-")
        cls.addClassCleanup(shutil.rmtree, cls.pki, True)
        make_pki(cls.pki)

    def path(self, name):
        return os.path.join(self.pki, name)

    def start(self, app="inspect", *args, binary=None, cert="chain.pem", key="server.key"):
        server = TlsServer(app, "--ssl-certfile", self.path(cert), "--ssl-keyfile",
                           self.path(key), *args, binary=binary)
        self.addCleanup(server.kill)
        server.start()
        return server

    def client_context(self, cert=None, minimum=None, maximum=None):
        context = ssl.create_default_context(cafile=self.path("ca.pem"))
        if cert:
            context.load_cert_chain(self.path(cert + ".pem"), self.path(cert + ".key"))
        if minimum:
            context.minimum_version = minimum
        if maximum:
            context.maximum_version = maximum
        return context

    def tls_connect(self, server, context=None):
        raw = socket.create_connection((HOST, server.port), timeout=IO_TIMEOUT)
        sock = (context or self.client_context()).wrap_socket(raw, server_hostname="127.0.0.1")
        self.addCleanup(sock.close)
        return sock

    def get(self, server, path="/", context=None, headers=()):
        with Reader(self.tls_connect(server, context)) as reader:
            reader.send(request("GET", path, [("Connection", "close"), *headers]))
            return reader.read_response()


class HttpsTest(TlsTestBase):
    def test_scope_has_https_and_the_tls_extension(self):
        server = self.start()
        response = self.get(server, "/x?y=1")
        self.assertEqual(response.status, 200)
        scope = json.loads(response.body)
        self.assertEqual(scope["scheme"], "https")
        tls = scope["extensions"]["tls"]
        with open(self.path("server.pem")) as file:
            self.assertEqual(tls["server_cert"], file.read())
        self.assertEqual(tls["tls_version"], 0x0304)
        self.assertIsInstance(tls["cipher_suite"], int)
        self.assertIn(tls["cipher_suite"], (0x1301, 0x1302, 0x1303))
        self.assertEqual(tls["client_cert_chain"], [])
        self.assertIsNone(tls["client_cert_name"])
        self.assertIsNone(tls["client_cert_error"])
        self.assertIn("http.response.pathsend", scope["extensions"])
        self.assertIsNotNone(server.wait_for_stdout(r'"GET /x\?y=1 HTTP/1\.1" 200'))

    def test_tls12_client_and_its_cipher_suite(self):
        server = self.start()
        context = self.client_context(maximum=ssl.TLSVersion.TLSv1_2)
        with self.tls_connect(server, context) as sock:
            iana = sock.cipher()[0]
            with Reader(sock) as reader:
                reader.send(request("GET", "/", [("Connection", "close")]))
                tls = json.loads(reader.read_response().body)["extensions"]["tls"]
        self.assertEqual(tls["tls_version"], 0x0303)
        self.assertTrue(iana.startswith("ECDHE") or iana.startswith("DHE"), iana)
        self.assertGreater(tls["cipher_suite"], 0xC000)  # an ECDHE suite's IANA number

    def test_min_version_13_refuses_a_tls12_client(self):
        server = self.start("hello", "--ssl-min-version", "1.3")
        context = self.client_context(maximum=ssl.TLSVersion.TLSv1_2)
        with self.assertRaises((ssl.SSLError, ConnectionResetError)):
            self.tls_connect(server, context)
        self.assertEqual(self.get(server).status, 200)

    def test_keep_alive_and_pipelining(self):
        server = self.start("hello")
        with Reader(self.tls_connect(server)) as reader:
            reader.send(request("GET", "/a") + request("GET", "/b"))
            first, second = reader.read_response(), reader.read_response()
            reader.send(request("GET", "/c", [("Connection", "close")]))
            third = reader.read_response()
        self.assertEqual([first.status, second.status, third.status], [200, 200, 200])
        self.assertEqual(third.body, b"Hello, world!")

    def test_large_bodies_both_ways(self):
        server = self.start("echo")
        body = bytes(range(256)) * 16 * 1024  # 4 MiB: many records, a full socket buffer
        with Reader(self.tls_connect(server)) as reader:
            reader.send(request("POST", "/", [("Content-Length", str(len(body))),
                                             ("Connection", "close")]) + body)
            response = reader.read_response()
        self.assertEqual(response.status, 200)
        self.assertEqual(response.body, body)

    def test_large_response_to_a_slow_reader(self):
        server = self.start("testing", binary=testing_binary())
        with Reader(self.tls_connect(server)) as reader:
            reader.send(request("GET", "/bytes?n=3000000", [("Connection", "close")]))
            time.sleep(0.5)  # the server fills the socket buffer and must wait, then resume
            response = reader.read_response()
        self.assertEqual(len(response.body), 3000000)
        self.assertEqual(response.body[:300], bytes(i % 251 for i in range(300)))

    def test_pathsend_over_tls(self):
        server = self.start("testing", binary=testing_binary())
        data = os.urandom(700 * 1024)
        path = self.path("file.bin")
        with open(path, "wb") as file:
            file.write(data)
        response = self.get(server, "/pathsend?path=" + path)
        self.assertEqual(response.status, 200)
        self.assertEqual(response.body, data)

    def test_websocket_over_tls_is_wss(self):
        server = self.start()
        sock = self.tls_connect(server)
        client = WsClient(sock)
        sock.sendall(handshake_request("/ws"))
        client.response = client.reader.read_response()
        self.assertEqual(client.response.status, 101)
        scope = json.loads(client.read_message()[1])
        self.assertEqual(scope["scheme"], "wss")
        self.assertIn("tls", scope["extensions"])
        self.assertIn("websocket.http.response", scope["extensions"])

    def test_plain_http_on_the_tls_port_is_answered_400(self):
        server = self.start("hello")
        with Reader(socket.create_connection((HOST, server.port), timeout=IO_TIMEOUT)) as reader:
            reader.send(request("GET", "/", [("Connection", "close")]))
            response = reader.read_response()
        self.assertEqual(response.status, 400)
        self.assertIn(b"https://", response.body)
        self.assertEqual(self.get(server).status, 200)

    def test_handshake_that_never_completes_is_bounded_by_the_header_timeout(self):
        server = self.start("hello", "--timeout-request-header", "1")
        with Reader(socket.create_connection((HOST, server.port), timeout=IO_TIMEOUT)) as reader:
            reader.send(b"\x16\x03\x01")  # the start of a ClientHello, then nothing
            started = time.monotonic()
            reader.assert_closed(timeout=4)
        self.assertLess(time.monotonic() - started, 3)
        self.assertIsNotNone(server.wait_for_stderr(r"TLS handshake with 127\.0\.0\.1:\d+ timed out"))
        self.assertEqual(self.get(server).status, 200)

    def test_garbage_instead_of_a_handshake_closes_with_one_line(self):
        server = self.start("hello")
        with Reader(socket.create_connection((HOST, server.port), timeout=IO_TIMEOUT)) as reader:
            reader.send(b"\x16\x03\x01\x00\x05hello" + b"\x00" * 100)
            reader.read_until_close()
        self.assertIsNotNone(server.wait_for_stderr(r"TLS handshake with 127\.0\.0\.1:\d+ failed"))
        self.assertEqual(self.get(server).status, 200)

    def test_encrypted_key_with_its_password(self):
        server = self.start("hello", "--ssl-keyfile-password", "crab secret",
                            key="server-encrypted.key")
        self.assertEqual(self.get(server).status, 200)

    def test_two_worker_processes_serve_tls(self):
        server = self.start("hello", "--workers", "2")
        server.wait_for_stderr(r"Worker \[\d+\] is ready")
        for _ in range(4):
            self.assertEqual(self.get(server).status, 200)


class MutualTlsTest(TlsTestBase):
    def start_mtls(self, reqs):
        return self.start("inspect", "--ssl-ca-certs", self.path("ca.pem"), "--ssl-cert-reqs",
                          reqs)

    def test_required_accepts_a_client_certificate_and_shows_it(self):
        server = self.start_mtls("required")
        response = self.get(server, context=self.client_context(cert="client"))
        self.assertEqual(response.status, 200)
        tls = json.loads(response.body)["extensions"]["tls"]
        with open(self.path("client.pem")) as client, open(self.path("ca.pem")) as ca:
            client_pem, ca_pem = client.read(), ca.read()
        # The leaf first; then what signs it, if the client sent it (OpenSSL's clients do).
        self.assertEqual(tls["client_cert_chain"][0], client_pem)
        self.assertIn(tls["client_cert_chain"][1:], ([], [ca_pem]))
        self.assertEqual(tls["client_cert_name"], "CN=crab client,O=Crabs")
        self.assertIsNone(tls["client_cert_error"])

    def test_required_refuses_a_client_without_a_certificate(self):
        server = self.start_mtls("required")
        with self.assertRaises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
            # TLS 1.3 reports the refusal on the first read, after the client's handshake ends.
            self.get(server)
        self.assertIsNotNone(server.wait_for_stderr(r"TLS handshake with .* failed: .*certificate"))

    def test_required_refuses_a_certificate_from_another_ca(self):
        server = self.start_mtls("required")
        with self.assertRaises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
            self.get(server, context=self.client_context(cert="stranger"))
        self.assertEqual(self.get(server, context=self.client_context(cert="client")).status, 200)

    def test_optional_accepts_a_client_without_a_certificate(self):
        server = self.start_mtls("optional")
        tls = json.loads(self.get(server).body)["extensions"]["tls"]
        self.assertEqual(tls["client_cert_chain"], [])
        named = json.loads(self.get(server, context=self.client_context(cert="client")).body)
        self.assertEqual(named["extensions"]["tls"]["client_cert_name"], "CN=crab client,O=Crabs")


class TlsConfigurationTest(TlsTestBase):
    def run_failing(self, *args):
        argv = [Server("hello").argv[0], "--app", "hello", "--port", "0", *args]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        lines = [l for l in result.stderr.splitlines() if l.strip()]
        return result.returncode, lines

    def test_missing_certificate_file_is_exit_3_with_one_line(self):
        code, lines = self.run_failing("--ssl-certfile", self.path("nope.pem"))
        self.assertEqual(code, 3)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("--ssl-certfile", lines[0])

    def test_wrong_key_password_is_exit_3(self):
        code, lines = self.run_failing("--ssl-certfile", self.path("server.pem"), "--ssl-keyfile",
                                       self.path("server-encrypted.key"),
                                       "--ssl-keyfile-password", "wrong")
        self.assertEqual(code, 3)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("--ssl-keyfile", lines[0])

    def test_key_not_matching_the_certificate_is_exit_3(self):
        code, lines = self.run_failing("--ssl-certfile", self.path("server.pem"), "--ssl-keyfile",
                                       self.path("client.key"))
        self.assertEqual(code, 3)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("--ssl-keyfile", lines[0])
        self.assertIn("mismatch", lines[0])

    def test_bad_cert_reqs_value_is_exit_3(self):
        code, lines = self.run_failing("--ssl-certfile", self.path("server.pem"),
                                       "--ssl-cert-reqs", "sometimes")
        self.assertEqual(code, 3)
        self.assertEqual(len(lines), 1, lines)

    def test_sighup_reloads_the_certificate(self):
        live_cert = self.path("live.pem")
        live_key = self.path("live.key")
        shutil.copy(self.path("server.pem"), live_cert)
        shutil.copy(self.path("server.key"), live_key)
        server = self.start("hello", cert="live.pem", key="live.key")
        with self.tls_connect(server) as sock:
            before = sock.getpeercert()["subject"]
        shutil.copy(self.path("server2.pem"), live_cert)
        shutil.copy(self.path("server2.key"), live_key)
        mark = server.stderr_mark()
        server.signal(signal.SIGHUP)
        self.assertIsNotNone(server.wait_for_stderr("reloaded the TLS certificate", 5, mark))
        with self.tls_connect(server) as sock:
            after = sock.getpeercert()["subject"]
        self.assertEqual(before, ((("commonName", "localhost"),),))
        self.assertEqual(after, ((("commonName", "renewed"),),))

    def test_sighup_with_a_broken_file_keeps_the_current_certificate(self):
        live_cert = self.path("live2.pem")
        shutil.copy(self.path("server.pem"), live_cert)
        server = self.start("hello", cert="live2.pem")
        with open(live_cert, "w") as file:
            file.write("not a certificate\n")
        mark = server.stderr_mark()
        server.signal(signal.SIGHUP)
        self.assertIsNotNone(server.wait_for_stderr("cannot reload TLS", 5, mark))
        self.assertEqual(self.get(server).status, 200)


if __name__ == "__main__":
    unittest.main()
