"""What permessage-deflate costs the server per idle WebSocket, by the client's offer: none,
`permessage-deflate; client_max_window_bits` (12-bit windows both ways) and a bare
`permessage-deflate` (the client may compress with a 32 KiB window, so the server inflates with
15 bits). Not a test and not part of bench.py; standard library only.

    /usr/bin/python3 tests/bench/ws_deflate_memory.py build/asgiserver [N=1000] [RUNS=3] [BYTES=2048]

For each offer, a fresh `asgiserver --app echo`: 50 connections to warm up (then closed), then N
connections, each after the handshake and one BYTES-long message echoed (BYTES=0: the handshake
only; zlib allocates its windows on first use), then 3 s idle. Prints the growth of VmRSS and of
VmHWM (the peak, reset after the warm-up) per connection, the median of RUNS servers.
"""

import base64
import os
import random
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

HOST = "127.0.0.1"
BANNER = re.compile(rb"asgiserver running on http://127\.0\.0\.1:(\d+)")
OFFERS = (("no offer", None),
          ("offer with client_max_window_bits", "permessage-deflate; client_max_window_bits"),
          ("bare offer", "permessage-deflate"))


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed")
        data += chunk
    return data


def read_message(sock):
    """A whole message (compressed replies may come in several frames): (first byte, payload)."""
    payload, first = b"", None
    while True:
        b0, b1 = recv_exact(sock, 2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", recv_exact(sock, 2))[0]
        elif n == 127:
            n = struct.unpack("!Q", recv_exact(sock, 8))[0]
        payload += recv_exact(sock, n)
        first = b0 if first is None else first
        if b0 & 0x80:
            return first, payload


def open_websocket(port, offer, message):
    sock = socket.create_connection((HOST, port), timeout=30)
    key = base64.b64encode(os.urandom(16)).decode()
    extensions = f"Sec-WebSocket-Extensions: {offer}\r\n" if offer else ""
    sock.sendall((f"GET / HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extensions}\r\n")
                 .encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise RuntimeError(head)
    negotiated = re.search(rb"(?i)\r\nsec-websocket-extensions: ([^\r]*)", head)
    if offer and not negotiated:
        raise RuntimeError(f"offer {offer!r} declined")
    if message is None:
        return sock
    payload, rsv = message, 0
    if negotiated:
        bits = re.search(rb"client_max_window_bits=(\d+)", negotiated.group(1))
        deflater = zlib.compressobj(wbits=-(int(bits.group(1)) if bits else 15))
        payload = (deflater.compress(message) + deflater.flush(zlib.Z_SYNC_FLUSH))[:-4]
        rsv = 0x40
    n = len(payload)
    length = bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n)
    mask = os.urandom(4)
    sock.sendall(bytes([0x82 | rsv]) + length + mask +
                 bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    first, reply = read_message(sock)
    if first & 0x40:
        reply = zlib.decompressobj(wbits=-15).decompress(reply + b"\x00\x00\xff\xff")
    if reply != message:
        raise RuntimeError("bad echo")
    return sock


def measure(binary, offer, count, message):
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen([binary, "--app", "echo", "--host", HOST, "--port", "0",
                                   "--ws-ping-interval", "0", "--no-access-log"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        try:
            deadline = time.monotonic() + 20
            while not (banner := BANNER.search(os.pread(log.fileno(), 1 << 16, 0))):
                if time.monotonic() > deadline:
                    raise RuntimeError("no banner")
                time.sleep(0.05)
            port = int(banner.group(1))
            for sock in [open_websocket(port, offer, message) for _ in range(50)]:
                sock.close()
            time.sleep(1.5)
            with open(f"/proc/{server.pid}/clear_refs", "w") as refs:
                refs.write("5")  # VmHWM := VmRSS
            rss, peak = status_kib(server.pid, "VmRSS"), status_kib(server.pid, "VmHWM")
            conns = [open_websocket(port, offer, message) for _ in range(count)]
            time.sleep(3)
            rss = (status_kib(server.pid, "VmRSS") - rss) / count
            peak = (status_kib(server.pid, "VmHWM") - peak) / count
            for sock in conns:
                sock.close()
            return rss, peak
        finally:
            server.kill()
            server.wait()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    count, runs, size = (int(a) for a in (sys.argv[2:] + ["1000", "3", "2048"][len(sys.argv) - 2:]))
    letters = random.Random(1)
    message = bytes(letters.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(size)) or None
    print(f"{count} idle WebSockets, each after a {size}-byte echo; median of {runs} servers")
    for name, offer in OFFERS:
        results = sorted(measure(binary, offer, count, message) for _ in range(runs))
        rss, peak = results[len(results) // 2]
        print(f"  {name:34s} RSS +{rss:6.2f} KiB   peak +{peak:6.2f} KiB   per connection",
              flush=True)


if __name__ == "__main__":
    main()
