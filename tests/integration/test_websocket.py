"""WebSocket sessions end to end: the opening handshake (101, 426, 400, denial 403/401, 500),
the websocket scope, subprotocols, every close-code path (app close, client close, client gone,
too big, app exceptions, app returning, server shutdown), keepalive pings, permessage-deflate,
backpressure in both directions, `--ws none`, HTTP-only apps and the access log.

Two clients: Debian's python3-websockets 10.4 (a real, well-behaved client, run with asyncio) and
ws_frames.WsClient (raw frames over a socket, for exact bytes and misbehaviour). The app is
`ws_testing` (tests/apps/websocket_testing_app.cpp, in asgiserver_testing) unless said otherwise.
Frame-level conformance (payload sizes, fragmentation, pings, protocol violations, UTF-8) is in
test_websocket_frames.py.
"""

import asyncio
import json
import random
import signal
import socket
import string
import struct
import time
import unittest
import zlib

import websockets
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

from support import Server, ServerTestCase, request, testing_binary
from ws_frames import (OP_BINARY, OP_PING, OP_PONG, OP_TEXT, RFC_ACCEPT, RFC_KEY, WsClient,
                       accept_value, frame, handshake_request, new_key)

ASYNC_TIMEOUT = 30.0


def run(coro, timeout=ASYNC_TIMEOUT):
    """Runs a coroutine to completion on a fresh event loop, with an overall time limit."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def ws_url(server, path="/"):
    return "ws://127.0.0.1:%d%s" % (server.port, path)


def tokens(value):
    return [t.strip().lower() for t in (value or "").split(",") if t.strip()]


class WsTestCase(ServerTestCase):
    APP = "ws_testing"
    TESTING_BINARY = True
    # assertServerHealthy: ws_testing answers plain HTTP with 200 "http fallback".
    HEALTH_REQUEST = request("GET", "/", [("Connection", "close")])

    def ws(self, path="/echo", extra=b"", **handshake):
        """A raw client whose handshake got a 101 (checked), closed at tearDown."""
        client = WsClient.open(self.server.port, path, extra=extra, **handshake)
        self._sockets.append(client.sock)
        self.assertEqual(client.response.status, 101, client.response.raw)
        return client

    def raw_handshake(self, data):
        """Sends raw bytes on a fresh connection; returns the response (not a 101)."""
        r = self.reader()
        r.send(data)
        return r, r.read_response()

    def wait_app_line(self, pattern, mark, timeout=5.0):
        line = self.server.wait_for_stderr(pattern, timeout, start=mark)
        self.assertIsNotNone(line, "no stderr line %r within %.0fs:\n%s"
                             % (pattern, timeout, self.server.stderr_text()[-3000:]))
        return line


# ---- handshake --------------------------------------------------------------------------------


class HandshakeTest(WsTestCase):

    def test_101_response(self):
        """The RFC's sample key gets the RFC's accept value; Upgrade/Connection headers are
        present; no subprotocol or extension is announced when none was offered."""
        c = self.ws("/echo", key=RFC_KEY)
        resp = c.response
        self.assertEqual(resp.header("sec-websocket-accept"), RFC_ACCEPT)
        self.assertEqual(tokens(resp.header("upgrade")), ["websocket"])
        self.assertIn("upgrade", tokens(resp.header("connection")))
        self.assertFalse(resp.has_header("sec-websocket-protocol"), resp.raw)
        self.assertFalse(resp.has_header("sec-websocket-extensions"), resp.raw)
        self.assertFalse(resp.has_header("content-length"), resp.raw)
        self.assertFalse(resp.has_header("transfer-encoding"), resp.raw)
        c.send_text("ping?")
        self.assertEqual(c.read_message(), (OP_TEXT, b"ping?"))
        c.send_close(1000)
        f = c.expect_close(1000, reply=False)
        self.assertEqual(f.close_reason, "")

    def test_random_key_accept_value(self):
        key = new_key()
        c = self.ws("/echo", key=key)
        self.assertEqual(c.response.header("sec-websocket-accept"), accept_value(key))

    def test_handshake_and_first_frame_in_one_write(self):
        """A client that sends its first frame in the same segment as the handshake: the bytes
        read with the request head belong to the WebSocket."""
        c = self.ws("/echo", extra=frame(OP_TEXT, b"early bird") + frame(OP_BINARY, b"\x00\x01"))
        self.assertEqual(c.read_message(), (OP_TEXT, b"early bird"))
        self.assertEqual(c.read_message(), (OP_BINARY, b"\x00\x01"))

    def test_version_8_is_426(self):
        r, resp = self.raw_handshake(handshake_request("/echo", key=new_key(), version="8"))
        self.assertEqual(resp.status, 426, resp.raw)
        self.assertEqual(resp.header("sec-websocket-version"), "13", resp.raw)
        r.assert_closed()

    def test_bad_key_is_400(self):
        r, resp = self.raw_handshake(handshake_request("/echo", key="not-a-key"))
        self.assertEqual(resp.status, 400, resp.raw)
        r.assert_closed()

    def test_missing_key_is_400(self):
        r, resp = self.raw_handshake(handshake_request("/echo", key=None))
        self.assertEqual(resp.status, 400, resp.raw)
        r.assert_closed()

    def test_duplicated_key_is_400(self):
        data = handshake_request("/echo", key=new_key(), headers=[("Sec-WebSocket-Key", new_key())])
        r, resp = self.raw_handshake(data)
        self.assertEqual(resp.status, 400, resp.raw)
        r.assert_closed()

    def test_post_upgrade_is_400(self):
        r, resp = self.raw_handshake(handshake_request("/echo", key=new_key(), method="POST"))
        self.assertEqual(resp.status, 400, resp.raw)

    def test_http10_upgrade_is_400(self):
        r, resp = self.raw_handshake(handshake_request("/echo", key=new_key(), http_version="1.0"))
        self.assertEqual(resp.status, 400, resp.raw)

    def test_h2c_upgrade_is_plain_http(self):
        """`Upgrade: h2c` is not a WebSocket handshake: served as a normal request, no 101."""
        data = request("GET", "/echo", [("Upgrade", "h2c"), ("Connection", "Upgrade"),
                                        ("Connection", "close")])
        r, resp = self.raw_handshake(data)
        self.assertEqual(resp.status, 200, resp.raw)
        self.assertEqual(resp.body, b"http fallback")

    def test_tokens_are_case_insensitive(self):
        data = (b"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\n"
                b"Connection: keep-alive, UPGRADE\r\nSec-WebSocket-Key: " + RFC_KEY.encode() +
                b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
        r, resp = self.raw_handshake(data)
        self.assertEqual(resp.status, 101, resp.raw)
        self.assertEqual(resp.header("sec-websocket-accept"), RFC_ACCEPT)

    def test_python_client_connects(self):
        async def go():
            async with websockets.connect(ws_url(self.server, "/echo")) as ws:
                await ws.send("hello")
                self.assertEqual(await ws.recv(), "hello")
                await ws.send(b"\x00\xffbytes")
                self.assertEqual(await ws.recv(), b"\x00\xffbytes")
            self.assertEqual(ws.close_code, 1000)
        run(go())


class DenialTest(WsTestCase):

    def test_close_before_accept_is_403(self):
        mark = self.server.stdout_mark()
        r, resp = self.raw_handshake(handshake_request("/deny", key=new_key()))
        self.assertEqual(resp.status, 403, resp.raw)
        self.assertFalse(resp.has_header("sec-websocket-accept"), resp.raw)
        r.assert_closed()
        line = self.server.wait_for_stdout(r'"WebSocket /deny"', 5, start=mark)
        self.assertIsNotNone(line, self.server.stdout_text())
        self.assertRegex(line, r'^INFO:     127\.0\.0\.1:\d+ - "WebSocket /deny" 403$')

    def test_python_client_sees_403(self):
        async def go():
            with self.assertRaises(websockets.exceptions.InvalidStatusCode) as ctx:
                async with websockets.connect(ws_url(self.server, "/deny")):
                    pass
            self.assertEqual(ctx.exception.status_code, 403)
        run(go())

    def test_denial_response_401(self):
        """websocket.http.response: the app's status, headers and body (sent in two chunks)."""
        mark = self.server.stdout_mark()
        r, resp = self.raw_handshake(handshake_request("/deny-401", key=new_key()))
        self.assertEqual(resp.status, 401, resp.raw)
        self.assertEqual(resp.header("x-deny"), "1", resp.raw)
        self.assertEqual(resp.header("content-type"), "text/plain", resp.raw)
        self.assertEqual(resp.body, b"denied")
        self.assertFalse(resp.has_header("sec-websocket-accept"), resp.raw)
        r.assert_closed()
        line = self.server.wait_for_stdout(r'"WebSocket /deny-401"', 5, start=mark)
        self.assertIsNotNone(line, self.server.stdout_text())
        self.assertRegex(line, r'^INFO:     127\.0\.0\.1:\d+ - "WebSocket /deny-401" 401$')

    def test_exception_before_accept_is_500(self):
        r, resp = self.raw_handshake(handshake_request("/throw-before-accept", key=new_key()))
        self.assertEqual(resp.status, 500, resp.raw)
        self.assertFalse(resp.has_header("sec-websocket-accept"), resp.raw)
        r.assert_closed()
        self.assertServerHealthy()

    def test_subprotocol_not_offered_is_500(self):
        """Accepting with a subprotocol the client did not offer raises in send(); the app dies
        before the handshake completed, so the client gets a 500, never a 101."""
        r, resp = self.raw_handshake(handshake_request("/bad-subprotocol", key=new_key(),
                                                       protocols=["chat"]))
        self.assertEqual(resp.status, 500, resp.raw)
        self.assertFalse(resp.has_header("sec-websocket-protocol"), resp.raw)
        r.assert_closed()

    def test_app_raising_without_receive_is_served_as_http(self):
        """An app that raises on the websocket scope before touching receive/send does not
        handle WebSocket: the request is served as plain HTTP."""
        r, resp = self.raw_handshake(handshake_request("/raise-immediately", key=new_key()))
        self.assertEqual(resp.status, 200, resp.raw)
        self.assertEqual(resp.body, b"http fallback")
        # The connection carries on as an HTTP/1.1 keep-alive connection.
        for _ in range(2):
            r.send(b"GET /plain HTTP/1.1\r\nHost: x\r\n\r\n")
            nxt = r.read_response()
            self.assertEqual((nxt.status, nxt.body), (200, b"http fallback"), nxt.raw)


class SubprotocolTest(WsTestCase):

    def test_first_offered_subprotocol_and_extra_header(self):
        c = self.ws("/subprotocol", protocols=["chat", "superchat"])
        self.assertEqual(c.response.header_all("sec-websocket-protocol"), ["chat"], c.response.raw)
        self.assertEqual(c.response.header("x-extra"), "yes", c.response.raw)
        c.send_text("x")
        self.assertEqual(c.read_message(), (OP_TEXT, b"x"))

    def test_no_subprotocol_offered(self):
        c = self.ws("/subprotocol")
        self.assertFalse(c.response.has_header("sec-websocket-protocol"), c.response.raw)
        self.assertEqual(c.response.header("x-extra"), "yes", c.response.raw)

    def test_python_client_negotiates(self):
        async def go():
            async with websockets.connect(ws_url(self.server, "/subprotocol"),
                                          subprotocols=["superchat", "chat"]) as ws:
                self.assertEqual(ws.subprotocol, "superchat")
                self.assertEqual(ws.response_headers["x-extra"], "yes")
                await ws.send("hi")
                self.assertEqual(await ws.recv(), "hi")
        run(go())


# ---- scope ------------------------------------------------------------------------------------


class ScopeTest(ServerTestCase):
    APP = "inspect"

    def test_websocket_scope(self):
        key = new_key()
        c = WsClient.open(self.server.port, "/some%20path/x?a=1&b=%20", key=key,
                          protocols=["chat", "superchat"], headers=[("X-Custom", "v1")])
        self._sockets.append(c.sock)
        self.assertEqual(c.response.status, 101, c.response.raw)
        opcode, payload = c.read_message()
        self.assertEqual(opcode, OP_TEXT)
        scope = json.loads(payload)
        self.assertEqual(scope["type"], "websocket")
        self.assertEqual(scope["scheme"], "ws")
        self.assertEqual(scope["http_version"], "1.1")
        self.assertEqual(scope["path"], "/some path/x")
        self.assertEqual(scope["raw_path"], "/some%20path/x")
        self.assertEqual(scope["query_string"], "a=1&b=%20")
        self.assertEqual(scope["root_path"], "")
        self.assertEqual(scope["subprotocols"], ["chat", "superchat"])
        self.assertNotIn("method", scope)
        self.assertEqual(scope["asgi"]["version"], "3.0")
        self.assertEqual(scope["extensions"].get("websocket.http.response"), {})
        self.assertEqual(scope["client"][0], "127.0.0.1")
        self.assertEqual(scope["client"][1], c.sock.getsockname()[1])
        self.assertEqual(scope["server"], ["127.0.0.1", self.server.port])
        headers = [tuple(h) for h in scope["headers"]]
        self.assertEqual(headers, [
            ("host", "localhost"), ("upgrade", "websocket"), ("connection", "Upgrade"),
            ("sec-websocket-key", key), ("sec-websocket-version", "13"),
            ("sec-websocket-protocol", "chat, superchat"), ("x-custom", "v1")])
        c.send_close(1000)
        c.expect_close(1000, reply=False)


# ---- close codes ------------------------------------------------------------------------------


class CloseCodeTest(WsTestCase):

    def test_app_close_code_and_reason(self):
        mark = self.server.stderr_mark()
        c = self.ws("/close?code=4000&reason=bye")
        f = c.read_close()
        self.assertEqual(f.payload, b"\x0f\xa0bye")
        c.send_close(4000)
        c.assert_eof()
        c.close()
        # The app's next receive() is websocket.disconnect with its own code.
        self.wait_app_line(r"^ws_testing: disconnect code=4000 reason=bye$", mark)

    def test_app_close_python_client(self):
        async def go():
            async with websockets.connect(ws_url(self.server, "/close?code=4000&reason=bye")) as ws:
                with self.assertRaises(websockets.exceptions.ConnectionClosed):
                    await ws.recv()
            self.assertEqual(ws.close_code, 4000)
            self.assertEqual(ws.close_reason, "bye")
        run(go())

    def test_app_close_default_1000(self):
        c = self.ws("/close")
        c.expect_close(1000, "")

    def test_client_close_1001(self):
        """The app sees the client's code and reason; the server answers with a Close echoing
        the code (RFC 6455 §5.5.1; 1000 is also acceptable) and closes TCP."""
        mark = self.server.stderr_mark()
        c = self.ws("/echo")
        c.send_close(1001, "going")
        f = c.read_close()
        self.assertIn(f.close_code, (1001, 1000), f)
        c.assert_eof()
        self.wait_app_line(r"^ws_testing: disconnect code=1001 reason=going$", mark)

    def test_client_close_1001_python_client(self):
        mark = self.server.stderr_mark()

        async def go():
            async with websockets.connect(ws_url(self.server, "/echo")) as ws:
                await ws.send("x")
                self.assertEqual(await ws.recv(), "x")
                await ws.close(1001, "going")
        run(go())
        self.wait_app_line(r"^ws_testing: disconnect code=1001 reason=going$", mark)

    def test_client_close_without_payload_is_1005(self):
        mark = self.server.stderr_mark()
        c = self.ws("/echo")
        c.send_close()
        f = c.read_close()
        self.assertIn(f.close_code, (None, 1000), f)  # 1005 must never be on the wire
        c.assert_eof()
        self.wait_app_line(r"^ws_testing: disconnect code=1005 reason=$", mark)

    def test_client_reset_is_1006(self):
        mark = self.server.stderr_mark()
        c = self.ws("/echo")
        c.send_text("x")
        self.assertEqual(c.read_message(), (OP_TEXT, b"x"))
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.sock.close()  # RST, no Close frame
        self.wait_app_line(r"^ws_testing: disconnect code=1006 reason=$", mark)
        self.assertServerHealthy()

    def test_client_fin_without_close_frame_is_1006(self):
        mark = self.server.stderr_mark()
        c = self.ws("/echo")
        c.sock.close()  # FIN, no Close frame
        self.wait_app_line(r"^ws_testing: disconnect code=1006 reason=$", mark)

    def test_client_vanishes_mid_message_is_1006(self):
        mark = self.server.stderr_mark()
        c = self.ws("/echo")
        c.send_raw(frame(OP_TEXT, b"x" * 1000)[:300])
        c.sock.close()
        self.wait_app_line(r"^ws_testing: disconnect code=1006 reason=$", mark)

    def test_app_exception_after_accept_is_1011(self):
        c = self.ws("/throw-after-accept")
        c.expect_close(1011)
        self.assertServerHealthy()

    def test_app_returning_without_close_is_1000(self):
        c = self.ws("/return-after-accept")
        c.expect_close(1000)

    def test_send_after_own_close_raises_protocol_error(self):
        mark = self.server.stderr_mark()
        c = self.ws("/send-after-close")
        c.expect_close(1000)
        self.wait_app_line(r"^ws_testing: send after close raised ProtocolError$", mark)


class MaxSizeTest(WsTestCase):
    ARGS = ("--ws-max-size", "1000")

    def test_message_at_limit_is_echoed(self):
        c = self.ws("/echo")
        c.send_binary(b"b" * 1000)
        self.assertEqual(c.read_message(), (OP_BINARY, b"b" * 1000))

    def test_message_over_limit_is_1009(self):
        mark = self.server.stderr_mark()
        c = self.ws("/echo")
        c.send_text("t" * 1001)
        c.expect_close(1009, reply=False)
        self.wait_app_line(r"^ws_testing: disconnect code=1009 ", mark)

    def test_fragments_over_limit_are_1009(self):
        c = self.ws("/echo")
        c.send_frame(OP_TEXT, b"a" * 600, fin=False)
        c.send_frame(0, b"a" * 600, fin=True)
        c.expect_close(1009, reply=False)

    def test_announced_size_is_refused_at_once(self):
        """A header announcing 1 MB: close 1009 from the header, without waiting for (or
        buffering) the payload."""
        c = self.ws("/echo")
        c.send_raw(frame(OP_BINARY, b"z" * 1_000_000)[:200])
        c.expect_close(1009, reply=False)

    def test_python_client_over_limit(self):
        async def go():
            async with websockets.connect(ws_url(self.server, "/echo")) as ws:
                await ws.send("y" * 2000)
                with self.assertRaises(websockets.exceptions.ConnectionClosed):
                    await ws.recv()
            self.assertEqual(ws.close_code, 1009)
        run(go())


class ShutdownTest(unittest.TestCase):

    def test_sigterm_closes_open_websockets_with_1012(self):
        server = Server("ws_testing", binary=testing_binary())
        self.addCleanup(server.kill)
        server.start()
        c = WsClient.open(server.port, "/echo")
        self.addCleanup(c.close)
        self.assertEqual(c.response.status, 101, c.response.raw)
        c.send_text("before")
        self.assertEqual(c.read_message(), (OP_TEXT, b"before"))
        mark = server.stderr_mark()
        server.signal(signal.SIGTERM)
        c.expect_close(1012)
        c.close()
        line = server.wait_for_stderr(r"^ws_testing: disconnect code=", 5, start=mark)
        self.assertEqual(line, "ws_testing: disconnect code=1012 reason=")
        self.assertEqual(server.wait(15), 0, server.stderr_text())

    def test_sigterm_python_client(self):
        server = Server("ws_testing", binary=testing_binary())
        self.addCleanup(server.kill)
        server.start()

        async def go():
            async with websockets.connect(ws_url(server, "/echo")) as ws:
                await ws.send("x")
                self.assertEqual(await ws.recv(), "x")
                server.signal(signal.SIGTERM)
                with self.assertRaises(websockets.exceptions.ConnectionClosed):
                    await ws.recv()
            self.assertEqual(ws.close_code, 1012)
        run(go())
        self.assertEqual(server.wait(15), 0, server.stderr_text())


# ---- keepalive --------------------------------------------------------------------------------


class KeepaliveTest(WsTestCase):
    ARGS = ("--ws-ping-interval", "0.5", "--ws-ping-timeout", "0.5")

    def test_unanswered_pings_close_1011(self):
        """A client that never answers pings: a ping frame, then a Close 1011 within ~3 s (the
        deadline is generous for sanitizer builds)."""
        c = self.ws("/echo")
        start = time.monotonic()
        f = c.read_frame(timeout=5)
        self.assertEqual(f.opcode, OP_PING, f)
        self.assertTrue(1 <= len(f.payload) <= 125, f)
        f = c.read_close(timeout=5)
        elapsed = time.monotonic() - start
        self.assertEqual(f.close_code, 1011, f)
        self.assertLess(elapsed, 6.0)
        c.send_close_quietly(1011)
        c.assert_eof()

    def test_unanswered_pings_then_silent_client_is_dropped(self):
        """After the keepalive Close 1011 the peer is presumed dead: the server must not wait
        for its Close reply forever; TCP is closed within 10 s (websockets' close_timeout)."""
        c = self.ws("/echo")
        f = c.read_close(timeout=8)
        self.assertEqual(f.close_code, 1011, f)
        c.assert_eof(timeout=10)

    def test_answered_pings_keep_the_connection(self):
        """A raw client answering each ping with a pong of the same payload stays connected."""
        c = self.ws("/echo")
        deadline = time.monotonic() + 3
        pings = 0
        while time.monotonic() < deadline:
            try:
                f = c.read_frame(timeout=max(0.05, deadline - time.monotonic()))
            except AssertionError:  # nothing arrived before the deadline
                break
            self.assertEqual(f.opcode, OP_PING, f)
            c.send_frame(OP_PONG, f.payload)
            pings += 1
        self.assertGreaterEqual(pings, 2)
        c.send_text("still here")
        self.assertEqual(c.read_message(controls=[]), (OP_TEXT, b"still here"))

    def test_python_client_stays_connected(self):
        async def go():
            async with websockets.connect(ws_url(self.server, "/echo"), ping_interval=None) as ws:
                await asyncio.sleep(3)
                self.assertTrue(ws.open)
                await ws.send("alive")
                self.assertEqual(await ws.recv(), "alive")
            self.assertEqual(ws.close_code, 1000)
        run(go())


# ---- a close the server starts, while the app sends ------------------------------------------


def app_errors(server, mark):
    """Lines logged as the app's error (or any ERROR) since `mark`."""
    return [line for line in server.stderr_lines()[mark:]
            if "Exception in ASGI application" in line or line.startswith("ERROR:")]


class ServerCloseWhileAppSendsTest(WsTestCase):
    """The server closes on its own (keepalive timeout here; shutdown in the test below) while
    the app keeps sending. The app never sent websocket.close, so its next send must raise
    ClientDisconnected, its next receive() must be websocket.disconnect with the server's code,
    and nothing is logged as the app's error."""
    ARGS = ("--ws-ping-interval", "0.5", "--ws-ping-timeout", "0.5")

    def test_keepalive_timeout_while_the_app_sends(self):
        mark = self.server.stderr_mark()
        c = self.ws("/send-until-closed?ms=20")
        f = c.read_close(timeout=8)  # the ticks and pings before it are skipped, never answered
        self.assertEqual(f.close_code, 1011, f)
        self.wait_app_line(r"^ws_testing: send raised ClientDisconnected$", mark)
        self.wait_app_line(r"^ws_testing: disconnect code=1011 reason=keepalive ping timeout$", mark)
        c.send_close_quietly(1011)
        c.assert_eof()
        self.assertServerHealthy()  # any error line about the session is logged by now
        self.assertEqual(app_errors(self.server, mark), [], self.server.stderr_text())

    def test_shutdown_while_the_app_sends(self):
        server = Server("ws_testing", binary=testing_binary())
        self.addCleanup(server.kill)
        server.start()
        c = WsClient.open(server.port, "/send-until-closed?ms=20")
        self.addCleanup(c.close)
        self.assertEqual(c.response.status, 101, c.response.raw)
        self.assertEqual(c.read_message(), (OP_TEXT, b"tick 0"))
        mark = server.stderr_mark()
        server.signal(signal.SIGTERM)
        f = c.read_close()
        self.assertEqual(f.close_code, 1012, f)
        for pattern in (r"^ws_testing: send raised ClientDisconnected$",
                        r"^ws_testing: disconnect code=1012 reason=$"):
            self.assertIsNotNone(server.wait_for_stderr(pattern, 5, start=mark),
                                 "no %r:\n%s" % (pattern, server.stderr_text()))
        c.send_close_quietly(1012)
        c.assert_eof()
        self.assertEqual(server.wait(15), 0, server.stderr_text())
        self.assertEqual(app_errors(server, mark), [], server.stderr_text())


# ---- permessage-deflate -----------------------------------------------------------------------


class DeflateTest(WsTestCase):

    def test_python_client_negotiates_deflate(self):
        text = ("All work and no play makes Jack a dull boy. " * 30000)[:1_000_000]

        async def go():
            async with websockets.connect(ws_url(self.server, "/echo"), max_size=None) as ws:
                self.assertIn("permessage-deflate",
                              ws.response_headers.get("Sec-WebSocket-Extensions", ""))
                self.assertEqual([e.name for e in ws.extensions], ["permessage-deflate"])
                await ws.send(text)
                self.assertEqual(await ws.recv(), text)
                await ws.send(b"\x00" * 100_000)
                self.assertEqual(await ws.recv(), b"\x00" * 100_000)
        run(go())

    def test_raw_offer_is_answered(self):
        c = self.ws("/echo", headers=[("Sec-WebSocket-Extensions",
                                       "permessage-deflate; client_max_window_bits")])
        self.assertIn("permessage-deflate", c.response.header("sec-websocket-extensions") or "",
                      c.response.raw)

    def test_bare_offer_is_accepted(self):
        """`permessage-deflate` without client_max_window_bits (as some browsers offer it) is
        accepted; the response must not name client_max_window_bits then (RFC 7692 §7.1.2.2)."""
        c = self.ws("/echo", headers=[("Sec-WebSocket-Extensions", "permessage-deflate")])
        extensions = c.response.header("sec-websocket-extensions") or ""
        self.assertEqual(extensions.split(";")[0].strip(), "permessage-deflate", c.response.raw)
        self.assertNotIn("client_max_window_bits", extensions)

    def test_bare_offer_round_trip_with_a_32_kib_window(self):
        """A client that offered no client_max_window_bits compresses with zlib's default 15-bit
        (32 KiB) window. The message repeats a random 20 KB block, so its back-references reach
        20 KB back: the server's inflater must have the full window to read it."""
        letters = random.Random(7)
        block = "".join(letters.choice(string.ascii_letters) for _ in range(20_000))
        text = block * 3
        # The point of the test: with a 12-bit window this message cannot be inflated.
        deflater = zlib.compressobj(wbits=-15)
        compressed = deflater.compress(text.encode()) + deflater.flush(zlib.Z_SYNC_FLUSH)
        with self.assertRaises(zlib.error):
            zlib.decompressobj(wbits=-12).decompress(compressed)
        bare = ClientPerMessageDeflateFactory(client_max_window_bits=None)

        async def go():
            async with websockets.connect(ws_url(self.server, "/echo"), extensions=[bare],
                                          max_size=None) as ws:
                self.assertEqual(ws.response_headers.get("Sec-WebSocket-Extensions", "")
                                 .split(";")[0], "permessage-deflate")
                self.assertEqual([e.name for e in ws.extensions], ["permessage-deflate"])
                await ws.send(text)
                self.assertEqual(await ws.recv(), text)
                await ws.send(text.encode())
                self.assertEqual(await ws.recv(), text.encode())
            self.assertEqual(ws.close_code, 1000)
        run(go())

    def test_invalid_deflate_parameters_are_declined(self):
        """server_max_window_bits=7 is invalid (RFC 7692 §7.1.2): either a 400 or a 101
        without the extension (both allowed by hardening §7)."""
        client = WsClient.open(self.server.port, "/echo", headers=[
            ("Sec-WebSocket-Extensions", "permessage-deflate; server_max_window_bits=7")])
        self._sockets.append(client.sock)
        resp = client.response
        self.assertIn(resp.status, (101, 400), resp.raw)
        if resp.status == 101:
            self.assertFalse(resp.has_header("sec-websocket-extensions"), resp.raw)


class NoDeflateTest(WsTestCase):
    ARGS = ("--no-ws-per-message-deflate",)

    def test_no_extension_in_101(self):
        async def go():
            async with websockets.connect(ws_url(self.server, "/echo")) as ws:
                self.assertNotIn("Sec-WebSocket-Extensions", ws.response_headers)
                self.assertEqual(ws.extensions, [])
                await ws.send("plain")
                self.assertEqual(await ws.recv(), "plain")
        run(go())

    def test_raw_offer_is_ignored(self):
        c = self.ws("/echo", headers=[("Sec-WebSocket-Extensions", "permessage-deflate")])
        self.assertFalse(c.response.has_header("sec-websocket-extensions"), c.response.raw)
        c.send_frame(OP_TEXT, b"compressed?", rsv=4)  # RSV1 without the extension
        c.expect_close(1002, reply=False)


# ---- backpressure -----------------------------------------------------------------------------


class BackpressureTest(WsTestCase):

    def test_app_not_reading_bounds_what_the_server_takes(self):
        """The app never calls receive(): the server buffers a bounded queue, stops reading, and
        the client's sends block. Of 10,000 1 KiB messages (10.3 MB) the kernel + server take
        less than 10 MB within 2 s, and the server stays healthy."""
        mark = self.server.stderr_mark()
        c = self.ws("/no-read")
        message = frame(OP_BINARY, b"m" * 1024)
        total = 10_000 * len(message)
        c.sock.setblocking(False)
        sent, pending = 0, b""
        deadline = time.monotonic() + 2
        count = 0
        while time.monotonic() < deadline and (count < 10_000 or pending):
            if not pending:
                pending = message
                count += 1
            try:
                n = c.sock.send(pending)
            except BlockingIOError:
                time.sleep(0.01)
                continue
            sent += n
            pending = pending[n:]
        c.sock.setblocking(True)
        c.sock.settimeout(10)
        self.assertLess(sent, 10_000_000,
                        "the server took %d of %d bytes while its app read nothing" % (sent, total))
        self.assertServerHealthy()
        # The app closes after 5 s; the server drains and discards what is queued.
        f = c.read_close(timeout=10)
        self.assertEqual(f.close_code, 1000, f)
        self.wait_app_line(r"^ws_testing: no-read closing$", mark, timeout=1)
        c.sock.sendall(pending)  # the rest of the frame cut at 2 s (the server drains now)
        c.send_close(1000)
        c.assert_eof(timeout=10)

    def test_reading_resumes_when_the_app_catches_up(self):
        """The app sleeps 0.5 s after accepting while the client sends 300 messages: the server
        queues what the limit allows and stops reading; once the app receives, reading resumes
        and all 300 come back in order."""
        c = self.ws("/read-late?ms=500")
        n = 300
        for i in range(n):
            c.send_text("m%05d" % i)
        for i in range(n):
            self.assertEqual(c.read_message(timeout=10), (OP_TEXT, b"m%05d" % i))
        c.send_close(1000)
        c.expect_close(1000)
        self.assertServerHealthy()

    def test_client_not_reading_blocks_the_app(self):
        """The client reads nothing for 1.5 s while the app pushes 20,000 1 KiB messages: the
        app's send() must block (the messages are not all buffered in the server), then every
        message arrives in order once the client reads."""
        n = 20_000
        mark = self.server.stderr_mark()
        c = self.ws("/push?n=%d" % n)
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        early = self.server.wait_for_stderr(r"^ws_testing: pushed ", 1.5, start=mark)
        self.assertIsNone(early, "the app sent %d messages to a client that read nothing" % n)
        for i in range(n):
            opcode, payload = c.read_message(timeout=10)
            self.assertEqual(opcode, OP_TEXT)
            self.assertEqual(len(payload), 1024)
            self.assertEqual(payload[:8], b"%08d" % i)
        self.wait_app_line(r"^ws_testing: pushed %d$" % n, mark)
        c.expect_close(1000)
        self.assertServerHealthy()


# ---- --ws none and HTTP-only apps -------------------------------------------------------------


class WsNoneTest(WsTestCase):
    ARGS = ("--ws", "none")

    def test_upgrade_is_served_as_http(self):
        r, resp = self.raw_handshake(handshake_request("/echo", key=new_key()))
        self.assertEqual(resp.status, 200, resp.raw)
        self.assertEqual(resp.body, b"http fallback")
        self.assertFalse(resp.has_header("sec-websocket-accept"), resp.raw)


class HttpOnlyAppTest(ServerTestCase):
    APP = "hello"

    def test_upgrade_to_http_only_app_is_plain_http(self):
        r = self.reader()
        r.send(handshake_request("/", key=new_key()))
        resp = r.read_response()
        self.assertEqual(resp.status, 200, resp.raw)
        self.assertEqual(resp.body, b"Hello, world!")
        self.assertFalse(resp.has_header("sec-websocket-accept"), resp.raw)


# ---- access log -------------------------------------------------------------------------------


class AccessLogTest(WsTestCase):

    def test_accepted_line(self):
        mark = self.server.stdout_mark()
        c = self.ws("/echo?x=1")
        port = c.sock.getsockname()[1]
        line = self.server.wait_for_stdout(r'"WebSocket /echo', 5, start=mark)
        self.assertEqual(line, 'INFO:     127.0.0.1:%d - "WebSocket /echo?x=1" [accepted]' % port)

    def test_403_line(self):
        mark = self.server.stdout_mark()
        r = self.reader()
        r.send(handshake_request("/deny", key=new_key()))
        port = r.sock.getsockname()[1]
        self.assertEqual(r.read_response().status, 403)
        line = self.server.wait_for_stdout(r'"WebSocket /deny', 5, start=mark)
        self.assertEqual(line, 'INFO:     127.0.0.1:%d - "WebSocket /deny" 403' % port)


if __name__ == "__main__":
    unittest.main()
