"""--reload: one worker, replaced when a watched file changes (inotify, recursive, new directories
included), the new one started before the old one stops; --reload-include / --reload-exclude /
--reload-delay; files that do not match are ignored; SIGTERM stops the reloader and its worker."""

import os
import re
import shutil
import signal
import tempfile
import time
import unittest

from support import Reader, Server, request

READY = re.compile(r"Worker \[(\d+)\] is ready")


class ReloadTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="asgi-reload-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def start(self, *args):
        server = Server("hello", "--reload", "--reload-dir", self.dir, *args)
        self.addCleanup(server.kill)
        server.start()
        self.assertIsNotNone(server.wait_for_stderr(READY, 10), server.stderr_text())
        return server

    def ready_pids(self, server):
        return [int(READY.search(l).group(1)) for l in server.stderr_lines() if READY.search(l)]

    def get(self, server):
        with Reader(server.connect()) as reader:
            reader.send(request("GET", "/", [("Connection", "close")]))
            return reader.read_response().status

    def write(self, name, text="x"):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as file:
            file.write(text)

    def assert_reloads(self, server, touch, name_in_log):
        before = self.ready_pids(server)
        mark = server.stderr_mark()
        touch()
        line = server.wait_for_stderr(r"Detected changes in .*%s.*\. Reloading\.\.\." %
                                      re.escape(name_in_log), 5, mark)
        self.assertIsNotNone(line, server.stderr_text())
        deadline = time.monotonic() + 10
        while len(self.ready_pids(server)) == len(before) and time.monotonic() < deadline:
            time.sleep(0.05)
        after = self.ready_pids(server)
        self.assertEqual(len(after), len(before) + 1, server.stderr_text())
        self.assertNotIn(after[-1], before)
        self.assertEqual(self.get(server), 200)

    def assert_no_reload(self, server, touch):
        mark = server.stderr_mark()
        touch()
        self.assertIsNone(server.wait_for_stderr("Reloading", 1.0, mark), server.stderr_text())

    def test_banner_and_a_touched_app_library_restarts_the_worker(self):
        server = self.start()
        self.assertIn("Will watch for changes in these directories: ['%s']" % self.dir,
                      server.stderr_text())
        self.assertRegex(server.stderr_text(), r"Started reloader process \[\d+\] using inotify")
        self.assertEqual(self.get(server), 200)
        self.assert_reloads(server, lambda: self.write("libapp.so"), "libapp.so")

    def test_includes_excludes_and_new_subdirectories(self):
        server = self.start("--reload-include", "*.txt", "--reload-exclude", "skip*")
        self.assert_no_reload(server, lambda: self.write("notes.md"))     # not included
        self.assert_no_reload(server, lambda: self.write("skip.txt"))     # excluded
        self.assert_no_reload(server, lambda: self.write(".hidden/a.txt"))  # default exclude .*
        self.assert_reloads(server, lambda: self.write("deep/er/new.txt"), "deep/er/new.txt")
        self.assert_reloads(server, lambda: self.write("x.so"), "x.so")  # defaults stay

    def test_a_burst_of_changes_is_one_reload(self):
        server = self.start("--reload-delay", "0.5")
        mark = server.stderr_mark()

        def burst():
            for i in range(5):
                self.write("lib%d.so" % i)
                time.sleep(0.05)
        self.assert_reloads(server, burst, "lib0.so")
        time.sleep(1)
        reloads = [l for l in server.stderr_lines()[mark:] if "Reloading" in l]
        self.assertEqual(len(reloads), 1, reloads)

    def test_sigterm_stops_the_reloader_and_its_worker(self):
        server = self.start()
        worker = self.ready_pids(server)[-1]
        server.signal(signal.SIGTERM)
        self.assertEqual(server.wait(15), 0, server.stderr_text())
        self.assertRegex(server.stderr_text(), r"Stopping reloader process \[\d+\]")
        self.assertFalse(os.path.exists("/proc/%d" % worker) and
                         "zombie" not in open("/proc/%d/status" % worker).read())


if __name__ == "__main__":
    unittest.main()
