"""`http.disconnect` (testing app): receive() after the body blocks until the client leaves (or the
response is complete) and then yields http.disconnect; send() after the client left raises
ClientDisconnected, which the server swallows without an error log."""

import time
import unittest

from support import ServerTestCase, request

GOT_DISCONNECT = r"^testing: got http\.disconnect$"


class DisconnectTest(ServerTestCase):
    APP = "testing"
    TESTING_BINARY = True
    HEALTH_REQUEST = request("GET", "/stream?chunks=1&delay_ms=0", [("Connection", "close")])

    def send_then_close(self, data, pattern, hold=0.5, body_bytes=None):
        """Sends `data`, checks `pattern` is NOT logged while the client stays connected for
        `hold` seconds, closes, and returns the time until the line is logged. With
        `body_bytes`, also checks the app logged receiving the complete body before the close."""
        mark = self.server.stderr_mark()
        sock = self.connect()
        sock.sendall(data)
        if body_bytes is not None:
            line = self.server.wait_for_stderr(r"^testing: body ", 3, start=mark)
            self.assertEqual(line, "testing: body complete (%d bytes)" % body_bytes)
        early = self.server.wait_for_stderr(pattern, hold, start=mark)
        self.assertIsNone(early, "logged before the client disconnected: %r" % early)
        closed = time.monotonic()
        sock.close()
        line = self.server.wait_for_stderr(pattern, 2, start=mark)
        self.assertIsNotNone(line, "no %r within 2 s of the close:\n%s"
                             % (pattern, self.server.stderr_text()))
        return time.monotonic() - closed

    def test_disconnect_after_body(self):
        """POST with a complete body: the app's second receive() waits, and returns
        http.disconnect only once the client closes."""
        self.send_then_close(request("POST", "/wait-disconnect", body=b"payload"), GOT_DISCONNECT,
                             body_bytes=7)
        self.assertServerHealthy()

    def test_disconnect_without_body(self):
        """GET (no body): the first receive() is the empty http.request; the next one waits for
        the client to leave and yields http.disconnect."""
        self.send_then_close(request("GET", "/wait-disconnect"), GOT_DISCONNECT, body_bytes=0)
        self.assertServerHealthy()

    def test_disconnect_with_chunked_body(self):
        """Same with a chunked body."""
        self.send_then_close(request("POST", "/wait-disconnect", [("Transfer-Encoding", "chunked")],
                                     b"3\r\nabc\r\n0\r\n\r\n"), GOT_DISCONNECT,
                             body_bytes=3)

    def test_receive_after_response_is_disconnect(self):
        """After the app sent its complete response, receive() returns http.disconnect at once
        (the client is still connected), and the connection serves the next request."""
        mark = self.server.stderr_mark()
        r = self.reader()
        r.send(request("GET", "/after-response"))
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.body, b"done")
        line = self.server.wait_for_stderr(r"^testing: after response got ", 2, start=mark)
        self.assertEqual(line, "testing: after response got http.disconnect")
        r.send(request("GET", "/stream?chunks=1&delay_ms=0"))
        self.assertEqual(r.read_response().body, b"chunk-0\n")

    def test_receive_waiting_when_the_response_completes_gets_disconnect(self):
        """A receive() already waiting (in a second coroutine of the app) when the app completes
        its response returns http.disconnect right then, while the client stays connected: the
        app does not have to return, nor the client leave, for the waiter to be released. The
        app gives the waiter 3 s and logs which way it went."""
        mark = self.server.stderr_mark()
        r = self.reader()
        r.send(request("POST", "/receive-during-response", body=b"payload"))
        resp = r.read_response()
        self.assertEqual((resp.status, resp.body), (200, b"done"))
        line = self.server.wait_for_stderr(r"^testing: receive during the response ", 10,
                                           start=mark)
        self.assertEqual(line, "testing: receive during the response got http.disconnect",
                         self.server.stderr_text())
        r.send(request("GET", "/stream?chunks=1&delay_ms=0"))
        self.assertEqual(r.read_response().body, b"chunk-0\n")

    def test_send_after_disconnect_raises_client_disconnected(self):
        """send() after the client left raises asgi::ClientDisconnected; the app lets it escape
        and the server logs no `Exception in ASGI application` for it."""
        mark = self.server.stderr_mark()
        self.send_then_close(request("POST", "/send-after-disconnect", body=b"x"),
                             r"^testing: send raised ClientDisconnected$")
        self.assertIsNotNone(self.server.wait_for_stderr(GOT_DISCONNECT, 1, start=mark))
        time.sleep(0.3)  # give a wrong error line the chance to appear
        errors = [line for line in self.server.stderr_lines()[mark:]
                  if "Exception in ASGI application" in line or line.startswith("ERROR:")]
        self.assertEqual(errors, [])
        self.assertNotIn("testing: send did not raise", self.server.stderr_text())
        self.assertServerHealthy()

    def test_disconnect_mid_body(self):
        """A client that leaves in the middle of a Content-Length body: the app's receive()
        yields http.disconnect (the body is incomplete), the server carries on."""
        mark = self.server.stderr_mark()
        sock = self.connect()
        sock.sendall(request("POST", "/wait-disconnect", [("Content-Length", "100")]) + b"only10byte")
        time.sleep(0.3)
        sock.close()
        self.assertIsNotNone(self.server.wait_for_stderr(GOT_DISCONNECT, 2, start=mark),
                             self.server.stderr_text())
        self.assertServerHealthy()


if __name__ == "__main__":
    unittest.main()
