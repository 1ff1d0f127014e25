"""WebSocket frame-level conformance with hand-built frames (the Autobahn|Testsuite categories of
hardening §11, re-implemented): payload sizes and length encodings, fragmentation, pings and
pongs, reserved bits and opcodes, control-frame rules, UTF-8 validation, close frames.

Every violation must be answered with a Close frame carrying the code of hardening §7 (never just
a dropped connection), and frames after the violation must not be processed (a ping sent right
after the bad frame gets no pong: the next frame is the Close). The app is ws_testing's /echo.
"""

import struct
import unittest

from test_websocket import WsTestCase
from ws_frames import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, RSV1, RSV2, RSV3,
                       close_payload, frame)

SIZES = (0, 125, 126, 127, 128, 65535, 65536)


def payload_of(size, text):
    """`size` bytes: ASCII for text, every byte value for binary."""
    if text:
        return (b"abcdefghijklmnopqrstuvwxyz0123456789" * (size // 36 + 1))[:size]
    return bytes(i % 256 for i in range(size))


class PayloadSizeTest(WsTestCase):

    def echo_sizes(self, opcode, chopped):
        c = self.ws("/echo")
        for size in SIZES:
            with self.subTest(size=size):
                data = payload_of(size, opcode == OP_TEXT)
                chop = (1 if size <= 128 else 997) if chopped else None
                c.send_frame(opcode, data, chop=chop)
                got_opcode, got = c.read_message()
                self.assertEqual(got_opcode, opcode)
                self.assertEqual(len(got), size)
                self.assertEqual(got, data)
        c.send_close(1000)
        c.expect_close(1000, reply=False)

    def test_text_sizes(self):
        self.echo_sizes(OP_TEXT, chopped=False)

    def test_binary_sizes(self):
        self.echo_sizes(OP_BINARY, chopped=False)

    def test_text_sizes_chopped(self):
        self.echo_sizes(OP_TEXT, chopped=True)

    def test_binary_sizes_chopped(self):
        self.echo_sizes(OP_BINARY, chopped=True)

    def test_server_frames_use_minimal_length_encoding(self):
        """The echo of 125/126/65535/65536 bytes comes back with the 7/16/16/64-bit length."""
        c = self.ws("/echo")
        for size, marker in ((125, 125), (126, 126), (65535, 126), (65536, 127)):
            with self.subTest(size=size):
                c.send_binary(b"x" * size)
                f = c.read_frame()
                self.assertEqual((f.fin, f.rsv, f.opcode, f.masked), (True, 0, OP_BINARY, False), f)
                self.assertEqual(f.length_code, marker, f)
                self.assertEqual(f.payload, b"x" * size)


class FragmentationTest(WsTestCase):

    def test_thousand_fragments(self):
        pieces = [b"%09d," % i for i in range(1000)]
        data = frame(OP_TEXT, pieces[0], fin=False)
        data += b"".join(frame(OP_CONT, p, fin=False) for p in pieces[1:-1])
        data += frame(OP_CONT, pieces[-1], fin=True)
        c = self.ws("/echo")
        c.send_raw(data)
        self.assertEqual(c.read_message(), (OP_TEXT, b"".join(pieces)))

    def test_binary_fragments_with_empty_ones(self):
        c = self.ws("/echo")
        c.send_raw(frame(OP_BINARY, b"", fin=False) + frame(OP_CONT, b"\x01\x02", fin=False) +
                   frame(OP_CONT, b"", fin=False) + frame(OP_CONT, b"\x03", fin=True))
        self.assertEqual(c.read_message(), (OP_BINARY, b"\x01\x02\x03"))

    def test_fragments_octet_by_octet(self):
        c = self.ws("/echo")
        data = frame(OP_TEXT, b"hel", fin=False) + frame(OP_CONT, b"lo", fin=True)
        c.send_raw(data, chop=1)
        self.assertEqual(c.read_message(), (OP_TEXT, b"hello"))

    def test_ping_between_fragments_is_answered_first(self):
        c = self.ws("/echo")
        c.send_raw(frame(OP_TEXT, b"frag1-", fin=False) + frame(OP_PING, b"in between") +
                   frame(OP_CONT, b"frag2", fin=True))
        f = c.read_frame()
        self.assertEqual((f.opcode, f.payload), (OP_PONG, b"in between"), f)
        self.assertEqual(c.read_message(), (OP_TEXT, b"frag1-frag2"))

    def test_messages_in_order(self):
        c = self.ws("/echo")
        c.send_raw(b"".join(frame(OP_TEXT, b"m%d" % i) for i in range(50)))
        for i in range(50):
            self.assertEqual(c.read_message(), (OP_TEXT, b"m%d" % i))


class PingTest(WsTestCase):

    def test_pong_echoes_payload(self):
        c = self.ws("/echo")
        for payload in (b"", b"hello", b"\x00\xff\xfe\x80", bytes(range(125))):
            with self.subTest(size=len(payload)):
                c.send_frame(OP_PING, payload)
                f = c.read_frame()
                self.assertEqual(f.opcode, OP_PONG, f)
                self.assertTrue(f.fin, f)
                self.assertFalse(f.masked, f)
                self.assertEqual(f.payload, payload)

    def test_ping_octet_by_octet(self):
        c = self.ws("/echo")
        c.send_frame(OP_PING, b"one octet at a time", chop=1)
        f = c.read_frame()
        self.assertEqual((f.opcode, f.payload), (OP_PONG, b"one octet at a time"), f)

    def test_ten_pings(self):
        c = self.ws("/echo")
        c.send_raw(b"".join(frame(OP_PING, b"ping %d" % i) for i in range(10)))
        for i in range(10):
            f = c.read_frame()
            self.assertEqual((f.opcode, f.payload), (OP_PONG, b"ping %d" % i), f)

    def test_unsolicited_pong_is_ignored(self):
        c = self.ws("/echo")
        c.send_raw(frame(OP_PONG, b"unsolicited") + frame(OP_PONG, b"") + frame(OP_TEXT, b"after"))
        self.assertEqual(c.read_message(), (OP_TEXT, b"after"))  # no frame before the echo


class ViolationTest(WsTestCase):
    """Each case: a verified echo first (the session is open), then the bad frame followed by a
    ping; the server's next frame must be a Close with the expected code, then TCP closes."""

    def fails(self, bad, codes, app_code=None, chop=None):
        codes = (codes,) if isinstance(codes, int) else codes
        mark = self.server.stderr_mark()
        c = self.ws("/echo")
        c.send_text("ok")
        self.assertEqual(c.read_message(), (OP_TEXT, b"ok"))
        try:
            c.send_raw(bad + frame(OP_PING, b"after"), chop=chop)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may close before the rest arrives; its Close frame must be there
        try:
            f = c.read_frame()
        except Exception as e:  # noqa: BLE001 - reported as a failure with context
            raise AssertionError("no Close frame (expected %r): %r" % (codes, e)) from None
        self.assertEqual(f.opcode, OP_CLOSE, "expected a Close %r first, got %r" % (codes, f))
        self.assertIn(f.close_code, codes, f)
        self.assertFalse(f.masked, f)
        c.assert_eof()
        if app_code is not None:
            self.wait_app_line(r"^ws_testing: disconnect code=%d " % app_code, mark)
        return f

    # -- masking, reserved bits, opcodes

    def test_unmasked_frame(self):
        self.fails(frame(OP_TEXT, b"unmasked", mask=False), 1002, app_code=1002)

    def test_unmasked_empty_frame(self):
        self.fails(frame(OP_BINARY, b"", mask=False), 1002)

    def test_rsv1_without_deflate(self):
        self.fails(frame(OP_TEXT, b"x", rsv=RSV1), 1002)

    def test_rsv2_and_rsv3(self):
        for rsv in (RSV2, RSV3, RSV1 | RSV2 | RSV3):
            with self.subTest(rsv=rsv):
                self.fails(frame(OP_BINARY, b"x", rsv=rsv), 1002)

    def test_rsv_on_control_and_continuation(self):
        with self.subTest("ping"):
            self.fails(frame(OP_PING, b"x", rsv=RSV1), 1002)
        with self.subTest("close"):
            self.fails(frame(OP_CLOSE, close_payload(1000), rsv=RSV2), 1002)
        with self.subTest("continuation"):
            self.fails(frame(OP_TEXT, b"a", fin=False) + frame(OP_CONT, b"b", rsv=RSV1), 1002)

    def test_reserved_opcodes(self):
        for opcode in (0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF):
            for payload in (b"", b"reserved"):
                with self.subTest(opcode=opcode, payload=payload):
                    self.fails(frame(opcode, payload), 1002)

    # -- control frames

    def test_fragmented_ping(self):
        self.fails(frame(OP_PING, b"frag", fin=False), 1002)

    def test_fragmented_close(self):
        self.fails(frame(OP_CLOSE, close_payload(1000), fin=False), 1002)

    def test_ping_of_126_bytes(self):
        self.fails(frame(OP_PING, b"p" * 126), 1002)

    def test_control_length_in_16_bits(self):
        self.fails(frame(OP_PING, b"p" * 10, length_bits=16), 1002)

    # -- fragmentation

    def test_continuation_without_start(self):
        self.fails(frame(OP_CONT, b"orphan"), 1002)

    def test_final_continuation_without_start(self):
        self.fails(frame(OP_CONT, b"orphan", fin=False), 1002)

    def test_text_inside_fragmented_text(self):
        self.fails(frame(OP_TEXT, b"first", fin=False) + frame(OP_TEXT, b"second"), 1002)

    def test_binary_inside_fragmented_text(self):
        self.fails(frame(OP_TEXT, b"first", fin=False) + frame(OP_BINARY, b"second"), 1002)

    # -- lengths

    def test_non_minimal_16_bit_length(self):
        self.fails(frame(OP_TEXT, b"short", length_bits=16), 1002)

    def test_non_minimal_64_bit_length(self):
        self.fails(frame(OP_BINARY, b"b" * 200, length_bits=64), 1002)

    def test_64_bit_length_with_msb_set(self):
        """RFC 6455 §5.2: the most significant bit of a 64-bit length MUST be 0. Hardening §7 says
        1002; Beast checks the length against the message limit first and fails the connection
        with 1009. Either way the frame is refused with a close frame, never read."""
        bad = bytes([0x82, 0x80 | 127]) + struct.pack("!Q", (1 << 63) | 5) + b"\x00\x00\x00\x00"
        self.fails(bad, (1002, 1009))

    # -- UTF-8

    def test_invalid_utf8_text(self):
        for name, data in (("0xFF", b"\xff"), ("overlong", b"\xc0\xaf"),
                           ("surrogate", b"\xed\xa0\x80"), ("above U+10FFFF", b"\xf4\x90\x80\x80"),
                           ("truncated at end", b"abc\xe2\x82"),
                           ("after valid text", "κόσμε".encode() + b"\xce")):
            with self.subTest(name):
                self.fails(frame(OP_TEXT, data), 1007, app_code=1007)

    def test_invalid_utf8_split_across_fragments(self):
        self.fails(frame(OP_TEXT, b"valid start ", fin=False) + frame(OP_CONT, b"\xff end"), 1007,
                   app_code=1007)

    def test_invalid_utf8_in_a_non_final_fragment_fails_fast(self):
        """The bad octet is in a fragment whose message never ends: the server must not wait
        for the end of the message to fail the connection."""
        self.fails(frame(OP_TEXT, b"ok \xc0\xaf", fin=False), 1007)

    def test_invalid_utf8_octet_by_octet(self):
        self.fails(frame(OP_TEXT, b"abc\xed\xa0\x80def"), 1007, chop=1)

    # -- close frames

    def test_close_with_one_byte_payload(self):
        self.fails(frame(OP_CLOSE, b"\x03"), 1002)

    def test_invalid_close_codes(self):
        for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999):
            with self.subTest(code=code):
                self.fails(frame(OP_CLOSE, close_payload(code, b"bad")), 1002)

    def test_close_reason_not_utf8(self):
        self.fails(frame(OP_CLOSE, struct.pack("!H", 1000) + b"\xff\xfe"), (1002, 1007))


class UnmaskedHandshakeFrameTest(WsTestCase):

    def test_unmasked_frame_in_the_handshake_write(self):
        """An unmasked frame that arrives with the handshake (preloaded bytes) fails too."""
        c = self.ws("/echo", extra=frame(OP_TEXT, b"x", mask=False))
        f = c.read_close()
        self.assertEqual(f.close_code, 1002, f)
        c.assert_eof()


class ValidTextTest(WsTestCase):

    def test_code_point_split_across_fragments(self):
        c = self.ws("/echo")
        c.send_raw(frame(OP_TEXT, b"a\xe2", fin=False) + frame(OP_CONT, b"\x82", fin=False) +
                   frame(OP_CONT, b"\xacb", fin=True))
        self.assertEqual(c.read_message(), (OP_TEXT, "a€b".encode()))

    def test_multibyte_text_chopped(self):
        text = "κόσμε 🦀 U+FFFE:\ufffe U+10FFFF:\U0010ffff".encode()
        c = self.ws("/echo")
        c.send_frame(OP_TEXT, text, chop=1)
        self.assertEqual(c.read_message(), (OP_TEXT, text))


class ClientCloseTest(WsTestCase):

    def close_handshake(self, payload, reply_codes, app_line):
        mark = self.server.stderr_mark()
        c = self.ws("/echo")
        c.send_frame(OP_CLOSE, payload)
        f = c.read_frame()
        self.assertEqual(f.opcode, OP_CLOSE, f)
        self.assertIn(f.close_code, reply_codes, f)
        c.assert_eof()
        self.wait_app_line(app_line, mark)

    def test_valid_close_codes_are_echoed(self):
        for code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999):
            with self.subTest(code=code):
                self.close_handshake(close_payload(code), (code, 1000),
                                     r"^ws_testing: disconnect code=%d reason=$" % code)

    def test_close_with_123_byte_reason(self):
        reason = "r" * 123
        self.close_handshake(close_payload(1000, reason), (1000,),
                             r"^ws_testing: disconnect code=1000 reason=%s$" % reason)

    def test_close_with_utf8_reason(self):
        self.close_handshake(close_payload(4001, "κόσμε"), (4001, 1000),
                             r"^ws_testing: disconnect code=4001 reason=κόσμε$")

    def test_data_after_close_is_ignored(self):
        c = self.ws("/echo")
        c.send_raw(frame(OP_CLOSE, close_payload(1000)) + frame(OP_TEXT, b"ignored") +
                   frame(OP_PING, b"ignored") + frame(OP_CLOSE, close_payload(1000)))
        f = c.read_frame()
        self.assertEqual((f.opcode, f.close_code), (OP_CLOSE, 1000), f)
        c.assert_eof()  # and nothing else: no echo, no pong, no second Close

    def test_client_keeps_tcp_open_after_close_handshake(self):
        """The client sends Close and gets the reply, but leaves its socket open. The app must
        still learn of the disconnect at once (it must not depend on the client's FIN)."""
        mark = self.server.stderr_mark()
        c = self.ws("/echo")
        c.send_close(1001, "going")
        f = c.read_frame()
        self.assertEqual(f.opcode, OP_CLOSE, f)
        self.wait_app_line(r"^ws_testing: disconnect code=1001 reason=going$", mark)


class ClientCloseCodeTest(WsTestCase):
    """Which close codes a client may send is decided by RFC 6455 §7.4 and IANA's WebSocket close
    code registry: 1000-1003, 1007-1014 (1012 Service Restart, 1013 Try Again Later and 1014 Bad
    Gateway are registered there) and 3000-4999. Those are accepted: the reply echoes the code
    and the app's websocket.disconnect carries it. Every other code (0-999, 1004-1006, 1015,
    1016-2999, 5000 and above) fails the connection with 1002, for the app too."""

    def test_boundary_codes_are_accepted_and_echoed(self):
        for code in (1012, 1013, 1014, 3000, 4999):
            with self.subTest(code=code):
                mark = self.server.stderr_mark()
                c = self.ws("/echo")
                c.send_close(code, "bye")
                f = c.read_frame()
                self.assertEqual((f.opcode, f.close_code), (OP_CLOSE, code), f)
                c.assert_eof()
                self.wait_app_line(r"^ws_testing: disconnect code=%d reason=bye$" % code, mark)

    def test_codes_outside_the_registry_fail_with_1002(self):
        for code in (2999, 5000, 9999, 65535):
            with self.subTest(code=code):
                mark = self.server.stderr_mark()
                c = self.ws("/echo")
                c.send_text("ok")
                self.assertEqual(c.read_message(), (OP_TEXT, b"ok"))
                c.send_raw(frame(OP_CLOSE, close_payload(code, b"bad")) + frame(OP_PING, b"after"))
                f = c.read_frame()
                self.assertEqual((f.opcode, f.close_code), (OP_CLOSE, 1002), f)
                c.assert_eof()
                self.wait_app_line(r"^ws_testing: disconnect code=1002 reason=$", mark)

    def test_1014_split_across_reads_and_with_the_handshake(self):
        """1014 sent octet by octet (its two bytes may arrive in separate reads), and in the
        handshake's own write (read with the request head, before the WebSocket stream exists)."""
        mark = self.server.stderr_mark()
        c = self.ws("/echo")
        c.send_close(1014, "slow", chop=1)
        f = c.read_frame()
        self.assertEqual((f.opcode, f.close_code), (OP_CLOSE, 1014), f)
        c.assert_eof()
        self.wait_app_line(r"^ws_testing: disconnect code=1014 reason=slow$", mark)

        mark = self.server.stderr_mark()
        c = self.ws("/echo", extra=frame(OP_TEXT, b"early") + frame(OP_CLOSE, close_payload(1014)))
        self.assertEqual(c.read_message(), (OP_TEXT, b"early"))
        f = c.read_frame()
        self.assertEqual((f.opcode, f.close_code), (OP_CLOSE, 1014), f)
        c.assert_eof()
        self.wait_app_line(r"^ws_testing: disconnect code=1014 reason=$", mark)

    def test_app_closes_with_the_same_codes(self):
        """The app may send what a client may: 1012-1014 and 3000-4999 go on the wire as they
        are; 5000 is the app's ProtocolError, so the connection closes with 1011 instead."""
        for code in (1012, 1013, 1014, 3000, 4999):
            with self.subTest(code=code):
                c = self.ws("/close?code=%d&reason=bye" % code)
                c.expect_close(code, "bye")
        c = self.ws("/close?code=5000")
        c.expect_close(1011)

    def test_close_while_the_app_sends(self):
        """The Close arrives while the server writes the app's messages: the server's own answer
        (1002 for 5000, 1014 for 1014) still goes ahead of the echo Beast would send."""
        for sent, answer in ((5000, 1002), (1014, 1014)) * 3:
            with self.subTest(sent=sent):
                c = self.ws("/push?n=100000")
                c.send_close(sent)
                f = c.read_close(timeout=10)  # the messages pushed before it are skipped
                self.assertEqual(f.close_code, answer, f)
                c.assert_eof(timeout=10)


class ServerCloseTimeoutTest(WsTestCase):

    def test_silent_client_after_app_close_is_dropped(self):
        """The app closes; the client never answers the Close. The server must close TCP
        after a bounded wait (the session's 5 s close grace; 10 s allowed here)."""
        c = self.ws("/close?code=4000&reason=bye")
        f = c.read_close()
        self.assertEqual(f.close_code, 4000, f)
        c.assert_eof(timeout=10)

    def test_app_close_then_client_keeps_tcp_open(self):
        """Close handshake completed (the client replied) but the client keeps its socket
        open: the app's close() returns and its next receive() is the disconnect, at once."""
        mark = self.server.stderr_mark()
        c = self.ws("/close?code=4002&reason=bye")
        f = c.read_close()
        self.assertEqual(f.close_code, 4002, f)
        c.send_close(4002)
        self.wait_app_line(r"^ws_testing: disconnect code=4002 reason=bye$", mark)


if __name__ == "__main__":
    unittest.main()
