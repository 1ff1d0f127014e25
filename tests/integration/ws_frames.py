"""Raw WebSocket frames over plain sockets, for the tests a well-behaved client cannot do.

handshake_request() builds an opening handshake; accept_value() computes the expected
Sec-WebSocket-Accept; frame() builds a (normally masked) client frame with any FIN/RSV/opcode, a
forced length encoding and any payload, valid or not; close_payload() a Close body. WsClient does
the handshake over a support.Reader (so the bytes after the 101 stay buffered), sends frames (also
chopped into small writes), and parses the server's frames (Frame, with close_code/close_reason).
"""

import base64
import hashlib
import os
import struct
import time

from support import IO_TIMEOUT, ConnectionClosed, Reader, connect

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# The sample key of RFC 6455 §1.3 and its Sec-WebSocket-Accept.
RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
RSV1, RSV2, RSV3 = 4, 2, 1  # values for frame(rsv=...)


def new_key():
    return base64.b64encode(os.urandom(16)).decode()


def accept_value(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def handshake_request(path="/", key=RFC_KEY, headers=(), version="13", protocols=None,
                      method="GET", http_version="1.1"):
    """An opening handshake. `headers` (name, value) pairs are appended; a None `version` or
    `key` leaves that header out."""
    lines = ["%s %s HTTP/%s" % (method, path, http_version), "Host: localhost",
             "Upgrade: websocket", "Connection: Upgrade"]
    if key is not None:
        lines.append("Sec-WebSocket-Key: " + key)
    if version is not None:
        lines.append("Sec-WebSocket-Version: " + version)
    if protocols:
        lines.append("Sec-WebSocket-Protocol: " + ", ".join(protocols))
    lines += ["%s: %s" % (n, v) for n, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def close_payload(code=None, reason=b""):
    """A Close frame body: nothing, or a 2-byte code and the reason bytes."""
    if code is None:
        return b""
    if isinstance(reason, str):
        reason = reason.encode()
    return struct.pack("!H", code) + reason


def frame(opcode, payload=b"", fin=True, rsv=0, mask=True, mask_key=None, length_bits=None):
    """One frame. `length_bits` forces the length encoding: 7, 16 or 64 (default: the minimal
    one), to send non-minimal lengths. `mask=False` sends an unmasked (invalid) client frame."""
    if isinstance(payload, str):
        payload = payload.encode()
    first = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0xF)
    n = len(payload)
    if length_bits is None:
        length_bits = 7 if n < 126 else 16 if n < 65536 else 64
    mask_bit = 0x80 if mask else 0
    if length_bits == 7:
        header = struct.pack("!BB", first, mask_bit | n)
    elif length_bits == 16:
        header = struct.pack("!BBH", first, mask_bit | 126, n)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, n)
    if not mask:
        return header + payload
    key = mask_key if mask_key is not None else os.urandom(4)
    return header + key + apply_mask(payload, key)


def apply_mask(data, key):
    if not data:
        return b""
    repeated = (key * (len(data) // 4 + 1))[:len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(data), "big")


class Frame:
    """A frame as received from the server."""

    def __init__(self, fin, rsv, opcode, masked, payload, length_code=None):
        self.fin, self.rsv, self.opcode, self.masked, self.payload = fin, rsv, opcode, masked, payload
        self.length_code = length_code  # the 7-bit length field: the size, or 126 / 127

    @property
    def close_code(self):
        """The Close frame's code, or None for an empty Close body."""
        assert self.opcode == OP_CLOSE, self
        return struct.unpack("!H", self.payload[:2])[0] if len(self.payload) >= 2 else None

    @property
    def close_reason(self):
        assert self.opcode == OP_CLOSE, self
        return self.payload[2:].decode("utf-8")

    def __repr__(self):
        return "<Frame fin=%d rsv=%d opcode=0x%X masked=%d len=%d %r>" % (
            self.fin, self.rsv, self.opcode, self.masked, len(self.payload), self.payload[:60])


class WsClient:
    """A raw client on one connection. `response` is the handshake's parsed HTTP response."""

    def __init__(self, sock):
        self.sock = sock
        self.reader = Reader(sock)
        self.response = None

    @classmethod
    def open(cls, port, path="/", extra=b"", timeout=IO_TIMEOUT, **handshake):
        """Connects, sends the handshake (plus `extra` bytes in the same write) and reads the
        response head (a 101 has no body; any bytes after it stay buffered for read_frame);
        `response.status` tells whether it was a 101. Keyword arguments go to
        handshake_request (`key` defaults to a fresh random key, kept as `client.key`)."""
        client = cls(connect(port, timeout))
        key = handshake.pop("key", None) or new_key()
        client.key = key
        client.sock.sendall(handshake_request(path, key=key, **handshake) + extra)
        client.response = client.reader.read_response()
        return client

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()

    # ---- sending --------------------------------------------------------------------------------

    def send_raw(self, data, chop=None, delay=0.0):
        """Sends bytes, optionally in pieces of `chop` bytes with `delay` seconds between them."""
        if not chop:
            self.sock.sendall(data)
            return
        for i in range(0, len(data), chop):
            self.sock.sendall(data[i:i + chop])
            if delay:
                time.sleep(delay)

    def send_frame(self, opcode, payload=b"", chop=None, delay=0.0, **options):
        self.send_raw(frame(opcode, payload, **options), chop, delay)

    def send_text(self, text, **options):
        self.send_frame(OP_TEXT, text.encode() if isinstance(text, str) else text, **options)

    def send_binary(self, data, **options):
        self.send_frame(OP_BINARY, data, **options)

    def send_close(self, code=None, reason=b"", **options):
        self.send_frame(OP_CLOSE, close_payload(code, reason), **options)

    def send_close_quietly(self, code=None, reason=b""):
        """A Close reply that may hit a socket the server already closed."""
        try:
            self.send_close(code, reason)
        except OSError:
            pass

    # ---- receiving ------------------------------------------------------------------------------

    def read_frame(self, timeout=IO_TIMEOUT):
        """The next frame from the server; ConnectionClosed on EOF, ResponseTimeout (an
        AssertionError) when nothing arrives within `timeout`."""
        old = self.sock.gettimeout()
        self.sock.settimeout(timeout)
        try:
            b0, b1 = self.reader.read_exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self.reader.read_exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self.reader.read_exact(8))[0]
            masked = bool(b1 & 0x80)
            key = self.reader.read_exact(4) if masked else None
            payload = self.reader.read_exact(n)
            if masked:
                payload = apply_mask(payload, key)
        finally:
            self.sock.settimeout(old)
        return Frame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0xF, masked, payload, b1 & 0x7F)

    def read_message(self, timeout=IO_TIMEOUT, controls=None):
        """The next data message as (opcode, payload), reassembled from its fragments. Pings and
        pongs met on the way are appended to `controls` (a list) or fail the call when it is None;
        a Close fails it."""
        opcode, parts = None, []
        while True:
            f = self.read_frame(timeout)
            if f.opcode in (OP_PING, OP_PONG):
                if controls is None:
                    raise AssertionError("unexpected control frame %r" % f)
                controls.append(f)
                continue
            if f.opcode == OP_CLOSE:
                raise AssertionError("server closed (code %r, reason %r) instead of sending a message"
                                     % (f.close_code, f.payload[2:]))
            if f.masked or f.rsv:
                raise AssertionError("server frame masked or with RSV bits: %r" % f)
            if opcode is None:
                if f.opcode not in (OP_TEXT, OP_BINARY):
                    raise AssertionError("message starts with %r" % f)
                opcode = f.opcode
            elif f.opcode != OP_CONT:
                raise AssertionError("fragmented message continued with %r" % f)
            parts.append(f.payload)
            if f.fin:
                return opcode, b"".join(parts)

    def read_close(self, timeout=IO_TIMEOUT):
        """Reads until the server's Close frame (data and control frames before it are skipped,
        as a client that sent garbage may still get replies to earlier frames) and returns it.
        Fails if the connection ends without a Close frame."""
        skipped = []
        while True:
            try:
                f = self.read_frame(timeout)
            except ConnectionClosed as e:
                raise AssertionError("connection closed without a Close frame (after %r; "
                                     "trailing bytes %r)" % (skipped[:5], e.data[:50])) from None
            if f.opcode == OP_CLOSE:
                return f
            skipped.append(f)

    def assert_eof(self, timeout=IO_TIMEOUT):
        """The server closes TCP within `timeout`, sending nothing more; then the client closes
        its socket too (the server may wait for that before it reports the end to the app)."""
        self.reader.assert_closed(timeout)
        self.sock.close()

    def expect_close(self, code, reason=None, reply=True, timeout=IO_TIMEOUT):
        """The server sends a Close frame with `code` (and `reason` if given), then closes TCP.
        With `reply`, the client answers with a Close first (the normal close handshake)."""
        f = self.read_close(timeout)
        if f.close_code != code or (reason is not None and f.close_reason != reason):
            raise AssertionError("expected Close %r %r, got code %r reason %r"
                                 % (code, reason, f.close_code, f.payload[2:]))
        if reply:
            self.send_close_quietly(code)
        self.assert_eof(timeout)
        return f
