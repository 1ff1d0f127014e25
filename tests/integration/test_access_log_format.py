"""--access-log-format: Gunicorn's atoms over the real server, written when the response is done
(so the body size and the duration are real), without the level prefix; a bad format is one line
and exit 3; without the option the line stays Uvicorn's."""

import re
import subprocess
import time
import unittest

from support import Reader, Server, request, server_binary

FORMAT = ('%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s %(B)s "%(f)s" "%(a)s" %(m)s %(U)s '
          '[%(q)s] %(H)s %(D)s %(M)s %(T)s %(L)s %(p)s %({x-request-id}i)s %({content-type}o)s')


class AccessLogFormatTest(unittest.TestCase):
    def start(self, *args, app="testing"):
        from support import testing_binary
        server = Server(app, *args, binary=testing_binary() if app == "testing" else None)
        self.addCleanup(server.kill)
        server.start()
        return server

    def exchange(self, server, method, path, headers=(), body=b""):
        with Reader(server.connect()) as reader:
            reader.send(request(method, path, [("Connection", "close"), *headers], body=body))
            return reader.read_response()

    def test_every_atom_with_real_values(self):
        server = self.start("--access-log-format", FORMAT)
        mark = server.stdout_mark()
        response = self.exchange(server, "GET", "/bytes?n=5000",
                                 [("User-Agent", "crab-test/1"), ("Referer", "http://ref/x"),
                                  ("X-Request-Id", "r-42")])
        self.assertEqual(response.status, 200)
        line = server.wait_for_stdout(r"GET /bytes", 3, mark)
        self.assertIsNotNone(line, server.stdout_text())
        pattern = (r'^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] '
                   r'"GET /bytes\?n=5000 HTTP/1\.1" 200 5000 5000 "http://ref/x" "crab-test/1" '
                   r'GET /bytes \[n=5000\] HTTP/1\.1 (\d+) (\d+) 0 0\.\d{6} (\d+) r-42 (\S+)$')
        match = re.match(pattern, line)
        self.assertIsNotNone(match, line)
        micro, milli, pid, content_type = match.groups()
        self.assertEqual(int(milli), int(micro) // 1000)
        self.assertEqual(int(pid), server.proc.pid)
        self.assertEqual(content_type, response.header("content-type"))

    def test_duration_covers_the_whole_response(self):
        server = self.start("--access-log-format", "%(r)s %(M)s", app="crab_app")
        mark = server.stdout_mark()
        self.assertEqual(self.exchange(server, "GET", "/slow?seconds=0.3").status, 200)
        line = server.wait_for_stdout(r"^GET /slow", 3, mark)
        self.assertGreaterEqual(int(line.split()[-1]), 300)

    def test_missing_values_and_a_server_error(self):
        server = self.start("--access-log-format", '%(s)s %(b)s "%(a)s" %({x-none}i)s')
        mark = server.stdout_mark()
        self.assertEqual(self.exchange(server, "GET", "/raise-before-start").status, 500)
        line = server.wait_for_stdout(r"^500 ", 3, mark)
        self.assertIsNotNone(line, server.stdout_text())
        self.assertRegex(line, r'^500 \d+ "-" -$')

    def test_client_input_cannot_forge_a_line(self):
        server = self.start("--access-log-format", '"%(a)s"')
        mark = server.stdout_mark()
        self.exchange(server, "GET", "/bytes?n=1", [("User-Agent", 'a" injected\tx\\')])
        line = server.wait_for_stdout(r"injected", 3, mark)
        self.assertEqual(line, '"a\\" injected\\x09x\\\\"')

    def test_default_stays_uvicorns_line(self):
        server = self.start(app="hello")
        mark = server.stdout_mark()
        self.exchange(server, "GET", "/x")
        self.assertIsNotNone(server.wait_for_stdout(
            r'^INFO: +127\.0\.0\.1:\d+ - "GET /x HTTP/1\.1" 200 OK$', 3, mark))

    def test_bad_format_is_exit_3(self):
        result = subprocess.run([server_binary(), "--app", "hello", "--access-log-format",
                                 "%(h)s %(nope)s"], capture_output=True, text=True, timeout=20)
        self.assertEqual(result.returncode, 3)
        lines = [l for l in result.stderr.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("%(nope)s is not an access-log atom", lines[0])


if __name__ == "__main__":
    unittest.main()
