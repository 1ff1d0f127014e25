"""Memory stays bounded when a client sends far more than the server can pass on: a pipelined
request body behind an app that is still busy, and pipelined requests whose responses the client
never reads. Both are measured as the growth of the server process's peak resident set (VmHWM)
over its peak before the load, so each test runs its own fresh server (the peak of an earlier
test must not count), and a sanitizer build's bigger footprint does not count either."""

import socket
import threading
import time
import unittest

from support import IO_TIMEOUT, Reader, Server, connect, request, testing_binary

MIB = 1024 * 1024
# Socket buffers are kernel memory and do not count; growth anywhere near the 64 MiB or 125 MiB
# at stake means the server took it into its own memory.
MAX_GROWTH = 40 * MIB


def peak_rss(pid):
    """The process's peak resident set size in bytes (VmHWM in /proc/PID/status)."""
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmHWM:"):
                value, unit = line.split()[1:3]
                assert unit == "kB", line
                return int(value) * 1024
    raise AssertionError("no VmHWM in /proc/%d/status" % pid)


def cpu_ticks(pid):
    """User plus system CPU time the process has used, in clock ticks."""
    with open("/proc/%d/stat" % pid) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


def wait_until_idle(pid, quiet=1.0, limit=60.0):
    """Returns once the process has used no CPU for `quiet` seconds (or after `limit`): it has
    done all it can and waits for its peer. Independent of how loaded the machine is."""
    deadline = time.monotonic() + limit
    last, last_change = cpu_ticks(pid), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        ticks = cpu_ticks(pid)
        if ticks != last:
            last, last_change = ticks, time.monotonic()
        elif time.monotonic() - last_change >= quiet:
            return


def padded_request(target, length):
    """A GET of `target` made exactly `length` bytes long by an x-pad header."""
    bare = request("GET", target, [("X-Pad", "")])
    padded = request("GET", target, [("X-Pad", "p" * (length - len(bare)))])
    assert len(padded) == length, (target, length)
    return padded


class Pusher(threading.Thread):
    """Sends `data` on `sock` until all is sent or stop(), counting the bytes the kernel
    accepted. A full socket buffer only makes it retry (it checks for stop() every 0.2 s)."""

    def __init__(self, sock, data):
        super().__init__(daemon=True)
        self.sock = sock
        self.data = memoryview(data)
        self.accepted = 0
        self.stopped = threading.Event()
        self.error = None

    def run(self):
        self.sock.settimeout(0.2)
        try:
            while self.accepted < len(self.data) and not self.stopped.is_set():
                try:
                    self.accepted += self.sock.send(self.data[self.accepted:self.accepted + MIB])
                except socket.timeout:
                    continue
        except OSError as e:
            self.error = e

    def stop(self):
        self.stopped.set()
        self.join(10)

    def wait_until_stalled(self, quiet=1.0, limit=15.0):
        """Returns once everything is sent, or nothing more was accepted for `quiet` seconds, or
        after `limit` seconds."""
        deadline = time.monotonic() + limit
        last, last_change = self.accepted, time.monotonic()
        while time.monotonic() < deadline and self.is_alive():
            time.sleep(0.1)
            if self.accepted != last:
                last, last_change = self.accepted, time.monotonic()
            elif time.monotonic() - last_change >= quiet:
                return


class MemoryBoundsTest(unittest.TestCase):

    def start_server(self):
        server = Server("testing", binary=testing_binary())
        self.addCleanup(server.kill)
        server.start()
        return server

    def test_pipelined_body_behind_a_waiting_app_is_not_read_into_memory(self):
        """The app of the first request (GET /wait-disconnect) has its body and waits in
        receive() for the client to leave; meanwhile the server watches the socket. A second,
        pipelined request arrives behind it with a 64 MiB body. The server buffers only a little
        of it (the client stalls on full socket buffers) instead of reading the whole body while
        the first app waits: its peak RSS grows by less than 40 MiB, and it still serves new
        clients."""
        server = self.start_server()
        mark = server.stderr_mark()
        sock = connect(server.port)
        self.addCleanup(sock.close)
        sock.sendall(request("GET", "/wait-disconnect"))
        line = server.wait_for_stderr(r"^testing: body complete", 5, start=mark)
        self.assertEqual(line, "testing: body complete (0 bytes)", server.stderr_text())
        before = peak_rss(server.proc.pid)

        body_size = 64 * MIB
        upload = request("POST", "/read-slowly", [("Content-Length", str(body_size))])
        upload += b"x" * body_size
        pusher = Pusher(sock, upload)
        pusher.start()
        self.addCleanup(pusher.stop)
        pusher.wait_until_stalled()
        peak = peak_rss(server.proc.pid)
        accepted = pusher.accepted
        pusher.stop()
        self.assertIsNone(pusher.error)
        # The first app is still waiting: the client has not left.
        self.assertIsNone(server.wait_for_stderr(r"^testing: got ", 0, start=mark))
        self.assertLess(peak - before, MAX_GROWTH,
                        "server peak RSS grew from %.1f to %.1f MiB (client got %.1f MiB of the "
                        "body accepted)" % (before / MIB, peak / MIB, accepted / MIB))
        self.assertLess(accepted, body_size // 2)

        sock.close()
        self.assertServes(server)

    def test_unread_pipelined_responses_do_not_pile_up(self):
        """A client pipelines 2,000 requests for 64 KiB responses (125 MiB in all) and reads
        none of them. The server writes until the socket buffers are full and then reads no
        more requests until the client catches up, so the responses it owes are never all held
        in memory: its peak RSS grows by less than 40 MiB. Reading them afterwards yields every
        response, complete and in order.

        The first request is slow (its response ends after 1 s), so all the others already
        wait in the socket when the server gets to them; each is exactly 1 KiB, so every read
        ends inside a request and the server always has the start of another one buffered
        while it answers: nothing but its own limit on owed output stops it."""
        server = self.start_server()
        count, size = 2000, 64 * 1024
        slow = request("GET", "/stream?chunks=2&delay_ms=1000")
        requests = [padded_request("/bytes?n=%d&i=%05d" % (size, i), 1024) for i in range(count)]
        sock = connect(server.port)
        self.addCleanup(sock.close)
        pusher = Pusher(sock, slow + b"".join(requests))
        before = peak_rss(server.proc.pid)
        started = time.monotonic()
        pusher.start()
        self.addCleanup(pusher.stop)
        pusher.wait_until_stalled()
        # Once the slow response is over, the server has gone as far as it will when it stops
        # using the CPU.
        time.sleep(max(0.0, started + 1.5 - time.monotonic()))
        wait_until_idle(server.proc.pid, limit=60)
        peak = peak_rss(server.proc.pid)
        total = len(slow) + count * 1024
        self.assertLess(peak - before, MAX_GROWTH,
                        "server peak RSS grew from %.1f to %.1f MiB with %d of %d request bytes "
                        "sent" % (before / MIB, peak / MIB, pusher.accepted, total))

        # Now read: the server resumes, and every response arrives whole.
        sock.settimeout(IO_TIMEOUT)
        reader = Reader(sock)
        self.assertEqual(reader.read_response().body, b"chunk-0\nchunk-1\n")
        expected = bytes(i % 251 for i in range(size))
        for i in range(count):
            resp = reader.read_response()
            self.assertEqual(resp.status, 200)
            self.assertEqual(resp.body, expected, "response %d" % i)
        pusher.stop()
        self.assertIsNone(pusher.error)
        self.assertEqual(pusher.accepted, total)

    def assertServes(self, server):
        self.assertTrue(server.alive(), server.stderr_text())
        with connect(server.port) as sock:
            sock.sendall(request("GET", "/stream?chunks=1&delay_ms=0", [("Connection", "close")]))
            data = b""
            while True:
                piece = sock.recv(65536)
                if not piece:
                    break
                data += piece
        self.assertTrue(data.startswith(b"HTTP/1.1 200 OK\r\n"), data[:200])


if __name__ == "__main__":
    unittest.main()
