"""The access log on stdout, in Uvicorn's exact format, with request paths quoted so that no
control character from a request ever reaches the terminal; --no-access-log turns it off."""

import unittest

from support import Reader, Server, ServerTestCase, request


class AccessLogTest(ServerTestCase):
    APP = "hello"

    def access_line(self, data, expected_request, status="200 OK"):
        """Sends `data` and returns the access line for it, checked against the exact format."""
        mark = self.server.stdout_mark()
        r = self.reader()
        port = r.sock.getsockname()[1]
        r.send(data)
        r.read_response()
        expected = 'INFO:     127.0.0.1:%d - "%s" %s' % (port, expected_request, status)
        line = self.server.wait_for_stdout(r"127\.0\.0\.1:%d " % port, 3, start=mark)
        self.assertEqual(line, expected)
        return line

    def test_exact_format(self):
        """`INFO:     127.0.0.1:PORT - "GET /path?q=1 HTTP/1.1" 200 OK`."""
        self.access_line(request("GET", "/path?q=1"), "GET /path?q=1 HTTP/1.1")

    def test_http10_and_method(self):
        """The method and protocol version are the request's."""
        self.access_line(request("POST", "/form", body=b"a=1", version="1.0"),
                         "POST /form HTTP/1.0")

    def test_percent_decoded_path(self):
        """The path is logged percent-decoded (spaces re-quoted as %20), the query as sent."""
        self.access_line(request("GET", "/a%2Db%20c?x=%41"), "GET /a-b%20c?x=%41 HTTP/1.1")
        self.access_line(request("GET", "/caf%c3%a9"), "GET /caf%C3%A9 HTTP/1.1")

    def test_control_characters_never_logged_raw(self):
        """`/%1b%5b31mX%0d%0aFAKE`: no raw ESC, CR or LF reaches any log, so no forged line."""
        r = self.reader()
        port = r.sock.getsockname()[1]
        r.send(request("GET", "/%1b%5b31mX%0d%0aFAKE"))
        self.assertEqual(r.read_response().status, 200)
        line = self.server.wait_for_stdout(r"127\.0\.0\.1:%d " % port, 3)
        self.assertIsNotNone(line)
        self.assertIn("X", line)
        self.assertIn("FAKE", line)  # still there, but on the same line, quoted
        for text in self.server.stdout_lines() + self.server.stderr_lines():
            self.assertNotIn("\x1b", text)
            self.assertNotIn("\r", text)
            self.assertFalse(text.startswith("FAKE"), text)

    def test_control_characters_in_query(self):
        """A query with encoded control characters stays encoded in the log."""
        line = self.access_line(request("GET", "/q?a=%0d%0aFAKE"), "GET /q?a=%0d%0aFAKE HTTP/1.1")
        self.assertNotIn("\r", line)


class NoAccessLogTest(unittest.TestCase):
    def test_no_access_log(self):
        """--no-access-log: requests are served and stdout stays completely empty."""
        server = Server("hello", "--no-access-log")
        self.addCleanup(server.kill)
        server.start()
        for _ in range(3):
            with Reader(server.connect()) as r:
                r.send(request("GET", "/quiet"))
                self.assertEqual(r.read_response().status, 200)
        server.stop()  # SIGINT and wait: all output is flushed and collected
        self.assertEqual(server.stdout_lines(), [])
        self.assertIn("INFO:     Shutting down", server.stderr_lines())


if __name__ == "__main__":
    unittest.main()
