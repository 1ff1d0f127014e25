"""Shared helpers for the integration tests: run the real server binary, talk raw HTTP to it.

Server(...) starts `asgiserver` on an ephemeral port, waits for its banner and collects its
stdout (access log) and stderr (server log) in background threads. ServerTestCase starts one
server per test class and always kills it at class teardown. Reader wraps a socket and parses
HTTP/1.x responses exactly (content-length, chunked with trailers, close-delimited), keeping any
bytes that follow for the next response, so pipelining and framing can be checked byte for byte.
"""

import os
import re
import signal
import socket
import subprocess
import threading
import time
import unittest

HOST = "127.0.0.1"
# Generous: the suite also runs against AddressSanitizer builds, which are several times slower.
STARTUP_TIMEOUT = 20.0
IO_TIMEOUT = 5.0

SANITIZER_REPORT = re.compile(r"(Address|Leak|Thread|UndefinedBehavior)Sanitizer|runtime error: ")
BANNER = re.compile(r"asgiserver running on http://127\.0\.0\.1:(\d+) \(Press CTRL\+C to quit\)")


def free_port():
    """A TCP port nobody listens on now, for a server or proxy a test starts itself."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_binary():
    """The shipped server binary, from $ASGISERVER."""
    path = os.environ.get("ASGISERVER")
    if not path:
        raise RuntimeError("set ASGISERVER to the asgiserver binary")
    return path


def testing_binary():
    """The server binary that also contains the `testing` app: $ASGISERVER_TESTING, or
    asgiserver_testing next to $ASGISERVER (both land in the build directory's root)."""
    path = os.environ.get("ASGISERVER_TESTING")
    if path:
        return path
    return os.path.join(os.path.dirname(server_binary()), "asgiserver_testing")


class Server:
    """One server process on an ephemeral port, with its output captured line by line."""

    def __init__(self, app, *args, binary=None, port=0):
        self.argv = [binary or server_binary(), "--app", app, "--host", HOST, "--port", str(port)]
        self.argv += [str(a) for a in args]
        self.proc = None
        self.port = None
        self._stdout = []
        self._stderr = []
        self._cond = threading.Condition()
        self._threads = []

    # ---- lifecycle ------------------------------------------------------------------------------

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        for stream, sink in ((self.proc.stdout, self._stdout), (self.proc.stderr, self._stderr)):
            thread = threading.Thread(target=self._pump, args=(stream, sink), daemon=True)
            thread.start()
            self._threads.append(thread)
        line = self.wait_for_stderr(self.BANNER, STARTUP_TIMEOUT)
        if line is None:
            self.kill()
            raise AssertionError("server did not print its banner; stderr:\n" + self.stderr_text())
        self.on_banner(self.BANNER.search(line))
        return self

    BANNER = BANNER

    def on_banner(self, match):
        self.port = int(match.group(1))

    def _pump(self, stream, sink):
        for raw in iter(stream.readline, b""):
            with self._cond:
                sink.append(raw.decode("utf-8", "backslashreplace").rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def signal(self, signum):
        self.proc.send_signal(signum)

    def wait(self, timeout=STARTUP_TIMEOUT):
        """Waits for the process to exit; returns its status. Also drains its output."""
        status = self.proc.wait(timeout)
        for thread in self._threads:
            thread.join(timeout)
        return status

    def kill(self):
        """Ends the process whatever its state (SIGKILL), and reaps it. Safe to call twice."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.wait(10)
        except subprocess.TimeoutExpired:
            pass
        # Closing a pipe another thread is still reading blocks until that read ends, which is
        # never if a child of the server (an orphaned worker) holds the pipe open.
        if any(thread.is_alive() for thread in self._threads):
            return
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()

    def stop(self):
        """SIGINT, then SIGKILL if it did not exit in time."""
        if self.proc is None or self.proc.poll() is not None:
            self.kill()
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # ---- captured output --------------------------------------------------------------------------

    def stdout_lines(self):
        with self._cond:
            return list(self._stdout)

    def stderr_lines(self):
        with self._cond:
            return list(self._stderr)

    def stderr_text(self):
        return "\n".join(self.stderr_lines())

    def stdout_text(self):
        return "\n".join(self.stdout_lines())

    def _wait_for(self, sink, pattern, timeout, start):
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in sink[start:]:
                    if regex.search(line):
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(min(remaining, 0.1))

    def wait_for_stderr(self, pattern, timeout=5.0, start=0):
        """The first stderr line (from index `start`) matching `pattern`, or None after `timeout`."""
        return self._wait_for(self._stderr, pattern, timeout, start)

    def wait_for_stdout(self, pattern, timeout=5.0, start=0):
        return self._wait_for(self._stdout, pattern, timeout, start)

    def stderr_mark(self):
        """An index to pass as `start`, to look only at lines logged from now on."""
        with self._cond:
            return len(self._stderr)

    def stdout_mark(self):
        with self._cond:
            return len(self._stdout)

    # ---- clients ------------------------------------------------------------------------------------

    def connect(self, timeout=IO_TIMEOUT):
        return connect(self.port, timeout)

    def url(self, path="/"):
        return "http://%s:%d%s" % (HOST, self.port, path)


class ServerTestCase(unittest.TestCase):
    """Starts one server per test class: set APP, ARGS and optionally TESTING_BINARY = True."""

    APP = "hello"
    ARGS = ()
    TESTING_BINARY = False
    # What assertServerHealthy sends on a fresh connection, and the status it expects back.
    HEALTH_REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    HEALTH_STATUS = 200

    @classmethod
    def setUpClass(cls):
        binary = testing_binary() if cls.TESTING_BINARY else None
        cls.server = Server(cls.APP, *cls.ARGS, binary=binary)
        cls.addClassCleanup(cls.server.kill)
        cls.server.start()

    def setUp(self):
        self._sockets = []

    def tearDown(self):
        for sock in self._sockets:
            sock.close()
        self.assertNoSanitizerReport()

    def assertNoSanitizerReport(self):
        """Sanitizer builds abort on the first error; make that a clear failure of the test that
        triggered it rather than a puzzling one later."""
        reports = [l for l in self.server.stderr_lines() if SANITIZER_REPORT.search(l)]
        self.assertEqual(reports, [], "sanitizer report:\n" + self.server.stderr_text())

    def connect(self, timeout=IO_TIMEOUT):
        """A fresh connection to the class's server, closed at tearDown."""
        sock = self.server.connect(timeout)
        self._sockets.append(sock)
        return sock

    def reader(self, timeout=IO_TIMEOUT):
        return Reader(self.connect(timeout))

    def fetch(self, data, head_request=False):
        """Sends `data` on a fresh connection and returns the first response."""
        r = self.reader()
        r.send(data)
        return r.read_response(head_request=head_request)

    def assertServerHealthy(self):
        """The server is still running and answers a fresh request (GET / by default)."""
        self.assertTrue(self.server.alive(), "server process died:\n" + self.server.stderr_text())
        with Reader(self.server.connect()) as r:
            r.send(self.HEALTH_REQUEST)
            resp = r.read_response()
        self.assertEqual(resp.status, self.HEALTH_STATUS, resp.raw)


def connect(port, timeout=IO_TIMEOUT):
    sock = socket.create_connection((HOST, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class Response:
    """A parsed response. `headers` keeps (lowercased name, value) pairs in order."""

    def __init__(self):
        self.version = None
        self.status = None
        self.reason = None
        self.headers = []
        self.body = b""
        self.trailers = []
        self.chunks = []  # chunk payloads, for chunked responses
        self.raw = b""  # every byte of this response as received
        self.complete = False

    def header(self, name):
        """The only value of `name` (None if absent); fails if it appears more than once."""
        values = self.header_all(name)
        if len(values) > 1:
            raise AssertionError("header %r repeated: %r" % (name, values))
        return values[0] if values else None

    def header_all(self, name):
        return [v for n, v in self.headers if n == name.lower()]

    def has_header(self, name):
        return bool(self.header_all(name))

    def __repr__(self):
        return "<Response %s %r %r>" % (self.status, self.headers, self.body[:200])


class ConnectionClosed(Exception):
    """The server closed the connection before a complete response arrived."""

    def __init__(self, message, data=b""):
        super().__init__(message)
        self.data = data


class ResponseTimeout(AssertionError):
    """No data arrived from the server within the socket timeout."""


class Reader:
    """Reads HTTP/1.x responses from a socket, keeping unparsed bytes for the next call."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.eof = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        if self.eof:
            return False
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        except socket.timeout:
            raise ResponseTimeout("nothing received from the server for %.1fs; buffered so far: %r"
                                  % (self.sock.gettimeout(), self.buf[:300])) from None
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def _take(self, n):
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_line(self):
        while b"\r\n" not in self.buf:
            if not self._fill():
                raise ConnectionClosed("closed while reading a line", self.buf)
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def read_exact(self, n):
        while len(self.buf) < n:
            if not self._fill():
                raise ConnectionClosed("closed after %d of %d bytes" % (len(self.buf), n), self.buf)
        return self._take(n)

    def read_head(self, resp):
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                raise ConnectionClosed("closed while reading a response head", self.buf)
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        resp.raw += head + b"\r\n\r\n"
        lines = head.split(b"\r\n")
        match = re.match(rb"HTTP/(\d\.\d) (\d{3}) (.*)$", lines[0])
        if not match:
            raise AssertionError("bad status line: %r" % lines[0])
        resp.version = match.group(1).decode()
        resp.status = int(match.group(2))
        resp.reason = match.group(3).decode("latin-1")
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep or name != name.strip():
                raise AssertionError("bad header line: %r" % line)
            resp.headers.append((name.decode("latin-1").lower(), value.strip().decode("latin-1")))

    def read_response(self, head_request=False):
        """Reads one complete response (a 1xx counts as one). Raises ConnectionClosed if the
        connection ends before it is complete."""
        resp = Response()
        self.read_head(resp)
        te = resp.header_all("transfer-encoding")
        cl = resp.header_all("content-length")
        if te and cl:
            raise AssertionError("both transfer-encoding and content-length: %r" % resp.headers)
        if head_request or resp.status < 200 or resp.status in (204, 304):
            pass
        elif te:
            if te != ["chunked"]:
                raise AssertionError("unexpected transfer-encoding %r" % te)
            self._read_chunked(resp)
        elif cl:
            if len(cl) != 1:
                raise AssertionError("repeated content-length %r" % cl)
            resp.body = self.read_exact(int(cl[0]))
            resp.raw += resp.body
        else:
            resp.body = self.read_until_close()
            resp.raw += resp.body
        resp.complete = True
        return resp

    def _read_chunked(self, resp):
        while True:
            try:
                size_line = self.read_line()
            except ConnectionClosed as e:
                resp.raw += e.data
                raise ConnectionClosed("closed inside a chunked body", resp.raw)
            resp.raw += size_line + b"\r\n"
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            data = self.read_exact(size)
            crlf = self.read_exact(2)
            resp.raw += data + crlf
            if crlf != b"\r\n":
                raise AssertionError("chunk not followed by CRLF: %r" % crlf)
            resp.chunks.append(data)
            resp.body += data
        while True:
            line = self.read_line()
            resp.raw += line + b"\r\n"
            if not line:
                break
            name, _, value = line.partition(b":")
            resp.trailers.append((name.decode("latin-1").lower(), value.strip().decode("latin-1")))

    def read_until_close(self, timeout=IO_TIMEOUT):
        """Every byte until the server closes; fails if it has not closed within `timeout`."""
        deadline = time.monotonic() + timeout
        old = self.sock.gettimeout()
        try:
            while not self.eof:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("server did not close the connection within %.1fs; "
                                         "received %r" % (timeout, self.buf[:300])) from None
                self.sock.settimeout(remaining)
                try:
                    self._fill()
                except ResponseTimeout:
                    raise AssertionError("server did not close the connection within %.1fs; "
                                         "received %r" % (timeout, self.buf[:300])) from None
        finally:
            self.sock.settimeout(old)
        return self._take(len(self.buf))

    def assert_closed(self, timeout=IO_TIMEOUT):
        """The server closes the connection within `timeout` without sending anything more."""
        rest = self.read_until_close(timeout)
        if rest:
            raise AssertionError("unexpected bytes before close: %r" % rest[:300])

    def assert_open(self, wait=0.5):
        """Nothing arrives and the connection stays open for `wait` seconds."""
        old = self.sock.gettimeout()
        self.sock.settimeout(wait)
        try:
            got = self._fill()
        except ResponseTimeout:
            return
        finally:
            self.sock.settimeout(old)
        if got:
            raise AssertionError("unexpected bytes: %r" % self.buf[:300])
        raise AssertionError("server closed the connection")


def request(method, path, headers=(), body=b"", version="1.1", host=True):
    """Raw request bytes. `headers` is a sequence of (name, value); a Content-Length is added
    for a non-empty body unless a Content-Length or Transfer-Encoding header is given."""
    lines = ["%s %s HTTP/%s" % (method, path, version)]
    names = {n.lower() for n, _ in headers}
    if host and "host" not in names:
        lines.append("Host: localhost")
    lines += ["%s: %s" % (n, v) for n, v in headers]
    if body and not names & {"content-length", "transfer-encoding"}:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(*pieces):
    """A chunked body made of `pieces`, with the terminating 0-chunk."""
    out = b""
    for piece in pieces:
        out += b"%x\r\n%s\r\n" % (len(piece), piece)
    return out + b"0\r\n\r\n"


def exchange(port, data, timeout=IO_TIMEOUT):
    """Sends `data` on a fresh connection and returns everything received until the close."""
    with Reader(connect(port, timeout)) as r:
        r.send(data)
        return r.read_until_close(timeout)


IMF_FIXDATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} GMT$")
