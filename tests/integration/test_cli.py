"""The command line: --help/--version, startup errors (one line, exit status 3), the banner and
ephemeral port, worker threads, and clean shutdown on SIGINT/SIGTERM."""

import http.client
import signal
import socket
import subprocess
import time
import unittest

from support import HOST, Server, request, server_binary, Reader

STARTUP_FAILURE = 3


def run_cli(*args, timeout=20):
    """Runs the binary to completion; returns (exit status, stdout lines, stderr lines)."""
    proc = subprocess.run([server_binary(), *args], stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=timeout)
    return (proc.returncode, proc.stdout.decode("utf-8", "replace").splitlines(),
            proc.stderr.decode("utf-8", "replace").splitlines())


class CliExitTest(unittest.TestCase):
    """Invocations that end without serving."""

    def test_help(self):
        """--help: usage text listing the options, exit 0."""
        status, out, err = run_cli("--help")
        self.assertEqual(status, 0, err)
        text = "\n".join(out + err)
        self.assertRegex(text, r"(?i)usage")
        for option in ("--app", "--port", "--host", "--workers", "--threads", "--bind", "--fd",
                       "--backlog", "--timeout-keep-alive",
                       "--limit-request-body", "--root-path"):
            self.assertIn(option, text)

    def test_version(self):
        """--version: the version number, exit 0."""
        status, out, err = run_cli("--version")
        self.assertEqual(status, 0, err)
        self.assertRegex("\n".join(out + err), r"\d+\.\d+\.\d+")

    def test_unknown_app(self):
        """An unknown app: exactly one stderr line `Error loading ASGI app. ...`, exit 3."""
        status, out, err = run_cli("--app", "no_such_app", "--port", "0")
        self.assertEqual(status, STARTUP_FAILURE)
        self.assertEqual(len(err), 1, err)
        self.assertTrue(err[0].startswith("Error loading ASGI app."), err)
        self.assertIn("no_such_app", err[0])
        self.assertEqual(out, [])

    def test_unknown_positional_app(self):
        """The positional APP argument is checked the same way."""
        status, _, err = run_cli("no_such_app", "--port", "0")
        self.assertEqual(status, STARTUP_FAILURE)
        self.assertEqual(len(err), 1, err)
        self.assertTrue(err[0].startswith("Error loading ASGI app."), err)

    def test_bad_option_values(self):
        """A malformed or unknown option: one stderr line, exit 3, no traceback-like noise."""
        cases = [("--app", "hello", "--port", "abc"),
                 ("--app", "hello", "--nope"),
                 ("--app", "hello", "--workers", "0"),
                 ("--app", "hello", "--threads", "0"),
                 ("--app", "hello", "--bind", "localhost"),
                 ("--app", "hello", "--bind", "[::1]8000"),
                 ("--app", "hello", "--bind", "fd://x"),
                 ("--app", "hello", "--bind", "127.0.0.1:99999"),
                 ("--app", "hello", "--timeout-keep-alive", "-1"),
                 ("--app", "hello", "--log-level", "loud")]
        for args in cases:
            with self.subTest(args=args):
                status, out, err = run_cli(*args)
                self.assertEqual(status, STARTUP_FAILURE, err)
                self.assertEqual(len(err), 1, err)
                self.assertEqual(out, [])

    def test_no_app(self):
        """No app at all: one stderr line, exit 3."""
        status, _, err = run_cli("--port", "0")
        self.assertEqual(status, STARTUP_FAILURE)
        self.assertEqual(len(err), 1, err)

    def test_port_in_use(self):
        """A port someone else listens on: an ERROR line containing `error while attempting to
        bind on address`, exit 3, and no banner."""
        blocker = socket.socket()
        self.addCleanup(blocker.close)
        blocker.bind((HOST, 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        status, _, err = run_cli("--app", "hello", "--host", HOST, "--port", str(port))
        self.assertEqual(status, STARTUP_FAILURE, err)
        bind_errors = [l for l in err if "error while attempting to bind on address" in l]
        self.assertEqual(len(bind_errors), 1, err)
        self.assertTrue(bind_errors[0].startswith("ERROR:"), bind_errors)
        self.assertIn(str(port), bind_errors[0])
        self.assertFalse([l for l in err if "running on" in l], err)


class CliServeTest(unittest.TestCase):
    """Invocations that serve; every process is killed at cleanup."""

    def start(self, *args, app="hello"):
        server = Server(app, *args)
        self.addCleanup(server.kill)
        return server.start()

    def test_banner_and_ephemeral_port(self):
        """--port 0: the banner names the real port, which serves requests; the first stderr
        line is `INFO:     Started server process [PID]`."""
        server = self.start()
        self.assertNotEqual(server.port, 0)
        self.assertEqual(server.stderr_lines()[0], "INFO:     Started server process [%d]"
                         % server.proc.pid)
        conn = http.client.HTTPConnection(HOST, server.port, timeout=5)
        self.addCleanup(conn.close)
        conn.request("GET", "/")
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.read(), b"Hello, world!")

    def test_positional_app(self):
        """`asgiserver hello --port 0` serves hello."""
        server = Server("hello")
        server.argv = [server_binary(), "hello", "--host", HOST, "--port", "0"]
        self.addCleanup(server.kill)
        server.start()
        with Reader(server.connect()) as r:
            r.send(request("GET", "/"))
            self.assertEqual(r.read_response().body, b"Hello, world!")

    def check_signal(self, signum, idle_connection=False):
        server = self.start()
        if idle_connection:
            idle = Reader(server.connect())
            self.addCleanup(idle.sock.close)
            idle.send(request("GET", "/"))
            self.assertEqual(idle.read_response().status, 200)
        started = time.monotonic()
        server.signal(signum)
        try:
            status = server.wait(10)
        except subprocess.TimeoutExpired:
            self.fail("server still running 10 s after the signal; stderr:\n" + server.stderr_text())
        self.assertEqual(status, 0, server.stderr_text())
        self.assertLess(time.monotonic() - started, 5)
        err = server.stderr_lines()
        self.assertIn("INFO:     Shutting down", err)
        self.assertEqual(err[-1], "INFO:     Finished server process [%d]" % server.proc.pid)

    def test_sigint_shuts_down_cleanly(self):
        """SIGINT: `Shutting down`, `Finished server process [PID]`, exit 0, within 5 s."""
        self.check_signal(signal.SIGINT)

    def test_sigterm_shuts_down_cleanly(self):
        """SIGTERM: the same."""
        self.check_signal(signal.SIGTERM)

    def test_idle_keep_alive_connection_does_not_delay_shutdown(self):
        """An idle keep-alive connection (after a complete response) is closed at once on
        SIGINT, so the server still exits within 5 s."""
        self.check_signal(signal.SIGINT, idle_connection=True)

    def test_several_threads(self):
        """--threads 3: 30 connections spread over the event-loop threads are all served."""
        server = self.start("--threads", "3")
        readers = [Reader(server.connect()) for _ in range(30)]
        for r in readers:
            self.addCleanup(r.sock.close)
            r.send(request("GET", "/"))
        for r in readers:
            self.assertEqual(r.read_response().body, b"Hello, world!")

    def test_log_level_warning_hides_info(self):
        """--log-level warning: not one INFO line on stderr (not even the banner); exit 0."""
        server = Server("hello", "--log-level", "warning")
        self.addCleanup(server.kill)
        server.proc = subprocess.Popen(server.argv, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.0)
        self.assertIsNone(server.proc.poll())
        server.proc.send_signal(signal.SIGINT)
        out, err = server.proc.communicate(timeout=10)
        self.assertEqual(server.proc.returncode, 0)
        self.assertNotIn(b"INFO:", err)


if __name__ == "__main__":
    unittest.main()
