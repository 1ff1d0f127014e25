"""conf/k8s: the manifests parse, agree with the Dockerfile (ports, the metrics listener the probes
use) and with the server's options (the grace period outlasts the drain), and the container's
command line, run by the real server, answers the probes the way the kubelet will ask them."""

import json
import os
import re
import socket
import time
import unittest

import yaml

from support import HOST, Reader, Server, free_port, request
from test_scale_out import Redis

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
K8S = os.path.join(ROOT, "conf", "k8s")


def documents():
    docs = []
    for name in sorted(os.listdir(K8S)):
        with open(os.path.join(K8S, name)) as file:
            docs += [(name, doc) for doc in yaml.safe_load_all(file) if doc]
    return docs


def dockerfile():
    with open(os.path.join(ROOT, "Dockerfile")) as file:
        text = file.read()
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", text, re.M).group(1))
    exposed = [int(p) for p in re.search(r"^EXPOSE (.+)$", text, re.M).group(1).split()]
    return entrypoint, exposed


class KubernetesManifestsTest(unittest.TestCase):
    def deployment(self):
        return next(doc for _, doc in documents()
                    if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "asgiserver")

    def test_every_manifest_parses_with_its_kind(self):
        kinds = sorted(doc["kind"] for _, doc in documents())
        self.assertEqual(kinds, ["Deployment", "Deployment", "HorizontalPodAutoscaler", "Service",
                                 "Service"])
        for name, doc in documents():
            self.assertIn("apiVersion", doc, name)
            self.assertIn("name", doc["metadata"], name)

    def test_ports_and_probes_match_the_image(self):
        entrypoint, exposed = dockerfile()
        metrics_port = int(entrypoint[entrypoint.index("--metrics-bind") + 1].rsplit(":", 1)[1])
        app_port = int(entrypoint[entrypoint.index("--port") + 1])
        self.assertEqual(sorted(exposed), sorted([app_port, metrics_port]))
        container = self.deployment()["spec"]["template"]["spec"]["containers"][0]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        self.assertEqual(ports, {"http": app_port, "metrics": metrics_port})
        self.assertEqual(container["readinessProbe"]["httpGet"], {"path": "/readyz",
                                                                   "port": "metrics"})
        self.assertEqual(container["livenessProbe"]["httpGet"], {"path": "/healthz",
                                                                  "port": "metrics"})
        service = next(doc for _, doc in documents()
                       if doc["kind"] == "Service" and doc["metadata"]["name"] == "asgiserver")
        self.assertEqual(service["spec"]["ports"][0]["targetPort"], "http")
        self.assertEqual(service["spec"]["selector"], self.deployment()["spec"]["selector"]["matchLabels"])

    def test_grace_period_outlasts_the_drain(self):
        spec = self.deployment()["spec"]["template"]["spec"]
        args = spec["containers"][0]["args"]
        graceful = float(args[args.index("--timeout-graceful-shutdown") + 1])
        pre_stop = float(spec["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][1])
        lifespan_shutdown = 30  # the default --timeout-lifespan-shutdown
        self.assertGreater(spec["terminationGracePeriodSeconds"],
                           pre_stop + graceful + lifespan_shutdown)

    def test_the_broadcast_url_names_the_redis_service(self):
        args = self.deployment()["spec"]["template"]["spec"]["containers"][0]["args"]
        url = args[args.index("--broadcast-url") + 1]
        match = re.fullmatch(r"redis://([\w.-]+):(\d+)/\d+", url)
        self.assertIsNotNone(match, url)
        service = next(doc for _, doc in documents()
                       if doc["kind"] == "Service" and doc["metadata"]["name"] == match.group(1))
        self.assertIn(int(match.group(2)), [p["port"] for p in service["spec"]["ports"]])
        redis = next(doc for _, doc in documents()
                     if doc["kind"] == "Deployment" and doc["metadata"]["name"] == match.group(1))
        self.assertEqual(service["spec"]["selector"], redis["spec"]["selector"]["matchLabels"])

    def test_the_container_command_answers_the_probes(self):
        entrypoint, _ = dockerfile()
        container = self.deployment()["spec"]["template"]["spec"]["containers"][0]
        argv = entrypoint[1:] + container["args"]
        app_port, metrics_port = free_port(), free_port()
        argv[argv.index("--host") + 1] = HOST
        argv[argv.index("--port") + 1] = str(app_port)
        argv[argv.index("--metrics-bind") + 1] = "%s:%d" % (HOST, metrics_port)
        redis = Redis().start()  # in place of the Service's
        self.addCleanup(redis.stop)
        argv[argv.index("--broadcast-url") + 1] = redis.url
        server = Server(argv[argv.index("--app") + 1], *argv, port=app_port)
        server.argv = [server.argv[0]] + argv  # exactly the container's options
        server.BANNER = re.compile(r"asgiserver running on http://127\.0\.0\.1:(\d+)")
        self.addCleanup(server.kill)
        server.start()
        deadline = time.monotonic() + 10
        status = None
        while time.monotonic() < deadline:
            with Reader(socket.create_connection((HOST, metrics_port), timeout=5)) as reader:
                reader.send(request("GET", container["readinessProbe"]["httpGet"]["path"],
                                    [("Connection", "close")]))
                status = reader.read_response().status
            if status == 200:
                break
            time.sleep(0.1)
        self.assertEqual(status, 200)
        with Reader(socket.create_connection((HOST, metrics_port), timeout=5)) as reader:
            reader.send(request("GET", "/healthz", [("Connection", "close")]))
            self.assertEqual(reader.read_response().status, 200)
        with Reader(socket.create_connection((HOST, app_port), timeout=5)) as reader:
            reader.send(request("GET", "/", [("Connection", "close")]))
            self.assertEqual(reader.read_response().status, 200)
        self.assertIsNotNone(server.wait_for_stderr(r"Broadcasting through Redis", timeout=10))


if __name__ == "__main__":
    unittest.main()
