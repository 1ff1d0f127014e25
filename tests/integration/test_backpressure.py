"""Backpressure: the server reads a request body only as fast as the app asks for it, so a client
pushing a huge body into an app that does not read it stalls on full kernel buffers instead of
filling the server's memory."""

import socket
import threading
import time
import unittest

from support import ServerTestCase, request

BODY_SIZE = 64 * 1024 * 1024
# Loopback socket buffers (client send + server receive) hold a few MB; anything near the whole
# body means the server read it into memory.
MAX_ACCEPTED = 32 * 1024 * 1024


class Uploader(threading.Thread):
    """Pushes a 64 MB body after `head` until stopped, counting the bytes the kernel accepted."""

    def __init__(self, sock, head):
        super().__init__(daemon=True)
        self.sock = sock
        self.head = head
        self.accepted = 0
        self.stopped = threading.Event()
        self.error = None

    def run(self):
        piece = b"x" * (256 * 1024)
        try:
            self.sock.sendall(self.head)
            self.sock.settimeout(0.2)
            while self.accepted < BODY_SIZE and not self.stopped.is_set():
                try:
                    self.accepted += self.sock.send(piece[: BODY_SIZE - self.accepted])
                except socket.timeout:
                    continue
        except OSError as e:
            self.error = e

    def stop(self):
        self.stopped.set()
        self.join(10)


class BackpressureTest(ServerTestCase):
    """A slow app that never reads its body (crab_app /slow)."""

    APP = "crab_app"

    def upload_while(self, path):
        sock = self.connect()
        uploader = Uploader(sock, request("GET", path, [("Content-Length", str(BODY_SIZE))]))
        uploader.start()
        self.addCleanup(uploader.stop)
        time.sleep(1.5)
        accepted = uploader.accepted
        uploader.stop()
        sock.close()
        return accepted

    def test_unread_body_is_not_slurped(self):
        """After 1.5 s of pushing a 64 MB body at /slow?seconds=3, far less than 64 MB has been
        accepted; afterwards the server still answers a fresh request."""
        accepted = self.upload_while("/slow?seconds=3")
        self.assertGreater(accepted, 0)
        self.assertLess(accepted, MAX_ACCEPTED, "server accepted %d bytes" % accepted)
        self.assertServerHealthy()


class SlowReaderBackpressureTest(ServerTestCase):
    """An app that reads its body slowly (testing /read-slowly): the upload advances only at the
    app's pace."""

    APP = "testing"
    TESTING_BINARY = True
    HEALTH_REQUEST = request("GET", "/stream?chunks=1&delay_ms=0", [("Connection", "close")])

    def test_upload_paced_by_the_app(self):
        """With the app pausing 200 ms between receive() calls, 1.5 s of pushing a 64 MB body
        gets far less than 64 MB accepted; the server stays healthy after the client leaves."""
        sock = self.connect()
        uploader = Uploader(sock, request("POST", "/read-slowly?delay_ms=200",
                                          [("Content-Length", str(BODY_SIZE))]))
        uploader.start()
        self.addCleanup(uploader.stop)
        time.sleep(1.5)
        accepted = uploader.accepted
        uploader.stop()
        sock.close()
        self.assertGreater(accepted, 0)
        self.assertLess(accepted, MAX_ACCEPTED, "server accepted %d bytes" % accepted)
        self.assertServerHealthy()


if __name__ == "__main__":
    unittest.main()
