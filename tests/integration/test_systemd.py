"""conf/systemd: the service and socket units, run the way systemd runs them (without systemd:
the socket of the .socket unit bound here and passed as LISTEN_FDS to the .service's ExecStart,
NOTIFY_SOCKET for Type=notify, KillSignal to stop): READY=1 arrives once the workers are ready,
requests are served on the passed socket, and the stop is clean within TimeoutStopSec."""

import configparser
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from support import HOST, Reader, request, server_binary

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNITS = os.path.join(ROOT, "conf", "systemd")


def unit(name):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(os.path.join(UNITS, name))
    return parser


class SystemdUnitsTest(unittest.TestCase):
    def test_units_agree_with_each_other_and_the_server(self):
        service, sock = unit("asgiserver.service"), unit("asgiserver.socket")
        self.assertEqual(service["Service"]["Type"], "notify")
        self.assertIn("asgiserver.socket", service["Unit"]["Requires"])
        self.assertEqual(service["Service"]["RestartPreventExitStatus"], "3")
        argv = shlex.split(service["Service"]["ExecStart"])
        graceful = float(argv[argv.index("--timeout-graceful-shutdown") + 1])
        self.assertGreater(float(service["Service"]["TimeoutStopSec"]), graceful + 30)
        self.assertTrue(sock["Socket"]["ListenStream"].isdigit())

    def test_service_runs_as_systemd_would_run_it(self):
        service, sock = unit("asgiserver.service"), unit("asgiserver.socket")
        argv = shlex.split(service["Service"]["ExecStart"])
        argv[0] = server_binary()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, 0))  # the unit's ListenStream port, made free for the test
        listener.listen(int(sock["Socket"]["Backlog"]))
        port = listener.getsockname()[1]
        notify_dir = tempfile.mkdtemp(prefix="asgi-notify-")
        self.addCleanup(shutil.rmtree, notify_dir, True)
        notify_path = os.path.join(notify_dir, "notify")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.settimeout(20)
        self.addCleanup(notify.close)
        fd = listener.fileno()
        # As systemd: the socket at fd 3, LISTEN_PID naming the service's own pid.
        wrapper = ["sh", "-c", 'exec 3<&%d; LISTEN_PID=$$ exec "$@"' % fd, "sh"]
        env = dict(os.environ, LISTEN_FDS="1", NOTIFY_SOCKET=notify_path)
        proc = subprocess.Popen(wrapper + argv, env=env, pass_fds=(fd,),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(proc.wait)
        self.addCleanup(proc.kill)
        listener.close()
        messages = []
        while not any(b"READY=1" in m for m in messages):
            messages.append(notify.recv(4096))
        with Reader(socket.create_connection((HOST, port), timeout=5)) as reader:
            reader.send(request("GET", "/", [("Connection", "close")]))
            self.assertEqual(reader.read_response().status, 200)
        proc.send_signal(getattr(signal, service["Service"]["KillSignal"]))
        started = time.monotonic()
        self.assertEqual(proc.wait(float(service["Service"]["TimeoutStopSec"])), 0)
        self.assertLess(time.monotonic() - started, 15)
        notify.settimeout(1)
        try:
            while True:
                messages.append(notify.recv(4096))
        except OSError:
            pass
        self.assertTrue(any(b"STOPPING=1" in m for m in messages), messages)


if __name__ == "__main__":
    unittest.main()
