"""--workers N: worker processes under a supervisor. A crashed or killed worker is replaced while
the others keep answering; one that stops answering its health ping is killed and replaced;
SIGHUP replaces every worker one by one with no failed request; SIGTTIN / SIGTTOU add and remove
one; --limit-max-requests recycles workers; a worker that fails at startup stops the service with
exit 3; SIGTERM stops everything gracefully."""

import os
import re
import signal
import socket
import threading
import time
import unittest

from support import IO_TIMEOUT, Reader, Server, request, testing_binary

READY = re.compile(r"Worker \[(\d+)\] is ready")


class WorkersServer(Server):
    def ready_pids(self):
        return [int(READY.search(l).group(1)) for l in self.stderr_lines() if READY.search(l)]

    def wait_ready(self, count, start=0, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.ready_pids()[start:]
            if len(pids) >= count:
                return pids
            time.sleep(0.05)
        raise AssertionError("workers not ready; stderr:\n" + self.stderr_text())

    def live_workers(self):
        """The worker pids that are running now (children of the supervisor)."""
        with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as file:
            children = file.read()
        return sorted(int(pid) for pid in children.split())

    def get(self, path="/status/204"):
        with Reader(self.connect()) as reader:
            reader.send(request("GET", path, [("Connection", "close")]))
            return reader.read_response()


class LoadThread(threading.Thread):
    """Requests on fresh connections in a loop; counts answers and failures."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server
        self.answered = 0
        self.failures = []
        self.running = True

    def run(self):
        while self.running:
            try:
                status = self.server.get().status
                if status == 204:
                    self.answered += 1
                else:
                    self.failures.append(status)
            except (OSError, Exception) as error:  # noqa: B014 - any failure counts
                self.failures.append(repr(error))

    def stop(self):
        self.running = False
        self.join(10)


class WorkersTest(unittest.TestCase):
    def start(self, *args, workers=2, app="testing"):
        server = WorkersServer(app, "--workers", str(workers), *args, binary=testing_binary())
        self.addCleanup(server.kill)
        server.start()
        server.wait_ready(workers)
        return server

    def test_crash_in_app_code_takes_down_one_worker_only(self):
        server = self.start()
        before = server.live_workers()
        self.assertEqual(len(before), 2)
        mark = server.stderr_mark()
        with Reader(server.connect()) as reader:
            reader.send(request("GET", "/crash"))
            with self.assertRaises(Exception):
                reader.read_response()
        for _ in range(20):  # the other worker answers meanwhile
            self.assertEqual(server.get().status, 204)
        self.assertIsNotNone(server.wait_for_stderr(
            r"Worker \[\d+\] was killed by signal 6 \(SIGABRT\); starting a new one", 10, mark))
        server.wait_ready(3)
        after = server.live_workers()
        self.assertEqual(len(after), 2)
        self.assertEqual(len(set(before) & set(after)), 1)

    def test_sigkill_is_replaced_while_clients_keep_getting_answers(self):
        server = self.start()
        victim = server.live_workers()[0]
        os.kill(victim, signal.SIGKILL)
        for _ in range(20):
            self.assertEqual(server.get().status, 204)
        server.wait_ready(3)
        self.assertNotIn(victim, server.live_workers())
        self.assertEqual(len(server.live_workers()), 2)

    def test_hung_worker_is_replaced_after_the_health_check_timeout(self):
        server = self.start("--timeout-worker-healthcheck", "1")
        mark = server.stderr_mark()
        hung = Reader(server.connect())
        self.addCleanup(hung.sock.close)
        hung.send(request("GET", "/block?ms=60000"))
        line = server.wait_for_stderr(r"did not answer its health check for 1 s; killing it", 10,
                                      mark)
        self.assertIsNotNone(line, server.stderr_text())
        server.wait_ready(3)
        self.assertEqual(server.get().status, 204)
        self.assertEqual(len(server.live_workers()), 2)

    def test_sighup_replaces_every_worker_without_a_failed_request(self):
        server = self.start()
        old = set(server.live_workers())
        load = LoadThread(server)
        load.start()
        time.sleep(0.3)
        mark = server.stderr_mark()
        server.signal(signal.SIGHUP)
        self.assertIsNotNone(server.wait_for_stderr("Replaced every worker", 30, mark),
                             server.stderr_text())
        time.sleep(0.3)
        load.stop()
        self.assertEqual(load.failures, [])
        self.assertGreater(load.answered, 20)
        deadline = time.monotonic() + 10
        while len(server.live_workers()) != 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        new = set(server.live_workers())
        self.assertEqual(len(new), 2)
        self.assertFalse(old & new, "an old worker is still running")

    def test_sigttin_and_sigttou(self):
        server = self.start()
        server.signal(signal.SIGTTIN)
        server.wait_ready(3)
        self.assertEqual(len(server.live_workers()), 3)
        server.signal(signal.SIGTTOU)
        deadline = time.monotonic() + 10
        while len(server.live_workers()) != 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(len(server.live_workers()), 2)
        self.assertEqual(server.get().status, 204)

    def test_max_requests_recycles_workers(self):
        server = self.start("--limit-max-requests", "3")
        before = set(server.live_workers())
        for _ in range(12):
            self.assertEqual(server.get().status, 204)
        self.assertIsNotNone(server.wait_for_stderr(r"Worker \[\d+\] exited; starting a new one",
                                                    10))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (set(server.live_workers()) - before):
            time.sleep(0.05)
        self.assertTrue(set(server.live_workers()) - before, "no worker was replaced")
        self.assertEqual(server.get().status, 204)

    def test_sigterm_stops_gracefully_after_in_flight_requests(self):
        server = self.start()
        slow = Reader(server.connect())
        self.addCleanup(slow.sock.close)
        slow.send(request("GET", "/block?ms=700"))
        time.sleep(0.2)
        server.signal(signal.SIGTERM)
        self.assertEqual(slow.read_response().body, b"unblocked")
        self.assertEqual(server.wait(30), 0, server.stderr_text())
        self.assertIn("Stopping parent process", server.stderr_text())

    def test_web_concurrency_sets_the_worker_count(self):
        os.environ["WEB_CONCURRENCY"] = "3"
        try:
            server = WorkersServer("hello")
            self.addCleanup(server.kill)
            server.start()
        finally:
            del os.environ["WEB_CONCURRENCY"]
        server.wait_ready(3)
        self.assertEqual(len(server.live_workers()), 3)


class OrphanedWorkersTest(unittest.TestCase):
    """A supervisor killed outright (SIGKILL, OOM killer) leaves no worker behind, even one that
    was still starting up when its channel closed."""

    def children_of(self, server, count):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with open("/proc/%d/task/%d/children" % (server.proc.pid, server.proc.pid)) as file:
                pids = [int(pid) for pid in file.read().split()]
            if len(pids) >= count:
                return pids
            time.sleep(0.02)
        raise AssertionError("workers not started; stderr:\n" + server.stderr_text())

    def assert_all_exit(self, pids, timeout=10):
        deadline = time.monotonic() + timeout
        alive = pids
        while alive and time.monotonic() < deadline:
            alive = [pid for pid in alive if os.path.exists("/proc/%d" % pid)
                     and "zombie" not in open("/proc/%d/status" % pid).read()]
            time.sleep(0.05)
        self.assertEqual(alive, [], "workers outlived their supervisor")

    def test_workers_exit_when_the_supervisor_is_killed(self):
        server = WorkersServer("hello", "--workers", "2")
        self.addCleanup(server.kill)
        server.start()
        pids = server.wait_ready(2)
        server.signal(signal.SIGKILL)
        self.assertEqual(server.wait(10), -signal.SIGKILL)
        self.assert_all_exit(pids)

    def test_workers_still_starting_exit_when_the_supervisor_is_killed(self):
        server = Server("lifespan_slow_startup", "--workers", "2", binary=testing_binary())
        self.addCleanup(server.kill)
        server.start()
        pids = self.children_of(server, 2)
        server.signal(signal.SIGKILL)  # during their one-second lifespan startup
        self.assertEqual(server.wait(10), -signal.SIGKILL)
        self.assert_all_exit(pids)


class WorkerStartupFailureTest(unittest.TestCase):
    def test_lifespan_failure_stops_the_service_with_exit_3(self):
        server = Server("lifespan_failed", "--workers", "2", binary=testing_binary())
        self.addCleanup(server.kill)
        server.start()  # the supervisor prints the address before the workers start
        self.assertEqual(server.wait(30), 3, server.stderr_text())
        self.assertIn("failed to start; stopping the service", server.stderr_text())


if __name__ == "__main__":
    unittest.main()
