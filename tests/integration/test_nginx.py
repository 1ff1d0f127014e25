"""conf/nginx/asgiserver.conf in a real nginx (Debian's nginx-light) in front of asgiserver: pages,
a WebSocket session, the client address and scheme the app sees, an app below /api with
--root-path, and two instances (a UNIX socket and TCP) where one is killed while clients keep
getting answers. The configuration is used as committed; only its addresses are replaced by this
test's free ports and temporary paths."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from support import HOST, Reader, Server, free_port, request, server_binary
from ws_frames import WsClient, handshake_request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONF = os.path.join(ROOT, "conf", "nginx", "asgiserver.conf")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


class UdsServer(Server):
    """An instance on a UNIX socket: its banner names the socket, not a port."""
    BANNER = __import__("re").compile(r"asgiserver running on unix socket (\S+) \(Press CTRL\+C")

    def on_banner(self, match):
        self.port = None


class NginxTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="asgi-nginx-")
        os.chmod(cls.dir, 0o755)  # nginx's workers run as nobody
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.socket_path = os.path.join(cls.dir, "app.sock")
        cls.tcp_port, cls.api_port, cls.front_port = free_port(), free_port(), free_port()
        cls.uds = UdsServer("crab_app", "--uds", cls.socket_path)
        cls.addClassCleanup(cls.uds.kill)
        cls.uds.start()
        cls.tcp = Server("crab_app", port=cls.tcp_port)
        cls.addClassCleanup(cls.tcp.kill)
        cls.tcp.start()
        cls.api = Server("inspect", "--root-path", "/api", port=cls.api_port)
        cls.addClassCleanup(cls.api.kill)
        cls.api.start()
        with open(CONF) as file:
            conf = file.read()
        for old, new in (("unix:/run/asgiserver/app.sock", "unix:" + cls.socket_path),
                         ("127.0.0.1:8001", "127.0.0.1:%d" % cls.tcp_port),
                         ("127.0.0.1:8002", "127.0.0.1:%d" % cls.api_port),
                         ("listen 8080;", "listen 127.0.0.1:%d;" % cls.front_port)):
            assert old in conf, old
            conf = conf.replace(old, new)
        with open(os.path.join(cls.dir, "asgiserver.conf"), "w") as file:
            file.write(conf)
        main = ("pid %s/nginx.pid;\nerror_log %s/error.log warn;\nworker_processes 1;\n"
                "events { worker_connections 256; }\n"
                "http {\n  access_log off;\n  client_body_temp_path %s/body;\n"
                "  proxy_temp_path %s/proxy;\n  include %s/asgiserver.conf;\n}\n"
                % ((cls.dir,) * 5))
        with open(os.path.join(cls.dir, "nginx.conf"), "w") as file:
            file.write(main)
        cls.nginx = subprocess.Popen([NGINX, "-p", cls.dir, "-c", cls.dir + "/nginx.conf",
                                      "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        cls.addClassCleanup(cls.stop_nginx)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((HOST, cls.front_port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or cls.nginx.poll() is not None:
                    raise AssertionError("nginx did not start: %s" %
                                         cls.nginx.stderr.read().decode(errors="replace"))
                time.sleep(0.05)

    @classmethod
    def stop_nginx(cls):
        cls.nginx.send_signal(signal.SIGQUIT)
        try:
            cls.nginx.wait(10)
        except subprocess.TimeoutExpired:
            cls.nginx.kill()

    def get(self, path, headers=()):
        with Reader(socket.create_connection((HOST, self.front_port), timeout=5)) as reader:
            reader.send(request("GET", path, [("Connection", "close"), *headers]))
            return reader.read_response()

    def test_pages_through_nginx_reach_both_instances(self):
        for path in ("/", "/crabs", "/tank"):
            self.assertEqual(self.get(path).status, 200, path)
        uds_mark, tcp_mark = self.uds.stdout_mark(), self.tcp.stdout_mark()
        for _ in range(6):
            self.assertEqual(self.get("/crabs").status, 200)
        self.assertIsNotNone(self.uds.wait_for_stdout("GET /crabs", 3, uds_mark))
        self.assertIsNotNone(self.tcp.wait_for_stdout("GET /crabs", 3, tcp_mark))

    def test_the_app_sees_the_client_and_scheme_and_its_root_path(self):
        response = self.get("/api/things?x=1", [("X-Forwarded-Proto", "https")])
        self.assertEqual(response.status, 200)
        scope = json.loads(response.body)
        self.assertEqual(scope["client"][0], "127.0.0.1")  # the real client, not nginx's socket
        self.assertEqual(scope["scheme"], "http")  # nginx sets the header from its own $scheme
        self.assertEqual(scope["root_path"], "/api")
        self.assertEqual(scope["path"], "/api/things")  # kept by nginx, not prefixed twice
        self.assertEqual(scope["query_string"], "x=1")

    def test_websocket_session_through_nginx(self):
        sock = socket.create_connection((HOST, self.front_port), timeout=5)
        client = WsClient(sock)
        self.addCleanup(sock.close)
        sock.sendall(handshake_request("/ws/tank"))
        client.response = client.reader.read_response()
        self.assertEqual(client.response.status, 101)
        state = json.loads(client.read_message()[1])
        self.assertIn("crabs", json.dumps(state))
        client.send_text(json.dumps({"type": "drop", "x": 50, "y": 50}))
        self.assertTrue(client.read_message()[1])  # the tank goes on streaming

    def test_y_killing_one_instance_loses_no_request_that_was_not_on_it(self):
        # Last: it kills the TCP instance.
        failures, answered = [], [0]
        stop = threading.Event()

        def load():
            while not stop.is_set():
                try:
                    status = self.get("/crabs").status
                    if status == 200:
                        answered[0] += 1
                    else:
                        failures.append(status)
                except OSError as error:
                    failures.append(repr(error))
        threads = [threading.Thread(target=load) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        self.tcp.signal(signal.SIGKILL)
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(10)
        self.assertEqual(failures, [])
        self.assertGreater(answered[0], 20)

    def test_zz_after_the_kill_the_other_instance_serves_everything(self):
        # Runs after the kill test (alphabetical order): nginx skips the dead instance.
        for _ in range(10):
            self.assertEqual(self.get("/crabs").status, 200)


if __name__ == "__main__":
    unittest.main()
