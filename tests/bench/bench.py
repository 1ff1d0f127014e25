#!/usr/bin/python3
"""Side-by-side benchmark of asgiserver against nginx, Uvicorn, Node `ws` and Boost.Beast.

Run it through tests/bench/run.sh, which installs the peers and builds what this needs; this file
only measures and reports (Python standard library only, Debian's /usr/bin/python3).

Every server runs pinned to CPU 0 and every load generator (wrk, ws_load, the clients in this
file) on CPU 1. The machines are shared and noisy, so only ratios taken in the same run count:
within a workload the servers take turns (A B C A B C ...) and each reports the median of its runs.
"""

import argparse
import datetime
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parents[1]
PYTHON = "/usr/bin/python3"  # Debian's, with python3-uvicorn & co; not the pyenv one on PATH
SERVER_CPU, CLIENT_CPU = "0", "1"
NICE = []  # ["nice", "-n", "-10"] with --nice -10: servers and clients ahead of other work
HOST = "127.0.0.1"
MIB = 1024 * 1024
IDLE_SECONDS = 3.0  # how long the idle connections sit before their memory is measured
NO_WS = "n/a (asgiserver has no WebSocket yet)"


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---- processes ----------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def process_tree(pid):
    """pid and all its descendants (nginx: master + worker)."""
    pids, i = [pid], 0
    while i < len(pids):
        for task in Path(f"/proc/{pids[i]}/task").glob("*/children"):
            try:
                pids += [int(p) for p in task.read_text().split()]
            except OSError:
                pass
        i += 1
    return pids


def status_kib(pid, field):
    """Sum of a /proc/PID/status field (VmRSS, VmHWM: in kB) over the process tree."""
    total = 0
    for p in process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def reset_peak_rss(pid):
    for p in process_tree(pid):
        try:
            Path(f"/proc/{p}/clear_refs").write_text("5")  # 5: reset VmHWM to the current RSS
        except OSError:
            pass


def cpu_seconds(pid, which=(11, 12)):
    """CPU time of the process tree in seconds: user + system by default; which=(11,) for user
    only, (12,) for system (kernel) only."""
    ticks = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += sum(int(fields[i]) for i in which)  # utime, stime (fields 14 and 15)
        except (OSError, IndexError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_for_port(port, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Server:
    """One server process: started pinned to the server CPU, stopped by its own pid."""

    def __init__(self, name, argv, port, env=None, cwd=None, start_timeout=20, stop_signal=signal.SIGTERM,
                 cpus=None):
        self.name, self.argv, self.port = name, argv, port
        self.cpus = cpus or SERVER_CPU
        self.env, self.cwd, self.start_timeout, self.stop_signal = env, cwd, start_timeout, stop_signal
        self.proc = None

    def start(self, logdir):
        logfile = open(Path(logdir) / f"{self.name.split()[0]}-{self.port}.log", "wb")
        env = dict(os.environ, **(self.env or {}))
        self.proc = subprocess.Popen([*NICE, "taskset", "-c", self.cpus, *self.argv], stdout=logfile,
                                     stderr=subprocess.STDOUT, env=env, cwd=self.cwd)
        logfile.close()
        if not wait_for_port(self.port, self.proc, self.start_timeout):
            self.stop()
            raise RuntimeError(f"{self.name} did not start: {' '.join(map(str, self.argv))} "
                               f"(see {logfile.name})")
        return self

    @property
    def pid(self):
        return self.proc.pid

    def stop(self, timeout=30):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(self.stop_signal)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# ---- clients (run in this process, on the client CPU) -------------------------------------------

def read_http_head(sock, buffered=b""):
    """Reads up to the end of a response head; returns (head, the bytes after it)."""
    data = buffered
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed before the response head")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def read_http_response(sock, buffered=b""):
    """Reads one response with a content-length body; returns (status, leftover bytes)."""
    head, rest = read_http_head(sock, buffered)
    status = int(head.split(b" ", 2)[1])
    match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    length = int(match.group(1)) if match else 0
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed in the response body")
        rest += chunk
    return status, rest[length:]


GET_ROOT = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
WS_UPGRADE = (b"GET / HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
WS_FRAME = bytes([0x82, 0x80 | 16, 1, 2, 3, 4]) + bytes(b ^ (1, 2, 3, 4)[i % 4] for i, b in enumerate(b"0123456789abcdef"))


def websocket_handshake(sock):
    """Opening handshake; True on 101 Switching Protocols."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return False
        data += chunk
    return data.startswith(b"HTTP/1.1 101")


def websocket_echo_once(sock):
    sock.sendall(WS_FRAME)
    got = b""
    while len(got) < 18:  # 2-byte header + 16 bytes, unmasked
        chunk = sock.recv(64)
        if not chunk:
            raise ConnectionError("connection closed waiting for the echo")
        got += chunk


def speaks_websocket(port):
    try:
        with socket.create_connection((HOST, port), timeout=5) as s:
            s.sendall(WS_UPGRADE)
            return websocket_handshake(s)
    except OSError:
        return False


def open_idle_connections(port, count, websocket):
    """Opens `count` connections, each after one exchange (an HTTP request, or a WebSocket
    handshake plus one echoed message), and returns them still open."""
    conns = []
    try:
        for _ in range(count):
            s = socket.create_connection((HOST, port), timeout=30)
            conns.append(s)
            if websocket:
                s.sendall(WS_UPGRADE)
                if not websocket_handshake(s):
                    raise ConnectionError("WebSocket handshake refused")
                websocket_echo_once(s)
            else:
                s.sendall(GET_ROOT)
                read_http_response(s)
    except BaseException:
        for s in conns:
            s.close()
        raise
    return conns


def download(port, size):
    """GET /bytes?n=size; returns the seconds from request to last byte."""
    with socket.create_connection((HOST, port), timeout=60) as s:
        start = time.perf_counter()
        s.sendall(f"GET /bytes?n={size} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
        head, body = read_http_head(s)
        if b" 200 " not in head.split(b"\r\n")[0]:
            raise RuntimeError(f"download: {head.splitlines()[0]!r}")
        length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))
        if length != size:
            raise RuntimeError(f"download: content-length {length}, expected {size}")
        got, buf = len(body), bytearray(1 << 20)
        while got < size:
            n = s.recv_into(buf)
            if n == 0:
                raise RuntimeError(f"download: closed after {got} of {size} bytes")
            got += n
        return time.perf_counter() - start


def upload(port, size):
    """POST /upload with a size-byte body streamed from one 1 MiB buffer; returns the seconds from
    the first byte sent to the response."""
    chunk = memoryview(b"u" * MIB)
    with socket.create_connection((HOST, port), timeout=60) as s:
        start = time.perf_counter()
        s.sendall(f"POST /upload HTTP/1.1\r\nHost: bench\r\nContent-Type: application/octet-stream\r\n"
                  f"Content-Length: {size}\r\n\r\n".encode())
        left = size
        while left > 0:
            n = min(left, len(chunk))
            s.sendall(chunk[:n])
            left -= n
        status, _ = read_http_response(s)
        if status != 200:
            raise RuntimeError(f"upload: status {status}")
        return time.perf_counter() - start


# ---- load generators ----------------------------------------------------------------------------

def to_ms(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(port, seconds, connections, pipeline=None, path="/", headers=()):
    argv = ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        argv += ["-H", header]
    if pipeline:
        argv += ["-s", str(BENCH / "pipeline.lua")]
    argv.append(f"http://{HOST}:{port}{path}")
    if pipeline:
        argv += ["--", str(pipeline)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        if m:
            result[f"p{pct}_ms"] = to_ms(m.group(1))
    m = re.search(r"^\s+Latency\s+(\S+)", out, re.M)
    if m and result["rps"] > 0 and not pipeline:
        # A closed loop: each connection's round trip (connections ÷ req/s) is the latency wrk
        # measures (its write of a request to its read of the response) plus the time the response
        # and the next request wait inside wrk. Where that rest goes shows which side is slower.
        result["mean_ms"] = to_ms(m.group(1))
        result["in_client_ms"] = connections / result["rps"] * 1000 - result["mean_ms"]
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["errors"] = errors + (int(m.group(1)) if m else 0)
    return result


def run_ws_load(binary, port, seconds, connections, size=16):
    argv = ["taskset", "-c", CLIENT_CPU, str(binary), HOST, str(port), "/", str(connections), str(seconds), str(size)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    data = json.loads(out)
    return {"rate": data["rate"], "errors": data["errors"]}


# ---- the benchmark ------------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        # On tmpfs when there is one: reading a hole of nginx's sparse file is then a copy of the
        # zero page, not a disk-backed page-cache fill.
        shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        self.tmp = Path(tempfile.mkdtemp(prefix="asgi-bench-", dir=shm))
        self.tmp.chmod(0o755)
        self.results = {}   # workload -> server -> {"runs": [...], "median": {...}} or {"na": reason}
        self.notes = []
        self.asgiserver = Path(args.asgiserver).resolve()
        self.apps = self._asgiserver_apps()
        self.ws_app = "ws_echo" if "ws_echo" in self.apps else "echo"
        self.have_node = (BENCH / ".cache/node_modules/ws/package.json").exists()
        self.beast = Path(args.beast) if args.beast else None
        self.ws_load = Path(args.ws_load) if args.ws_load else None
        self.big_files = {}  # size -> sparse file: nginx's answer to GET /bytes?n=size
        self.www = self.tmp / "www"  # static files: nginx's root and asgiserver's ASGI_STATIC_DIR
        self.asgiserver_ws = None  # set by the first WebSocket workload's probe

    def _asgiserver_apps(self):
        out = subprocess.run([str(self.asgiserver), "--help"], capture_output=True, text=True).stdout
        m = re.search(r"Application to serve: ([^\n]+)", out)
        return [a.strip() for a in m.group(1).split(",")] if m else []

    # -- server factories: a fresh process on a fresh port each time --
    def asgiserver_server(self, app, *extra, env=None, threads=1, cpus=None, name="asgiserver"):
        port = free_port()
        argv = [str(self.asgiserver), "--app", app, "--port", str(port), "--threads", str(threads),
                "--no-access-log", "--log-level", "warning", "--timeout-keep-alive", "300", *extra]
        return Server(name, argv, port, env=env, cpus=cpus)

    def nginx_server(self, access_log=False):
        port = free_port()
        conf_dir = Path(tempfile.mkdtemp(prefix="nginx-", dir=self.tmp))
        conf_dir.chmod(0o755)  # nginx's worker runs as `nobody` and must read bytes-N.bin
        for size, path in self.big_files.items():
            os.link(path, conf_dir / f"bytes-{size}.bin")
        text = (BENCH / "peers/nginx.conf.in").read_text().replace("@DIR@", str(conf_dir)).replace("@PORT@", str(port))
        text = text.replace("@WWW@", str(self.www))
        if access_log:  # the latency control: the same nginx, made the slower side of the loop
            text = text.replace("access_log off;", f"access_log {conf_dir}/access.log;")
        (conf_dir / "nginx.conf").write_text(text)
        argv = ["/usr/sbin/nginx", "-c", str(conf_dir / "nginx.conf"), "-e", str(conf_dir / "nginx-error.log")]
        return Server("nginx", argv, port)

    def uvicorn_server(self):
        port = free_port()
        argv = [PYTHON, "-m", "uvicorn", "--app-dir", str(BENCH / "peers"), "asgi_app:app",
                "--host", HOST, "--port", str(port), "--loop", "uvloop", "--http", "httptools",
                "--ws", "websockets", "--lifespan", "off", "--no-access-log", "--log-level", "warning",
                "--timeout-keep-alive", "300"]
        return Server("uvicorn", argv, port, env={"PYTHONDONTWRITEBYTECODE": "1"})

    def node_server(self):
        port = free_port()
        return Server("node ws", ["/usr/bin/node", str(BENCH / "peers/ws_echo.js"), str(port)], port,
                      env={"NODE_PATH": str(BENCH / ".cache/node_modules")})

    def beast_server(self):
        port = free_port()
        return Server("beast", [str(self.beast), HOST, str(port), "1"], port)

    # -- the runner --
    def alternate(self, workload, factories, measure, warmup=None, fresh=False, runs=None):
        """Runs `measure(server)` for each server in turn, `runs` rounds (A B C A B C ...).
        fresh: a new server process for every measurement (memory workloads), else one per workload."""
        runs = runs or self.args.runs
        table = self.results.setdefault(workload, {})
        live = {}
        try:
            if not fresh:
                for name, factory in factories.items():
                    try:
                        live[name] = factory().start(self.tmp)
                        if warmup:
                            warmup(live[name])
                    except Exception as e:  # the other servers still get measured
                        log(f"{workload}: {name} did not start or warm up: {e}")
            for r in range(runs):
                for name, factory in factories.items():
                    server = None
                    try:
                        server = live[name] if not fresh else factory().start(self.tmp)
                        result = measure(server)
                    except Exception as e:  # one failed measurement must not lose the others
                        log(f"{workload}: {name} run {r + 1} failed: {e!r}")
                        result = {"error": str(e) if not isinstance(e, KeyError) else "did not start"}
                    finally:
                        if fresh and server:
                            server.stop()
                    for key in ("rps", "rate", "mib_s"):  # throughput per second of server CPU
                        if key in result and result.get("server_cpu"):
                            result[key + "_per_cpu"] = result[key] * 100.0 / result["server_cpu"]
                    log(f"{workload}: {name} run {r + 1}/{runs}: {result}")
                    table.setdefault(name, {"runs": []})["runs"].append(result)
        finally:
            for server in live.values():
                server.stop()
        for entry in table.values():
            good = [run for run in entry.get("runs", []) if "error" not in run]
            if good:
                entry["median"] = {k: statistics.median(run[k] for run in good if k in run) for k in good[0]}
            else:
                entry["na"] = "failed: " + entry["runs"][-1].get("error", "?") if entry.get("runs") else "n/a"

    def cpu_meter(self, server, work):
        """Runs work() and adds the CPU use (% of one core) of the server and of the load generator
        (this process and its finished children: wrk, ws_load) to its result."""
        def client_seconds():
            own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
            return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
        before, client_before, start = cpu_seconds(server.pid), client_seconds(), time.monotonic()
        user_before = cpu_seconds(server.pid, (11,))
        result = work()
        elapsed = time.monotonic() - start
        result["server_cpu"] = 100.0 * (cpu_seconds(server.pid) - before) / elapsed
        result["server_user_cpu"] = 100.0 * (cpu_seconds(server.pid, (11,)) - user_before) / elapsed
        if result.get("rps"):  # where a request's CPU goes: the server's own code or the kernel
            result["user_us"] = result["server_user_cpu"] * 1e4 / result["rps"]
            result["kernel_us"] = (result["server_cpu"] - result["server_user_cpu"]) * 1e4 / result["rps"]
        result["client_cpu"] = 100.0 * (client_seconds() - client_before) / elapsed
        return result

    # -- workloads --
    def http_workload(self, workload, pipeline):
        secs = self.args.seconds
        factories = {"asgiserver": lambda: self.asgiserver_server("hello"),
                     "nginx": self.nginx_server, "uvicorn": self.uvicorn_server}
        if not pipeline:
            # A control for the latency columns: nginx writing its access log serves about as many
            # requests per second, but is now slower than wrk, so the queue moves into the server.
            factories["nginx + access log"] = lambda: self.nginx_server(access_log=True)
        self.alternate(workload, factories,
                       lambda s: self.cpu_meter(s, lambda: run_wrk(s.port, secs, 64, pipeline)),
                       warmup=lambda s: run_wrk(s.port, 1, 64, pipeline))

    def threads(self):
        """--threads 2 against --threads 1. The two-thread server may use both CPUs, and wrk's
        core is one of them: the ratio is bounded by the load generator, not by the server."""
        secs = self.args.seconds
        factories = {"asgiserver": lambda: self.asgiserver_server("hello"),
                     "asgiserver 2 threads": lambda: self.asgiserver_server(
                         "hello", threads=2, cpus=f"{SERVER_CPU},{CLIENT_CPU}")}
        self.alternate("threads", factories,
                       lambda s: self.cpu_meter(s, lambda: run_wrk(s.port, secs, 64)),
                       warmup=lambda s: run_wrk(s.port, 1, 64))

    def proxy_headers(self):
        """What reading proxy headers costs: the same requests with X-Forwarded-For and
        X-Forwarded-Proto from a trusted peer (loopback is trusted by default), which the server
        then parses and applies on every request."""
        secs = self.args.seconds
        forwarded = ("X-Forwarded-For: 203.0.113.7, 10.0.0.2", "X-Forwarded-Proto: https")
        with_headers = "asgiserver + X-Forwarded-*"
        factories = {"asgiserver": lambda: self.asgiserver_server("hello"),
                     with_headers: lambda: self.asgiserver_server("hello", name=with_headers)}

        def measure(server):
            headers = forwarded if server.name == with_headers else ()
            return self.cpu_meter(server, lambda: run_wrk(server.port, secs, 64, headers=headers))
        self.alternate("proxy_headers", factories, measure, warmup=lambda s: run_wrk(s.port, 1, 64))

    def static_file(self):
        """GET /static/file-1m.bin (1 MiB of random bytes) over 16 keep-alive connections: nginx
        with sendfile, asgiserver's `static` app (http.response.pathsend, sent with sendfile)."""
        (self.www / "static").mkdir(parents=True, exist_ok=True)
        path = self.www / "static" / "file-1m.bin"
        path.write_bytes(os.urandom(MIB))
        for p in (self.www, self.www / "static"):
            p.chmod(0o755)
        path.chmod(0o644)
        secs, url = self.args.seconds, "/static/file-1m.bin"

        def measure(server):
            result = self.cpu_meter(server, lambda: run_wrk(server.port, secs, 16, path=url))
            result["mib_s"] = result["rps"]  # 1 MiB per response
            return result

        factories = {"asgiserver": lambda: self.asgiserver_server("static", env={"ASGI_STATIC_DIR": str(self.www)}),
                     "nginx": self.nginx_server}
        self.alternate("static", factories, measure,
                       warmup=lambda s: run_wrk(s.port, 1, 16, path=url))

    def ws_echo(self):
        if not self.ws_load:
            self.results["ws_echo"] = {"all": {"na": "ws_load client not built"}}
            return
        factories = self.ws_factories()
        secs = self.args.seconds
        self.alternate("ws_echo", factories,
                       lambda s: self.cpu_meter(s, lambda: run_ws_load(self.ws_load, s.port, secs, 64)),
                       warmup=lambda s: run_ws_load(self.ws_load, s.port, 1, 64))
        self.mark_asgiserver_ws("ws_echo")

    def ws_factories(self):
        factories = {}
        probe = self.asgiserver_server(self.ws_app).start(self.tmp)
        try:
            self.asgiserver_ws = speaks_websocket(probe.port)
        finally:
            probe.stop()
        if self.asgiserver_ws:
            factories["asgiserver"] = lambda: self.asgiserver_server(self.ws_app)
        if self.beast:
            factories["beast"] = self.beast_server
        if self.have_node:
            factories["node ws"] = self.node_server
        factories["uvicorn"] = self.uvicorn_server
        return factories

    def mark_asgiserver_ws(self, workload):
        if not self.asgiserver_ws:
            self.results[workload] = {"asgiserver": {"na": NO_WS}, **self.results.get(workload, {})}
        if not self.beast:
            self.results[workload]["beast"] = {"na": "Beast example not built (see run.sh output)"}
        if not self.have_node:
            self.results[workload]["node ws"] = {"na": "npm could not install ws"}

    def idle(self, workload, websocket):
        count = self.args.idle
        if websocket:
            factories = self.ws_factories()
        else:
            factories = {"asgiserver": lambda: self.asgiserver_server("hello"),
                         "nginx": self.nginx_server, "uvicorn": self.uvicorn_server}

        def measure(server):
            # Warm up (allocator pools, lazily built tables) with a few connections, then measure
            # what `count` more cost while they sit idle after one exchange each.
            for s in open_idle_connections(server.port, 50, websocket):
                s.close()
            time.sleep(0.5)
            before = status_kib(server.pid, "VmRSS")
            start = time.monotonic()
            conns = open_idle_connections(server.port, count, websocket)
            opened = time.monotonic() - start
            # Idle means idle for a while: asgiserver parks a connection after a second without a
            # request and returns the freed memory to the OS shortly after.
            time.sleep(IDLE_SECONDS)
            after = status_kib(server.pid, "VmRSS")
            for s in conns:
                s.close()
            return {"kib_per_conn": (after - before) / count, "rss_before_mib": before / 1024,
                    "rss_after_mib": after / 1024, "open_s": opened}

        self.alternate(workload, factories, measure, fresh=True)
        if websocket:
            self.mark_asgiserver_ws(workload)

    def transfer(self, workload, direction):
        size = self.args.transfer_mib * MIB
        factories = {"asgiserver": lambda: self.asgiserver_server("stream", "--limit-request-body", "0"),
                     "nginx": self.nginx_server, "uvicorn": self.uvicorn_server}
        client = download if direction == "download" else upload

        def measure(server):
            client(server.port, 1 * MIB)  # warm-up, then measure the peak from here
            reset_peak_rss(server.pid)
            result = self.cpu_meter(server, lambda: {"seconds": client(server.port, size)})
            result["mib_s"] = size / MIB / result["seconds"]
            result["peak_rss_mib"] = status_kib(server.pid, "VmHWM") / 1024
            return result

        self.alternate(workload, factories, measure, fresh=True)

    def callgrind(self):
        """Instructions per request for `hello` under callgrind: a run with N requests minus a run
        with none (same connections, same wall time), divided by N."""
        if not shutil.which("valgrind"):
            self.results["callgrind"] = {"na": "valgrind not installed"}
            return
        n, conns = self.args.callgrind_requests, 4
        profiles, request_seconds = {}, None
        for requests in (n, 0):
            port = free_port()
            out = self.tmp / f"callgrind.{requests}.out"
            argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", str(self.asgiserver),
                    "--app", "hello", "--port", str(port), "--threads", "1", "--no-access-log",
                    "--log-level", "warning"]
            server = Server("asgiserver (callgrind)", argv, port, start_timeout=180,
                            stop_signal=signal.SIGINT).start(self.tmp)
            try:
                socks = [socket.create_connection((HOST, port), timeout=60) for _ in range(conns)]
                start = time.monotonic()
                for i in range(requests):
                    socks[i % conns].sendall(GET_ROOT)
                    status, _ = read_http_response(socks[i % conns])
                    assert status == 200
                if requests:
                    request_seconds = time.monotonic() - start
                else:
                    time.sleep(request_seconds)  # same wall time: same timer wake-ups
                for s in socks:
                    s.close()
                time.sleep(0.5)
            finally:
                server.stop(timeout=120)
            profiles[requests] = out
        total = {k: callgrind_total(p) for k, p in profiles.items()}
        self.results["callgrind"] = {
            "requests": n, "connections": conns, "ir_with_requests": total[n], "ir_without": total[0],
            "ir_per_request": (total[n] - total[0]) / n,
            "mallocs_per_request": (callgrind_calls(profiles[n], "malloc") - callgrind_calls(profiles[0], "malloc")) / n,
            "top_inclusive": callgrind_diff(profiles[n], profiles[0], n, inclusive=True, top=25),
            "top_self": callgrind_diff(profiles[n], profiles[0], n, inclusive=False, top=15)}
        log(f"callgrind: {self.results['callgrind']['ir_per_request']:.0f} Ir per request")

    def syscalls(self):
        """System calls per request (strace -c) for asgiserver and nginx, sequential keep-alive
        requests: what each request costs the kernel, which callgrind does not see."""
        if not shutil.which("strace"):
            self.results["syscalls"] = {"na": "strace not installed"}
            return
        n, table = self.args.callgrind_requests, {}
        for name, factory in (("asgiserver", lambda: self.asgiserver_server("hello")), ("nginx", self.nginx_server)):
            server = factory().start(self.tmp)
            try:
                socks = [socket.create_connection((HOST, server.port)) for _ in range(4)]
                for s in socks:  # the connections exist before strace attaches: only requests count
                    s.sendall(GET_ROOT)
                    read_http_response(s)
                worker = process_tree(server.pid)[-1]  # nginx: the worker; asgiserver: itself
                trace = subprocess.Popen(["strace", "-c", "-f", "-p", str(worker), "-o", str(self.tmp / f"strace.{name}")],
                                         stderr=subprocess.DEVNULL)
                time.sleep(1.0)  # strace attaches asynchronously
                for i in range(n):
                    socks[i % 4].sendall(GET_ROOT)
                    read_http_response(socks[i % 4])
                time.sleep(0.2)
                trace.send_signal(signal.SIGINT)
                trace.wait(30)
                for s in socks:
                    s.close()
            finally:
                server.stop()
            calls = {}
            for line in (self.tmp / f"strace.{name}").read_text().splitlines():
                fields = line.split()
                if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
                    calls[fields[-1]] = int(fields[3])
            table[name] = {"per_request": sum(calls.values()) / n,
                           "by_call": {k: v / n for k, v in sorted(calls.items(), key=lambda kv: -kv[1])}}
        self.results["syscalls"] = {"requests": n, **table}

    # -- all of it --
    def run(self):
        wanted = self.args.only.split(",") if self.args.only else None
        steps = [("plaintext", lambda: self.http_workload("plaintext", None)),
                 ("pipelined", lambda: self.http_workload("pipelined", 16)),
                 ("ws_echo", self.ws_echo),
                 ("idle_http", lambda: self.idle("idle_http", websocket=False)),
                 ("idle_ws", lambda: self.idle("idle_ws", websocket=True)),
                 ("download", lambda: self.transfer("download", "download")),
                 ("upload", lambda: self.transfer("upload", "upload")),
                 ("static", self.static_file),
                 ("threads", self.threads),
                 ("proxy_headers", self.proxy_headers),
                 ("callgrind", self.callgrind),
                 ("syscalls", self.syscalls)]
        if self.args.skip_ws:
            steps = [s for s in steps if s[0] not in ("ws_echo", "idle_ws")]
        if wanted is None or "download" in wanted:
            # nginx serves the 1 GiB response from a sparse file: no disk space, no disk I/O.
            for size in (MIB, self.args.transfer_mib * MIB):
                self.big_files[size] = self.tmp / f"bytes-{size}.bin"
                with open(self.big_files[size], "wb") as f:
                    f.truncate(size)
                self.big_files[size].chmod(0o644)
        try:
            for name, step in steps:
                if wanted is None or name in wanted:
                    log(f"== {name}")
                    try:
                        step()
                    except Exception as e:  # report what did run rather than nothing
                        log(f"{name} failed: {e!r}")
                        self.notes.append(f"{name}: failed ({e}); see the run's log")
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


# ---- callgrind parsing --------------------------------------------------------------------------

def callgrind_total(path):
    for line in Path(path).read_text(errors="replace").splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def callgrind_functions(path, inclusive):
    argv = ["callgrind_annotate", "--auto=no", "--threshold=100", f"--inclusive={'yes' if inclusive else 'no'}", str(path)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    functions = {}
    for line in out.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(\S.*)$", line)
        if m and "PROGRAM TOTALS" not in line:
            # "file:function [object]": with -g, code inlined from a header is listed under that
            # header's name, so one function can appear several times; merge them.
            # Inclusive costs of such pieces nest (one calls the other), so take the largest;
            # self costs are disjoint, so add them.
            name = re.sub(r" \[/[^\]]*\]$", "", m.group(2)).split(":", 1)[-1]
            cost = int(m.group(1).replace(",", ""))
            functions[name] = max(functions.get(name, 0), cost) if inclusive else functions.get(name, 0) + cost
    return functions


def callgrind_calls(path, callee):
    """How often `callee` was called, from the callgrind file's calls= lines."""
    names, current, total = {}, None, 0
    for line in Path(path).read_text(errors="replace").splitlines():
        if line.startswith(("fn=", "cfn=")):
            m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line)
            if m:
                if m.group(2):
                    names[m.group(1)] = m.group(2)
                if line.startswith("cfn="):
                    current = names.get(m.group(1))
        elif line.startswith("calls=") and current == callee:
            total += int(line[6:].split()[0])
    return total


def callgrind_diff(with_requests, without, n, inclusive, top):
    a, b = callgrind_functions(with_requests, inclusive), callgrind_functions(without, inclusive)
    rows = sorted(((a[f] - b.get(f, 0)) / n, f) for f in a)
    return [{"ir_per_request": ir, "function": f} for ir, f in reversed(rows[-top:]) if ir > 0]


# ---- report -------------------------------------------------------------------------------------

def command_output(argv, pattern=r"(.+)"):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        m = re.search(pattern, p.stdout + p.stderr)
        return m.group(1).strip() if m else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"


def machine_and_versions(bench):
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    mem = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
    ws_version = "not installed"
    package = BENCH / ".cache/node_modules/ws/package.json"
    if package.exists():
        ws_version = json.loads(package.read_text())["version"]
    py_versions = command_output([PYTHON, "-c", "import sys, uvicorn, uvloop, httptools, websockets; "
                                  "print(f'Uvicorn {uvicorn.__version__} (uvloop {uvloop.__version__}, httptools "
                                  "{httptools.__version__}, websockets {websockets.__version__}, "
                                  "CPython {sys.version.split()[0]})')"])
    boost = re.search(r'#define BOOST_LIB_VERSION "([\d_]+)"', Path("/usr/include/boost/version.hpp").read_text())
    return {
        "machine": f"{os.cpu_count()} CPUs ({model.group(1) if model else '?'}), "
                   f"{int(mem.group(1)) // 1024 // 1024 if mem else '?'} GiB RAM, Linux {os.uname().release}",
        "asgiserver": command_output([str(bench.asgiserver), "--version"]) + f" ({bench.asgiserver.relative_to(REPO) if bench.asgiserver.is_relative_to(REPO) else bench.asgiserver}, {bench.args.build_note})",
        "nginx": command_output(["nginx", "-v"], r"nginx version: (.+)") + " (nginx-light, 1 worker)",
        "uvicorn": py_versions,
        "node": command_output(["node", "--version"]) + f" + ws {ws_version}",
        "boost": (boost.group(1).replace("_", ".") if boost else "?") + " (Beast example websocket_server_awaitable, g++ -O2, 1 thread)",
        "wrk": command_output(["wrk", "-v"], r"wrk (\S+)"),
        "valgrind": command_output(["valgrind", "--version"]),
    }


def fmt(value, digits=0):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def median(results, workload, server, key):
    entry = results.get(workload, {}).get(server, {})
    return entry.get("median", {}).get(key)


def goal_rows(results):
    """(goal, measured, CPU-normalised ratio, target, PASS/MISS with the gap)."""
    rows = []

    def na_text(workload):
        return results.get(workload, {}).get("asgiserver", {}).get("na") or "not measured"

    def ratio_goal(label, workload, key, peer, target, higher_is_better=True):
        mine, theirs = median(results, workload, "asgiserver", key), median(results, workload, peer, key)
        if not mine or not theirs:
            rows.append((label, na_text(workload), "–", target_text(target, higher_is_better, "x"), "n/a"))
            return
        digits = 2 if key.endswith("ms") else 0
        ratio = mine / theirs
        result, per_cpu = verdict(ratio, target, higher_is_better), "–"
        mine_eff, theirs_eff = (median(results, workload, s, key + "_per_cpu") for s in ("asgiserver", peer))
        if mine_eff and theirs_eff:
            per_cpu = f"{mine_eff / theirs_eff:.2f}x"
            other = verdict(mine_eff / theirs_eff, target, higher_is_better)
            if other.split(":")[0] != result.split(":")[0]:  # the noise decided: say so
                result += f" (uncertain: per CPU-s says {other})"
        cpu = [median(results, workload, s, "server_cpu") for s in ("asgiserver", peer)]
        if key.endswith("_ms") and None not in cpu and min(cpu) < 70:
            result += (f" (uncertain: the servers got only {min(cpu):.0f}% of a core, so the tail "
                       "mostly measures the scheduler)")
        rows.append((label, f"{ratio:.2f}x ({fmt(mine, digits)} vs {fmt(theirs, digits)})", per_cpu,
                     target_text(target, higher_is_better, "x"), result))

    def absolute_goal(label, workload, key, target, unit, strict=False):
        value = median(results, workload, "asgiserver", key)
        if value is None:
            rows.append((label, na_text(workload), "–", target_text(target, False, unit, strict), "n/a"))
            return
        rows.append((label, f"{value:.2f} {unit}", "–", target_text(target, False, unit, strict),
                     verdict(value, target, False, strict)))

    ratio_goal("HTTP keep-alive plaintext, req/s vs nginx", "plaintext", "rps", "nginx", 1.0)
    ratio_goal("HTTP keep-alive plaintext, req/s vs Uvicorn", "plaintext", "rps", "uvicorn", 3.5)
    ratio_goal("Pipelined (depth 16), req/s vs nginx", "pipelined", "rps", "nginx", 1.0)
    ratio_goal("WebSocket echo 16 B, msg/s vs Beast", "ws_echo", "rate", "beast", 1.5)
    absolute_goal("RSS per idle keep-alive connection", "idle_http", "kib_per_conn", 2.0, "KiB")
    absolute_goal("RSS per idle WebSocket", "idle_ws", "kib_per_conn", 4.0, "KiB")
    absolute_goal("Peak RSS streaming a 1 GiB response", "download", "peak_rss_mib", 64.0, "MiB", strict=True)
    absolute_goal("Peak RSS receiving a 1 GiB upload", "upload", "peak_rss_mib", 64.0, "MiB", strict=True)
    ratio_goal("Static 1 MiB file by sendfile, MiB/s vs nginx", "static", "mib_s", "nginx", 0.9)
    ratio_goal("p99 latency at 64 connections vs nginx", "plaintext", "p99_ms", "nginx", 1.2, higher_is_better=False)
    return rows


def target_text(target, higher_is_better, unit, strict=False):
    op = (">" if strict else "≥") if higher_is_better else ("<" if strict else "≤")
    return f"{op} {target:g}{'' if unit == 'x' else ' '}{unit}"


def verdict(value, target, higher_is_better, strict=False):
    if higher_is_better:
        ok = value > target if strict else value >= target
        return "PASS" if ok else f"MISS: needs +{(target / value - 1) * 100:.0f}%" if value > 0 else "MISS"
    ok = value < target if strict else value <= target
    return "PASS" if ok else f"MISS: over by {(value / target - 1) * 100:.0f}%"


# workload -> (title, [(key, column, digits)], throughput key for the ratio column or None)
WORKLOAD_TITLES = {
    "plaintext": ("HTTP keep-alive plaintext: `GET /` → 13 bytes, 64 connections (`wrk -t1 -c64 --latency`)",
                  [("rps", "req/s", 0), ("p50_ms", "p50 ms", 3), ("p99_ms", "p99 ms", 3),
                   ("mean_ms", "mean ms", 3), ("in_client_ms", "in wrk ms", 3),
                   ("user_us", "user µs/req", 2), ("kernel_us", "kernel µs/req", 2)], "rps"),
    "pipelined": ("HTTP pipelined, 16 requests per write, 64 connections (`wrk -s pipeline.lua -- 16`)",
                  [("rps", "req/s", 0)], "rps"),
    "ws_echo": ("WebSocket echo, 16-byte binary messages, 64 connections, one in flight each (`ws_load`)",
                [("rate", "msg/s", 0)], "rate"),
    "idle_http": ("Idle HTTP keep-alive connections (after one request each, then 3 s idle): server RSS growth",
                  [("kib_per_conn", "KiB/conn", 2), ("rss_before_mib", "RSS before MiB", 1),
                   ("rss_after_mib", "RSS after MiB", 1)], None),
    "idle_ws": ("Idle WebSocket connections (after the handshake and one echo each, then 3 s idle): server RSS growth",
                [("kib_per_conn", "KiB/conn", 2), ("rss_before_mib", "RSS before MiB", 1),
                 ("rss_after_mib", "RSS after MiB", 1)], None),
    "download": ("Streamed response (`GET /bytes?n=…`, 64 KiB chunks; nginx: a sparse file, sendfile off)",
                 [("mib_s", "MiB/s", 0), ("peak_rss_mib", "peak RSS MiB", 1)], "mib_s"),
    "static": ("Static file: `GET /static/file-1m.bin` (1 MiB), 16 connections (`wrk -t1 -c16`); both with sendfile",
               [("mib_s", "MiB/s", 0), ("p99_ms", "p99 ms", 2)], "mib_s"),
    "threads": ("HTTP keep-alive plaintext, `--threads 2` (both CPUs, one shared with wrk) vs `--threads 1` "
                "(CPU 0): bounded by wrk's single core, not a measure of the server's scaling",
                [("rps", "req/s", 0)], "rps"),
    "proxy_headers": ("HTTP keep-alive plaintext with and without `X-Forwarded-For` + `X-Forwarded-Proto` "
                      "from a trusted peer (read and applied on every request)",
                      [("rps", "req/s", 0), ("user_us", "user µs/req", 2)], "rps"),
    "upload": ("Upload (`POST /upload`, body counted and dropped; nginx: `return 200` discards it)",
               [("mib_s", "MiB/s", 0), ("peak_rss_mib", "peak RSS MiB", 1)], "mib_s"),
}


def workload_table(results, workload):
    title, columns, key = WORKLOAD_TITLES[workload]
    table = results[workload]
    head = ["Server"] + [c[1] for c in columns]
    has_cpu = any("server_cpu" in e.get("median", {}) for e in table.values())
    if key:
        head.append("asgiserver ÷ this")
    if has_cpu:
        head += ["server CPU", "client CPU", f"{columns[0][1].split('/')[0]} per server CPU-s", "asgiserver ÷ this per CPU-s"]
    head.append("runs")
    lines = ["", f"### {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    mine = median(results, workload, "asgiserver", key) if key else None
    mine_eff = median(results, workload, "asgiserver", f"{key}_per_cpu") if key else None
    for server, entry in table.items():
        if "median" not in entry:
            lines.append(f"| {server} | {entry.get('na', 'n/a')} |" + " |" * (len(head) - 2))
            continue
        med = entry["median"]
        row = [server] + [fmt(med.get(k), d) for k, _, d in columns]
        if key:
            row.append(f"{mine / med[key]:.2f}x" if mine and med.get(key) else "–")
        if has_cpu:
            eff = med.get(f"{key}_per_cpu")
            row += [f"{med['server_cpu']:.0f}%" if "server_cpu" in med else "–",
                    f"{med['client_cpu']:.0f}%" if "client_cpu" in med else "–", fmt(eff),
                    f"{mine_eff / eff:.2f}x" if mine_eff and eff else "–"]
        first, digits = columns[0][0], columns[0][2]
        runs = ", ".join(fmt(r.get(first), digits) if "error" not in r else "error" for r in entry["runs"])
        errors = sum(r.get("errors", 0) for r in entry["runs"] if "error" not in r)
        row.append(runs + (f" ({errors} errors)" if errors else ""))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def render(bench, info, started, elapsed):
    a, res = bench.args, bench.results
    lines = [f"# asgiserver benchmark: {started:%Y-%m-%d %H:%M} UTC", "",
             "Written by `tests/bench/run.sh` (the one command; see the top of that file). The machine is "
             "shared and noisy, so only ratios measured side by side in this one run count.", "",
             f"- Machine: {info['machine']}",
             f"- Pinning: every server on CPU {SERVER_CPU} (`taskset -c {SERVER_CPU}`), every load generator "
             f"on CPU {CLIENT_CPU}",
             f"- Settings: {a.runs} run(s) × {a.seconds} s per server per workload, servers alternating "
             f"(A B C A B C …), medians shown; {a.idle:,} idle connections; {a.transfer_mib:,} MiB transfers; "
             f"{a.callgrind_requests:,} requests under callgrind and strace; nice {a.nice}; "
             f"total time {elapsed / 60:.1f} min",
             "- Versions:"]
    lines += [f"  - {key}: {info[key]}" for key in ("asgiserver", "nginx", "uvicorn", "node", "boost", "wrk", "valgrind")]
    lines += ["", "## Goals", "",
              "Ratios are asgiserver ÷ peer from the same run. *Per CPU-s* divides each server's throughput by "
              "the CPU time it actually got (the other engineers' builds share these cores), a cross-check "
              "that is less sensitive to noise; PASS/MISS uses the plain ratio and says *uncertain* when the "
              "CPU-normalised ratio disagrees (then the noise, not the servers, decided).", "",
              "| Goal | asgiserver | Per CPU-s | Target | Result |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in goal_rows(res)]
    cg = res.get("callgrind", {})
    if "ir_per_request" in cg:
        lines += ["", f"Instructions per request (callgrind, `hello`, {cg['requests']:,} keep-alive requests over "
                      f"{cg['connections']} connections, minus a run with none): **{cg['ir_per_request']:,.0f} Ir/request** "
                      f"({cg['ir_with_requests']:,} − {cg['ir_without']:,} Ir of startup, idle timers and shutdown); "
                      f"{cg['mallocs_per_request']:.1f} calls to malloc per request. User space only: the kernel's "
                      "share is in the system-call counts below."]
    sc = res.get("syscalls", {})
    if "asgiserver" in sc:
        def calls(name):
            by = sc[name]["by_call"]
            return f"{sc[name]['per_request']:.2f} (" + ", ".join(f"{k} {v:.2f}" for k, v in by.items() if v >= 0.01) + ")"
        lines += ["", f"System calls per request (`strace -c -f` on the server, {sc['requests']:,} sequential keep-alive "
                      f"requests over 4 connections): asgiserver {calls('asgiserver')}; nginx {calls('nginx')}."]
    lines += ["", "## Measurements", "",
              "Medians; *runs* lists every run in order. *server CPU* and *client CPU* are the CPU time the server "
              "and the load generator got during the run, as a share of one core each (loopback TCP work is "
              "charged to whichever side happens to run it). Well under 100% on both means the noisy "
              "neighbours took the rest; *per server CPU-s* corrects throughput for that."]
    for workload in WORKLOAD_TITLES:
        if res.get(workload):
            lines += workload_table(res, workload)
    if "top_inclusive" in cg:
        lines += ["", "## Where asgiserver spends its instructions (`hello`, callgrind)", "",
                  "Per request: (Ir with requests − Ir without) ÷ requests for each function, from "
                  "`callgrind_annotate --inclusive=yes` (top 25) and `--inclusive=no` (self cost, top 15); "
                  "template and parameter lists shortened to `<…>` and `(…)`; full names in latest.json.", "",
                  "```", "Inclusive Ir/request  function"]
        lines += [f"{row['ir_per_request']:>20,.0f}  {shorten(row['function'])}" for row in cg["top_inclusive"]]
        lines += ["", "     Self Ir/request  function"]
        lines += [f"{row['ir_per_request']:>20,.0f}  {shorten(row['function'])}" for row in cg["top_self"]]
        lines += ["```"]
    if bench.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in bench.notes]
    return "\n".join(lines) + "\n"


def shorten(name, width=160):
    """A C++ symbol without template and parameter lists, so that it fits on a line:
    `ns::op<long...>::do_complete(void*, ...)` -> `ns::op<…>::do_complete(…)`."""
    name = name.replace("(anonymous namespace)", "{anon}")
    out, depth = [], 0
    for i, c in enumerate(name):
        if c in "<(" and not name[:i].endswith("operator"):
            if depth == 0:
                out.append(c + "…")
            depth += 1
        elif c in ">)" and depth > 0:
            depth -= 1
            if depth == 0:
                out.append(c)
        elif depth == 0:
            out.append(c)
    short = "".join(out)
    return short if len(short) <= width else short[: width - 1] + "…"


# ---- main ---------------------------------------------------------------------------------------

def main():
    quick = os.environ.get("BENCH_QUICK") == "1"
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", default=quick, help="1 run × 2 s, smaller counts (or BENCH_QUICK=1)")
    p.add_argument("--runs", type=int, help="runs per server per workload (default 5; quick 1)")
    p.add_argument("--seconds", type=int, help="seconds per run (default 5; quick 2)")
    p.add_argument("--idle", type=int, help="idle connections (default 10000; quick 2000)")
    p.add_argument("--transfer-mib", type=int, help="streamed response / upload size in MiB (default 1024; quick 256)")
    p.add_argument("--callgrind-requests", type=int, help="requests under callgrind (default 10000; quick 1000)")
    p.add_argument("--only", help="comma-separated: plaintext,pipelined,ws_echo,idle_http,idle_ws,download,upload,static,threads,proxy_headers,callgrind,syscalls")
    p.add_argument("--skip-ws", action="store_true", help="leave out the WebSocket workloads")
    p.add_argument("--nice", type=int, default=int(os.environ.get("BENCH_NICE", "0")),
                   help="run servers and load generators at this nice level, e.g. -10 (root) to get "
                        "ahead of other jobs on a shared machine (or BENCH_NICE); default 0")
    p.add_argument("--asgiserver", default=str(REPO / "build-bench/asgiserver"))
    p.add_argument("--build-note", default="Release", help="how the binary was built, for the report")
    p.add_argument("--beast", help="Beast websocket_server_awaitable binary")
    p.add_argument("--ws-load", help="ws_load binary")
    p.add_argument("--out", help="results file (default results/latest.md; quick: results/quick.md)")
    a = p.parse_args()
    defaults = (1, 2, 2000, 256, 1000) if a.quick else (5, 5, 10000, 1024, 10000)
    for field, default in zip(("runs", "seconds", "idle", "transfer_mib", "callgrind_requests"), defaults):
        if getattr(a, field) is None:
            setattr(a, field, default)
    # Quick runs are for trying things out: they go to the (uncommitted) cache, not results/.
    out = Path(a.out) if a.out else (BENCH / ".cache/quick.md" if a.quick else BENCH / "results/latest.md")

    if a.nice:
        NICE[:] = ["nice", "-n", str(a.nice)]
        os.nice(a.nice)  # this process and its children: the load generators
    # The load generators (this process and its children) on the client CPU.
    if os.cpu_count() and os.cpu_count() >= 2:
        os.sched_setaffinity(0, {int(CLIENT_CPU)})
    else:
        log("warning: fewer than 2 CPUs, servers and clients share one")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < a.idle + 1000:
        a.idle = max(100, hard - 1000)
        log(f"warning: open-file limit {hard}: only {a.idle} idle connections")

    started = datetime.datetime.utcnow()
    t0 = time.monotonic()
    bench = Bench(a)
    bench.run()
    if bench.asgiserver_ws is False:
        bench.notes.append(f"WebSocket rows: asgiserver answered the upgrade on `--app {bench.ws_app}` with "
                           "something other than 101, so it is shown as n/a; the peers are still measured. "
                           "The rows fill in by themselves once asgiserver speaks WebSocket.")
    elif bench.asgiserver_ws:
        bench.notes.append(f"WebSocket rows: asgiserver runs `--app {bench.ws_app}` (it answered the upgrade "
                           "with 101); Beast is its `websocket_server_awaitable` example (1 thread, "
                           "default options), Node `ws` and Uvicorn (`websockets`) run "
                           "permessage-deflate off or unnegotiated (the client offers none).")
    bench.notes.append("Latency: wrk's closed loop at full load. Each connection's round trip (64 ÷ req/s) "
                       "is the latency wrk measures plus *in wrk*, the time a response and the next request "
                       "wait inside wrk, which wrk does not count. The slower of server and wrk holds the "
                       "queue and with it most of the measured latency: *nginx + access log* is the same "
                       "nginx made a little slower than wrk, a control for that. p99 also catches every time "
                       "a server was scheduled out; on a busy shared machine it is the noisiest number here.")
    bench.notes.append("asgiserver runs `--threads 1 --no-access-log --timeout-keep-alive 300` (the stream app also "
                       "`--limit-request-body 0`); Uvicorn `--loop uvloop --http httptools --ws websockets "
                       "--lifespan off --no-access-log` with Debian's /usr/bin/python3; nginx `worker_processes 1`, "
                       "`keepalive_requests` raised so it does not close every 1000th connection.")
    info = machine_and_versions(bench)
    text = render(bench, info, started, time.monotonic() - t0)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps({"settings": vars(a), "info": info, "results": bench.results},
                                                   indent=1, default=str) + "\n")
    print(text)
    log(f"wrote {out} and {out.with_suffix('.json').name}")


if __name__ == "__main__":
    main()
