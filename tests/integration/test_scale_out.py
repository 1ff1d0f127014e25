"""One crab tank across processes and instances: a real redis-server and crab_app instances
started with --broadcast-url, watched through WebSocket clients on each. A drop on one is seen on
the other, both count both viewers, both get identical crabs for the same tick, the tank moves to
the other instance within seconds when the one simulating it is killed, a Redis restart is logged
once and survived, and --workers N shares the tank the same way."""

import json
import math
import re
import shutil
import signal
import socket
import subprocess
import time
import unittest

from support import HOST, ResponseTimeout, SANITIZER_REPORT, Server, free_port
from ws_frames import WsClient

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
CONNECTED = re.compile(r"Broadcasting through Redis at 127\.0\.0\.1:\d+/0")


class Redis:
    """A throw-away redis-server on a free port: no persistence, no config file."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [REDIS, "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((HOST, self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def command(self, *words):
        with socket.create_connection((HOST, self.port), timeout=2) as sock:
            parts = [b"*%d\r\n" % len(words)]
            for word in words:
                data = word.encode()
                parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
            sock.sendall(b"".join(parts))
            return sock.recv(4096)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    @property
    def url(self):
        return "redis://127.0.0.1:%d" % self.port


def instance(redis, *args):
    server = Server("crab_app", "--broadcast-url", redis.url, *args)
    server.start()
    return server


def connected_instance(test, redis, *args):
    """An instance for one test, once it says it broadcasts through Redis."""
    server = instance(redis, *args)
    test.addCleanup(server.kill)
    if server.wait_for_stderr(CONNECTED, timeout=10) is None:
        raise AssertionError("no Redis line: " + server.stderr_text())
    return server


def assert_stops_cleanly(test, server):
    """SIGTERM: exit status 0 and nothing from a sanitizer (a leak, a use after free at exit)."""
    server.signal(signal.SIGTERM)
    test.assertEqual(server.wait(), 0, server.stderr_text())
    test.assertIsNone(SANITIZER_REPORT.search(server.stderr_text()), server.stderr_text())


def fresh_redis(test):
    redis = Redis().start()
    test.addCleanup(redis.stop)
    return redis


def states(client, timeout=5.0):
    """Yields the tank states a client receives (other messages are skipped) until `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _, payload = client.read_message(timeout=max(0.05, deadline - time.monotonic()))
        except (ResponseTimeout, socket.timeout, TimeoutError):
            return
        message = json.loads(payload)
        if message.get("type") == "state":
            yield message


def wait_for_state(client, condition, timeout=8.0):
    seen = None
    for state in states(client, timeout):
        seen = state
        if condition(state):
            return state
    raise AssertionError("no state matched within %.0f s; last one: %r" % (timeout, seen))


def drop_far_from_crabs(client):
    """Drops food where the tank, as `client` sees it now, is emptiest, so that no crab eats it
    before a state can show it (one close by would, in the very step that adds it). Returns the
    point; its .5 coordinates are unlike any other test's."""
    state = next(states(client))
    taken = [(c["x"], c["y"]) for c in state["crabs"]] + [(f["x"], f["y"]) for f in state["food"]]
    spots = [(x + 0.5, y + 0.5) for x in range(10, 790, 20) for y in range(10, 490, 20)]
    x, y = max(spots, key=lambda p: min(math.hypot(p[0] - q[0], p[1] - q[1]) for q in taken))
    client.send_text(json.dumps({"type": "drop", "x": x, "y": y}))
    return x, y


def has_food_at(x, y):
    return lambda state: any(f["x"] == x and f["y"] == y for f in state["food"])


class ScaleOutTest(unittest.TestCase):
    """Two instances on one Redis."""

    @classmethod
    def setUpClass(cls):
        cls.redis = Redis().start()
        cls.addClassCleanup(cls.redis.stop)
        cls.one = instance(cls.redis)
        cls.addClassCleanup(cls.one.kill)
        cls.two = instance(cls.redis)
        cls.addClassCleanup(cls.two.kill)
        for server in (cls.one, cls.two):
            if server.wait_for_stderr(CONNECTED, timeout=10) is None:
                raise AssertionError("no Redis line: " + server.stderr_text())

    def clients(self):
        a = WsClient.open(self.one.port, "/ws/tank")
        b = WsClient.open(self.two.port, "/ws/tank")
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        self.assertEqual(a.response.status, 101)
        self.assertEqual(b.response.status, 101)
        return a, b

    def test_a_drop_on_one_instance_is_seen_on_the_other(self):
        a, b = self.clients()
        wait_for_state(a, has_food_at(*drop_far_from_crabs(b)))
        wait_for_state(b, has_food_at(*drop_far_from_crabs(a)))

    def test_both_instances_count_both_viewers(self):
        a, b = self.clients()
        wait_for_state(a, lambda state: state["viewers"] == 2)
        wait_for_state(b, lambda state: state["viewers"] == 2)
        b.close()  # one leaves: the count follows, within the freshness of the announcements
        wait_for_state(a, lambda state: state["viewers"] == 1)

    def test_the_crabs_are_identical_for_a_tick_seen_on_both(self):
        a, b = self.clients()
        seen_a = {s["tick"]: s["crabs"] for s in states(a, 1.5)}
        seen_b = {s["tick"]: s["crabs"] for s in states(b, 0.5)}
        common = set(seen_a) & set(seen_b)
        self.assertTrue(common, "no tick seen on both: %s / %s" % (sorted(seen_a), sorted(seen_b)))
        for tick in common:
            self.assertEqual(seen_a[tick], seen_b[tick], tick)
        # One simulation: ticks are one sequence, not two interleaved.
        ticks = sorted(seen_a)
        self.assertEqual(ticks, list(range(ticks[0], ticks[0] + len(ticks))), ticks)

    def test_the_lease_is_held_in_redis(self):
        a, b = self.clients()
        next(states(a))
        reply = self.redis.command("PTTL", "asgiserver:lease:crab_app/tank")
        ttl = int(reply[1:].strip())
        self.assertTrue(0 < ttl <= 2000, reply)


class TakeoverTest(unittest.TestCase):
    """The instance running the simulation dies; the other takes the tank over."""

    def test_the_tank_moves_to_the_other_instance_within_seconds(self):
        redis = fresh_redis(self)
        holder = connected_instance(self, redis)
        a = WsClient.open(holder.port, "/ws/tank")
        self.addCleanup(a.close)
        next(states(a))  # the first viewer's instance holds the lease
        follower = connected_instance(self, redis)
        b = WsClient.open(follower.port, "/ws/tank")
        self.addCleanup(b.close)
        before = wait_for_state(b, has_food_at(*drop_far_from_crabs(b)))
        names = sorted(c["name"] for c in before["crabs"])

        holder.proc.kill()
        killed = time.monotonic()
        after = wait_for_state(b, lambda state: state["tick"] > before["tick"] + 20, timeout=10)
        self.assertLess(time.monotonic() - killed, 6.0)
        # The same tank, continued from the last state the follower saw: its ticks and counters
        # go on (a new tank would start again from 0).
        self.assertEqual(sorted(c["name"] for c in after["crabs"]), names)
        self.assertGreaterEqual(after["dropped"], before["dropped"])
        self.assertGreaterEqual(after["dropped"], 1)
        self.assertEqual(after["viewers"], 1)
        # Now it simulates: drops on it count.
        wait_for_state(b, has_food_at(*drop_far_from_crabs(b)))
        b.close()
        assert_stops_cleanly(self, follower)


    def test_a_new_viewer_on_another_instance_first_sees_the_shared_tank(self):
        redis = fresh_redis(self)
        holder = connected_instance(self, redis)
        a = WsClient.open(holder.port, "/ws/tank")
        self.addCleanup(a.close)
        wait_for_state(a, lambda state: state["tick"] >= 5)
        other = connected_instance(self, redis)  # nobody watched there yet
        b = WsClient.open(other.port, "/ws/tank")
        self.addCleanup(b.close)
        first = next(states(b))
        # Not that instance's own idle tank (tick 0) shown for a moment: the shared one.
        self.assertGreaterEqual(first["tick"], 5, first)


class RedisRestartTest(unittest.TestCase):
    """Redis goes away and comes back on the same port."""

    def test_a_restart_is_logged_once_and_survived(self):
        redis = fresh_redis(self)
        one, two = connected_instance(self, redis), connected_instance(self, redis)
        a = WsClient.open(one.port, "/ws/tank")
        self.addCleanup(a.close)
        next(states(a))

        redis.stop()
        self.assertIsNotNone(one.wait_for_stderr(r"Lost the connection to Redis", timeout=5))
        # Local viewers keep their tank while Redis is away (several reconnect attempts).
        ticks = [s["tick"] for s in states(a, 3.0)]
        self.assertGreater(len(ticks), 15, ticks)
        lost = [line for line in one.stderr_lines() if "Redis" in line]
        self.assertEqual(len([line for line in lost if "Lost the connection" in line]), 1, lost)

        restarted = Redis(redis.port).start()
        self.addCleanup(restarted.stop)
        self.assertIsNotNone(one.wait_for_stderr(r"Reconnected to Redis at .* after", timeout=10))
        self.assertIsNotNone(two.wait_for_stderr(r"Reconnected to Redis at .* after", timeout=10))
        # Shared again: a drop on the other instance reaches this one's viewer.
        b = WsClient.open(two.port, "/ws/tank")
        self.addCleanup(b.close)
        time.sleep(1.0)  # one lease renewal: the instances agree on who simulates
        wait_for_state(a, has_food_at(*drop_far_from_crabs(b)))
        self.assertEqual(len([l for l in one.stderr_lines() if "Lost the connection" in l]), 1)
        a.close()
        b.close()
        assert_stops_cleanly(self, one)
        restarted.stop()  # the other stops while Redis is away
        assert_stops_cleanly(self, two)


class WorkersTest(unittest.TestCase):
    """--workers 2: both worker processes share the tank through Redis."""

    def test_worker_processes_share_one_tank(self):
        redis = fresh_redis(self)
        server = instance(redis, "--workers", "2")
        self.addCleanup(server.kill)
        deadline = time.monotonic() + 10
        while len([l for l in server.stderr_lines() if CONNECTED.search(l)]) < 2:
            self.assertLess(time.monotonic(), deadline, server.stderr_text())
            time.sleep(0.05)
        clients = [WsClient.open(server.port, "/ws/tank") for _ in range(6)]
        for client in clients:
            self.addCleanup(client.close)
        for client in clients:
            wait_for_state(client, lambda state: state["viewers"] == 6)
        seen = [{s["tick"]: s["crabs"] for s in states(client, 0.4)} for client in clients]
        common = set.intersection(*(set(ticks) for ticks in seen))
        self.assertTrue(common, [sorted(ticks) for ticks in seen])
        for tick in common:
            for ticks in seen[1:]:
                self.assertEqual(ticks[tick], seen[0][tick])


class BadUrlTest(unittest.TestCase):
    def test_a_bad_url_is_one_line_and_exit_3(self):
        for url, problem in (("http://localhost", "expected redis://"),
                             ("redis://localhost:99999", "port"),
                             ("redis://localhost/x", "database")):
            argv = Server("crab_app", "--broadcast-url", url).argv
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=20)
            self.assertEqual(proc.returncode, 3, proc.stderr)
            lines = proc.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, lines)
            self.assertIn("--broadcast-url", lines[0])
            self.assertIn(problem, lines[0])


if __name__ == "__main__":
    unittest.main()
