"""Binding: several --bind addresses at once (IPv4 and IPv6), unix:, an inherited fd:// and --fd,
systemd socket activation (LISTEN_FDS) and readiness (NOTIFY_SOCKET), the banner listing every
address, and --threads serving on event-loop threads that each accept on their own."""

import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from support import (IO_TIMEOUT, STARTUP_TIMEOUT, Reader, Server, request, server_binary,
                     testing_binary)

ANY_BANNER = re.compile(r"asgiserver running on (\S+(?: \S+)*?) \(Press CTRL\+C to quit\)")


class BindServer(Server):
    """A Server started with exactly `args` (no --host/--port), waiting for `banners` lines."""

    def __init__(self, app, *args, banners=1, binary=None, env=None, pass_fds=(), wrapper=()):
        super().__init__(app, *args, binary=binary)
        self.argv = list(wrapper) + [binary or server_binary(), "--app", app, *map(str, args)]
        self.banners = banners
        self.env = env
        self.pass_fds = pass_fds
        self.addresses = []

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=self.env, pass_fds=self.pass_fds)
        import threading
        for stream, sink in ((self.proc.stdout, self._stdout), (self.proc.stderr, self._stderr)):
            thread = threading.Thread(target=self._pump, args=(stream, sink), daemon=True)
            thread.start()
            self._threads.append(thread)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while len(self.addresses) < self.banners and time.monotonic() < deadline:
            self.addresses = [ANY_BANNER.search(l).group(1) for l in self.stderr_lines()
                              if ANY_BANNER.search(l)]
            time.sleep(0.02)
        if len(self.addresses) < self.banners:
            self.kill()
            raise AssertionError("banners missing; stderr:\n" + self.stderr_text())
        return self


def tcp_port(address):
    return int(address.rsplit(":", 1)[1])


def get(sock, path="/"):
    with Reader(sock) as reader:
        reader.send(request("GET", path))
        return reader.read_response()


def connect_to(address, timeout=IO_TIMEOUT):
    if address.startswith("unix socket "):
        sock = socket.socket(socket.AF_UNIX)
        sock.settimeout(timeout)
        sock.connect(address[len("unix socket "):])
        return sock
    host = address[len("http://"):].rsplit(":", 1)[0].strip("[]")
    return socket.create_connection((host, tcp_port(address)), timeout)


class BindTest(unittest.TestCase):
    def start(self, *args, **options):
        server = BindServer(*args, **options)
        self.addCleanup(server.kill)
        return server.start()

    def test_ipv4_and_ipv6_at_once(self):
        server = self.start("inspect", "--bind", "127.0.0.1:0", "--bind", "[::1]:0", banners=2)
        self.assertRegex(server.addresses[0], r"^http://127\.0\.0\.1:\d+$")
        self.assertRegex(server.addresses[1], r"^http://\[::1\]:\d+$")
        v4 = json.loads(get(connect_to(server.addresses[0])).body)
        v6 = json.loads(get(connect_to(server.addresses[1])).body)
        self.assertEqual(v4["server"], ["127.0.0.1", tcp_port(server.addresses[0])])
        self.assertEqual(v6["server"], ["::1", tcp_port(server.addresses[1])])
        self.assertEqual(v6["client"][0], "::1")

    def test_unix_and_tcp_together(self):
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        path = os.path.join(directory.name, "a.sock")
        server = self.start("hello", "--bind", "unix:" + path, "-b", "127.0.0.1:0", banners=2)
        self.assertEqual(server.addresses[0], "unix socket " + path)
        for address in server.addresses:
            self.assertEqual(get(connect_to(address)).body, b"Hello, world!")
        server.stop()
        self.assertFalse(os.path.exists(path), "socket file left behind")

    def test_inherited_fd(self):
        for form in (("--fd", "{fd}"), ("--bind", "fd://{fd}")):
            with self.subTest(form=form[0]):
                listener = socket.socket()
                listener.bind(("127.0.0.1", 0))
                listener.listen(16)
                self.addCleanup(listener.close)
                fd = listener.fileno()
                server = self.start("hello", form[0], form[1].format(fd=fd), pass_fds=(fd,))
                port = listener.getsockname()[1]
                self.assertEqual(server.addresses, ["http://127.0.0.1:%d" % port])
                self.assertEqual(get(socket.create_connection(("127.0.0.1", port))).status, 200)
                server.stop()

    def test_fd_that_is_not_a_listening_socket(self):
        read_end, write_end = os.pipe()
        self.addCleanup(os.close, read_end)
        self.addCleanup(os.close, write_end)
        result = subprocess.run([server_binary(), "--app", "hello", "--fd", str(read_end)],
                                capture_output=True, text=True, pass_fds=(read_end,), timeout=20)
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn("not a listening stream socket", result.stderr)

    def test_systemd_socket_activation_and_notify(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        self.addCleanup(listener.close)
        port = listener.getsockname()[1]
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        notify_path = os.path.join(directory.name, "notify")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.settimeout(STARTUP_TIMEOUT)
        self.addCleanup(notify.close)
        env = dict(os.environ, LISTEN_FDS="1", NOTIFY_SOCKET=notify_path)
        # systemd puts the socket at fd 3 and names the service's pid in LISTEN_PID.
        wrapper = ("sh", "-c", 'exec 3<&%d; LISTEN_PID=$$ exec "$@"' % listener.fileno(), "sh")
        server = self.start("inspect", env=env, pass_fds=(listener.fileno(),), wrapper=wrapper)
        self.assertEqual(server.addresses, ["http://127.0.0.1:%d" % port])
        self.assertEqual(notify.recv(4096), b"READY=1")
        scope = json.loads(get(socket.create_connection(("127.0.0.1", port))).body)
        self.assertEqual(scope["server"], ["127.0.0.1", port])
        server.signal(signal.SIGTERM)
        self.assertEqual(notify.recv(4096), b"STOPPING=1")
        self.assertEqual(server.wait(), 0)

    def test_ipv6_wildcard_is_ipv6_only(self):
        """[::]:PORT does not take IPv4 (as nginx): 0.0.0.0 on the same port binds beside it."""
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        port = probe.getsockname()[1]
        probe.close()
        server = self.start("hello", "--bind", "[::]:%d" % port, "--bind", "0.0.0.0:%d" % port,
                            banners=2)
        self.assertEqual(server.addresses, ["http://[::]:%d" % port, "http://0.0.0.0:%d" % port])
        self.assertEqual(get(socket.create_connection(("127.0.0.1", port))).status, 200)
        self.assertEqual(get(socket.create_connection(("::1", port))).status, 200)

    def test_port_in_use_is_exit_3(self):
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        self.addCleanup(taken.close)
        port = taken.getsockname()[1]
        for threads in ("1", "2"):
            result = subprocess.run([server_binary(), "--app", "hello", "--threads", threads,
                                     "--bind", "127.0.0.1:%d" % port],
                                    capture_output=True, text=True, timeout=20)
            self.assertEqual(result.returncode, 3, result.stderr)
            self.assertIn("error while attempting to bind on address", result.stderr)


class ThreadsTest(unittest.TestCase):
    def test_threads_serve_concurrently(self):
        server = BindServer("testing", "--threads", "2", "--bind", "127.0.0.1:0",
                            binary=testing_binary())
        self.addCleanup(server.kill)
        server.start()
        port = tcp_port(server.addresses[0])
        readers = {}
        for _ in range(40):  # the kernel spreads connections over the two sockets by hash
            reader = Reader(socket.create_connection(("127.0.0.1", port), IO_TIMEOUT))
            self.addCleanup(reader.sock.close)
            reader.send(request("GET", "/thread"))
            readers.setdefault(reader.read_response().body, reader)
            if len(readers) == 2:
                break
        self.assertEqual(len(readers), 2, "every connection landed on one thread")
        blocked, free = readers.values()
        blocked.send(request("GET", "/block?ms=2000"))
        time.sleep(0.2)
        started = time.monotonic()
        free.send(request("GET", "/thread"))
        self.assertEqual(free.read_response().status, 200)
        self.assertLess(time.monotonic() - started, 1.0, "the other thread was blocked too")
        self.assertEqual(blocked.read_response().body, b"unblocked")


if __name__ == "__main__":
    unittest.main()
