"""The ASGI `http.response.pathsend` extension: the app names an absolute file path and the server
sends that file (sendfile), adding a content-length from the file's size when the app gave none.
Checked through the testing app's /pathsend route (exact bytes, keep-alive, pipelining, HEAD,
HTTP/1.0, trailers, and every error path: a content-length that differs from the file, missing
files, directories, relative paths, pathsend after a body, a file shrinking mid-send, a client
that stops reading), the `static` app that serves a directory with it (index.html, 404 for
anything outside the root, 405, content types), and the scope's `extensions` (inspect app)."""

import json
import os
import shutil
import tempfile
import time
import unittest

from support import ConnectionClosed, Reader, Response, ServerTestCase, request

INTERNAL_ERROR = b"HTTP/1.1 500 Internal Server Error\r\n"
EXCEPTION_LOGGED = "Exception in ASGI application"
SMALL = b"pathsend small file: 0123456789 abcdefghijklmnopqrstuvwxyz\n"
MIB = 1024 * 1024


def write_file(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def sparse_file(path, size):
    """A file of `size` zero bytes that takes no disk space."""
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def vm_rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for pid %d" % pid)


def pathsend(path, **params):
    """The testing app's /pathsend target for `path` (plain: the app does not percent-decode)."""
    query = "path=" + path
    for name, value in params.items():
        query += "&%s=%s" % (name, value)
    return "/pathsend?" + query


class PathsendTestBase(ServerTestCase):
    """The testing app, with a temporary directory of files (`cls.dir`) removed at teardown."""

    APP = "testing"
    TESTING_BINARY = True
    HEALTH_REQUEST = request("GET", "/stream?chunks=1&delay_ms=0", [("Connection", "close")])

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="asgi-pathsend-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        cls.make_files()
        super().setUpClass()

    @classmethod
    def make_files(cls):
        pass

    def read_head(self, r):
        resp = Response()
        r.read_head(resp)
        return resp


class PathsendTest(PathsendTestBase):

    @classmethod
    def make_files(cls):
        cls.small = write_file(os.path.join(cls.dir, "small.bin"), SMALL)
        cls.empty = write_file(os.path.join(cls.dir, "empty.bin"), b"")
        cls.big_data = os.urandom(6 * MIB + 12345)
        cls.big = write_file(os.path.join(cls.dir, "big.bin"), cls.big_data)
        cls.subdir = os.path.join(cls.dir, "subdir")
        os.mkdir(cls.subdir)

    def get_file(self, r, path, expected, method="GET", headers=(), version="1.1"):
        """Sends one request for `path` on `r` and checks a 200 carrying exactly `expected`
        with a content-length (no chunking); returns the response."""
        r.send(request(method, pathsend(path), headers, version=version))
        resp = r.read_response(head_request=method == "HEAD")
        self.assertEqual(resp.status, 200, resp.raw[:300])
        self.assertEqual(resp.header("content-type"), "application/octet-stream")
        self.assertEqual(resp.header("content-length"), str(len(expected)))
        self.assertIsNone(resp.header("transfer-encoding"))
        if method == "HEAD":
            self.assertEqual(resp.body, b"")
        else:
            self.assertEqual(len(resp.body), len(expected))
            self.assertTrue(resp.body == expected, "file bytes differ")
        return resp

    # ---- successful sends ---------------------------------------------------------------------

    def test_small_file_gets_content_length_from_size(self):
        """No content-length from the app: the server adds the file size and sends the exact
        bytes; the HTTP/1.1 connection stays open."""
        r = self.reader()
        resp = self.get_file(r, self.small, SMALL)
        self.assertEqual((resp.version, resp.reason), ("1.1", "OK"))
        self.assertIsNone(resp.header("connection"))
        r.assert_open(0.3)

    def test_empty_file(self):
        """An empty file: content-length: 0, no body, and the connection carries the next
        request."""
        r = self.reader()
        self.get_file(r, self.empty, b"")
        self.get_file(r, self.small, SMALL)

    def test_large_random_file_exact_bytes(self):
        """A 6 MiB random file arrives byte for byte."""
        r = self.reader()
        self.get_file(r, self.big, self.big_data)
        r.assert_open(0.3)

    def test_several_files_on_one_keep_alive_connection(self):
        """Small, big, empty, small, one after another on one connection: each exact."""
        r = self.reader()
        for path, data in ((self.small, SMALL), (self.big, self.big_data), (self.empty, b""),
                           (self.small, SMALL)):
            self.get_file(r, path, data)
        r.assert_open(0.3)

    def test_pipelined_with_ordinary_responses_in_order(self):
        """Seven requests in one write (ordinary 404, pathsend, chunked stream, big pathsend,
        HEAD pathsend, empty pathsend, ordinary 404): seven responses in order, each exact."""
        r = self.reader()
        r.send(request("GET", "/nope")
               + request("GET", pathsend(self.small))
               + request("GET", "/stream?chunks=2&delay_ms=0")
               + request("GET", pathsend(self.big))
               + request("HEAD", pathsend(self.big))
               + request("GET", pathsend(self.empty))
               + request("GET", "/nope-again"))
        resp = r.read_response()
        self.assertEqual((resp.status, resp.body), (404, b"Not Found"))
        resp = r.read_response()
        self.assertEqual((resp.status, resp.body), (200, SMALL))
        self.assertEqual(resp.header("content-length"), str(len(SMALL)))
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("transfer-encoding"), "chunked")
        self.assertEqual(resp.body, b"chunk-0\nchunk-1\n")
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("content-length"), str(len(self.big_data)))
        self.assertTrue(resp.body == self.big_data, "big file bytes differ")
        resp = r.read_response(head_request=True)
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("content-length"), str(len(self.big_data)))
        resp = r.read_response()
        self.assertEqual((resp.status, resp.body), (200, b""))
        self.assertEqual(resp.header("content-length"), "0")
        resp = r.read_response()
        self.assertEqual((resp.status, resp.body), (404, b"Not Found"), resp.raw[:300])
        r.assert_open(0.3)

    def test_content_length_equal_to_size_is_kept(self):
        """content-length from the app equal to the file size: one content-length header, the
        exact bytes, keep-alive."""
        r = self.reader()
        r.send(request("GET", pathsend(self.small, cl=len(SMALL))))
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header_all("content-length"), [str(len(SMALL))])
        self.assertEqual(resp.body, SMALL)
        self.get_file(r, self.empty, b"")

    def test_head_gives_size_without_body(self):
        """HEAD: content-length is the file size and no body byte follows; the next GET on the
        connection parses cleanly and is exact."""
        r = self.reader()
        self.get_file(r, self.big, self.big_data, method="HEAD")
        self.get_file(r, self.small, SMALL)
        self.get_file(r, self.empty, b"", method="HEAD")
        self.get_file(r, self.small, SMALL)
        r.assert_open(0.3)

    def test_http10_content_length_then_close(self):
        """HTTP/1.0 without keep-alive: content-length framing, exact bytes, then the server
        closes."""
        r = self.reader()
        r.send(request("GET", pathsend(self.small), version="1.0"))
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("content-length"), str(len(SMALL)))
        self.assertIsNone(resp.header("transfer-encoding"))
        self.assertEqual(resp.body, SMALL)
        r.assert_closed(5)

    def test_http10_keep_alive(self):
        """HTTP/1.0 with Connection: keep-alive: connection: keep-alive and a second request on
        the same socket."""
        r = self.reader()
        for path, data in ((self.small, SMALL), (self.big, self.big_data)):
            resp = self.get_file(r, path, data, headers=[("Connection", "keep-alive")],
                                 version="1.0")
            self.assertEqual(resp.header("connection").lower(), "keep-alive")
        r.assert_open(0.3)

    def test_trailers_after_file(self):
        """mode=trailers with `TE: trailers`: chunked, the data is the file, then the trailer
        `x-file: sent`; the connection stays usable."""
        r = self.reader()
        for path, data in ((self.small, SMALL), (self.big, self.big_data), (self.empty, b"")):
            with self.subTest(path=os.path.basename(path)):
                r.send(request("GET", pathsend(path, mode="trailers"), [("TE", "trailers")]))
                resp = r.read_response()
                self.assertEqual(resp.status, 200)
                self.assertEqual(resp.header("transfer-encoding"), "chunked")
                self.assertIsNone(resp.header("content-length"))
                self.assertTrue(resp.body == data, "file bytes differ")
                self.assertEqual(resp.trailers, [("x-file", "sent")])
                self.assertTrue(resp.raw.endswith(b"0\r\nx-file: sent\r\n\r\n"), resp.raw[-100:])
        self.get_file(r, self.small, SMALL)

    def test_trailers_mode_without_te(self):
        """mode=trailers without `TE: trailers`: same chunked file data, no trailer field."""
        r = self.reader()
        r.send(request("GET", pathsend(self.small, mode="trailers")))
        resp = r.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.body, SMALL)
        self.assertEqual(resp.trailers, [])
        self.assertNotIn(b"x-file", resp.raw)
        self.get_file(r, self.small, SMALL)

    # ---- errors before anything is written: 500 ----------------------------------------------

    def get_500(self, target):
        """GETs `target` with a second request pipelined behind it: a complete 500 with
        connection: close, nothing for the second request, the close, and the exception logged.
        Returns every byte received."""
        mark = self.server.stderr_mark()
        r = self.reader()
        r.send(request("GET", target) + request("GET", "/nope"))
        resp = r.read_response()
        self.assertTrue(resp.raw.startswith(INTERNAL_ERROR), resp.raw[:300])
        self.assertEqual(resp.header("connection"), "close")
        self.assertEqual(resp.body, b"Internal Server Error")
        rest = r.read_until_close(5)
        self.assertEqual(rest, b"")
        self.assertIsNotNone(self.server.wait_for_stderr(EXCEPTION_LOGGED, 3, start=mark),
                             self.server.stderr_text())
        return resp.raw

    def test_content_length_differs_from_file_size(self):
        """content-length one short, one long, zero, or far larger than the file: nothing went
        out yet, so the client gets a complete 500 (none of the file) and the server goes on."""
        for cl in (len(SMALL) - 1, len(SMALL) + 1, 0, 10 * MIB):
            with self.subTest(cl=cl):
                data = self.get_500(pathsend(self.small, cl=cl))
                self.assertNotIn(SMALL[:20], data)
        self.assertServerHealthy()

    def test_content_length_on_empty_file(self):
        """content-length: 5 for an empty file: 500."""
        self.get_500(pathsend(self.empty, cl=5))
        self.assertServerHealthy()

    def test_missing_file(self):
        """A path that does not exist: 500."""
        self.get_500(pathsend(os.path.join(self.dir, "no-such-file.bin")))
        self.assertServerHealthy()

    def test_directory(self):
        """A directory is not a regular file: 500."""
        self.get_500(pathsend(self.subdir))
        self.get_500(pathsend("/"))
        self.assertServerHealthy()

    def test_relative_path(self):
        """A relative path (even one that would resolve from the server's cwd) and an empty
        one: 500."""
        for target in ("rel.txt", "small.bin", os.path.relpath(self.small), ""):
            with self.subTest(path=target):
                self.get_500(pathsend(target))
        self.assertServerHealthy()

    # ---- errors after the head went out --------------------------------------------------------

    def test_pathsend_after_body_aborts_connection(self):
        """mode=after-body: the head and the "x" chunk are already out, so the connection closes
        without the terminating chunk and without any of the file; a pipelined request behind it
        gets nothing; the server logs the error and keeps serving."""
        mark = self.server.stderr_mark()
        r = self.reader()
        r.send(request("GET", pathsend(self.small, mode="after-body")) + request("GET", "/nope"))
        with self.assertRaises(ConnectionClosed) as ctx:
            r.read_response()
        data = ctx.exception.data
        self.assertTrue(data.startswith(b"HTTP/1.1 200 OK\r\n"), data)
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertIn(b"\r\ntransfer-encoding: chunked", head)
        self.assertEqual(body, b"1\r\nx\r\n")
        self.assertTrue(r.eof)
        self.assertEqual(r.buf, b"")
        line = self.server.wait_for_stderr(
            EXCEPTION_LOGGED + r".*mode=after-body.*http\.response\.pathsend", 3, start=mark)
        self.assertIsNotNone(line, self.server.stderr_text())
        self.assertServerHealthy()

    def test_file_shrinking_while_sent_closes_connection(self):
        """The file is cut to 1 MiB while a 64 MiB send is stalled on a full socket: the server
        closes the connection short of the announced length (never pads or hangs), logs it, and
        goes on serving."""
        path = sparse_file(os.path.join(self.dir, "shrinks.bin"), 64 * MIB)
        mark = self.server.stderr_mark()
        r = self.reader(timeout=10)
        r.send(request("GET", pathsend(path)))
        resp = self.read_head(r)
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("content-length"), str(64 * MIB))
        r.read_exact(64 * 1024)
        time.sleep(0.3)  # let the server fill the socket buffers and wait for room
        os.truncate(path, MIB)
        rest = r.read_until_close(5)
        received = 64 * 1024 + len(rest)
        self.assertLess(received, 64 * MIB)
        self.assertGreaterEqual(received, MIB)
        self.assertIsNotNone(self.server.wait_for_stderr("shrank", 3, start=mark),
                             self.server.stderr_text())
        self.assertServerHealthy()


class PathsendSendTimeoutTest(PathsendTestBase):
    """--timeout-send 1: a client that stops reading a file is dropped; one that keeps reading,
    however slowly, is not."""

    ARGS = ("--timeout-send", "1")
    SIZE = 64 * MIB

    @classmethod
    def make_files(cls):
        cls.huge = sparse_file(os.path.join(cls.dir, "huge.bin"), cls.SIZE)
        cls.steady_data = os.urandom(12 * MIB)
        cls.steady = write_file(os.path.join(cls.dir, "steady.bin"), cls.steady_data)
        cls.small = write_file(os.path.join(cls.dir, "small.bin"), SMALL)

    def test_stalled_client_dropped_and_others_served(self):
        """A client reads 64 KiB of a 64 MiB file and stops: meanwhile other clients get their
        files, the server's memory stays far below the file size, and within ~3 s the server
        has dropped the connection (draining it yields less than the file, then EOF)."""
        rss_before = vm_rss_bytes(self.server.proc.pid)
        r = self.reader(timeout=10)
        r.send(request("GET", pathsend(self.huge)))
        resp = self.read_head(r)
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("content-length"), str(self.SIZE))
        first = r.read_exact(64 * 1024)
        self.assertEqual(first, bytes(64 * 1024))
        stalled_at = time.monotonic()

        time.sleep(0.3)
        with Reader(self.server.connect()) as other:
            other.send(request("GET", pathsend(self.small)))
            resp = other.read_response()
            self.assertEqual((resp.status, resp.body), (200, SMALL))
        rss = vm_rss_bytes(self.server.proc.pid)
        # Growth, not the absolute size: a sanitizer build's shadow memory alone exceeds the file.
        self.assertLess(rss - rss_before, 16 * MIB, "VmRSS grew from %d to %d" % (rss_before, rss))

        time.sleep(max(0.0, 3.0 - (time.monotonic() - stalled_at)))
        rest = r.read_until_close(5)
        self.assertLess(len(first) + len(rest), self.SIZE, "the whole file was still sent")
        self.assertTrue(self.server.alive())
        self.assertServerHealthy()

    def test_slow_but_steady_reader_gets_whole_file(self):
        """A client that reads 128 KiB every 20 ms (about 2 s for 12 MiB, longer than
        --timeout-send, but never idle for more than a few ms) gets the whole file."""
        r = self.reader(timeout=10)
        r.send(request("GET", pathsend(self.steady)))
        resp = self.read_head(r)
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.header("content-length"), str(len(self.steady_data)))
        body = bytearray(r._take(len(r.buf)))
        started = time.monotonic()
        while len(body) < len(self.steady_data):
            data = r.sock.recv(128 * 1024)
            if not data:
                break
            body += data
            time.sleep(0.02)
        elapsed = time.monotonic() - started
        self.assertEqual(len(body), len(self.steady_data),
                         "connection closed after %d of %d bytes, %.1f s into the download"
                         % (len(body), len(self.steady_data), elapsed))
        self.assertTrue(bytes(body) == self.steady_data, "file bytes differ")
        self.assertGreater(elapsed, 1.0)  # the download did outlast --timeout-send
        r.send(request("GET", pathsend(self.small)))
        self.assertEqual(r.read_response().body, SMALL)


class InspectPathsendExtensionTest(ServerTestCase):
    APP = "inspect"

    def test_http_scope_advertises_pathsend(self):
        """The HTTP scope's extensions include `http.response.pathsend: {}`, for GET and POST."""
        for method, body in (("GET", b""), ("POST", b"data")):
            with self.subTest(method=method):
                resp = self.fetch(request(method, "/x", body=body))
                self.assertEqual(resp.status, 200, resp.raw)
                scope = json.loads(resp.body.decode("utf-8"))
                self.assertIn("http.response.pathsend", scope["extensions"])
                self.assertEqual(scope["extensions"]["http.response.pathsend"], {})


# ---- the `static` app -----------------------------------------------------------------------------

INDEX = b"<!doctype html><title>root index</title>\n"
DOCS_INDEX = b"<!doctype html><title>docs index</title>\n"
CSS = b"body { color: red; }\n"
NOTES = b"some notes\n"
BLOB = bytes(range(256)) * 40
SECRET = b"SECRET outside the root\n"
PARENT_INDEX = b"<!doctype html><title>PARENT index outside the root</title>\n"
NOT_FOUND = b"Not Found\n"


class StaticTestBase(ServerTestCase):
    """The static app over a temporary tree; ASGI_STATIC_DIR is set only while the server
    starts. Layout (`cls.base`):

        index.html  secret.txt          outside the root
        www2/secret2.txt                a sibling whose name starts with the root's
        www/                            the root
            index.html style.css notes.txt blob.dat "with space.txt"
            docs/index.html  empty/  .hidden.txt
            link-out.txt -> ../secret.txt   dir-out -> ..   link-in.txt -> notes.txt
    """

    APP = "static"
    ROOT_SUFFIX = ""

    @classmethod
    def setUpClass(cls):
        cls.base = tempfile.mkdtemp(prefix="asgi-static-")
        cls.addClassCleanup(shutil.rmtree, cls.base, True)
        cls.root = os.path.join(cls.base, "www")
        os.makedirs(os.path.join(cls.root, "docs"))
        os.makedirs(os.path.join(cls.root, "empty"))
        os.makedirs(os.path.join(cls.base, "www2"))
        write_file(os.path.join(cls.base, "index.html"), PARENT_INDEX)
        write_file(os.path.join(cls.base, "secret.txt"), SECRET)
        write_file(os.path.join(cls.base, "www2", "secret2.txt"), SECRET)
        write_file(os.path.join(cls.root, "index.html"), INDEX)
        write_file(os.path.join(cls.root, "docs", "index.html"), DOCS_INDEX)
        write_file(os.path.join(cls.root, "style.css"), CSS)
        write_file(os.path.join(cls.root, "notes.txt"), NOTES)
        write_file(os.path.join(cls.root, "blob.dat"), BLOB)
        write_file(os.path.join(cls.root, "with space.txt"), NOTES)
        write_file(os.path.join(cls.root, ".hidden.txt"), NOTES)
        os.symlink("../secret.txt", os.path.join(cls.root, "link-out.txt"))
        os.symlink("..", os.path.join(cls.root, "dir-out"))
        os.symlink("notes.txt", os.path.join(cls.root, "link-in.txt"))
        cls.start_server_in_env({"ASGI_STATIC_DIR": cls.root + cls.ROOT_SUFFIX})

    @classmethod
    def start_server_in_env(cls, env, cwd=None):
        """ServerTestCase.setUpClass with `env` applied (None: unset) and in `cwd`, restoring
        both afterwards."""
        saved = {name: os.environ.get(name) for name in env}
        saved_cwd = os.getcwd()
        try:
            for name, value in env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            if cwd:
                os.chdir(cwd)
            super().setUpClass()
        finally:
            os.chdir(saved_cwd)
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def get(self, path, method="GET", headers=(), body=b""):
        return self.fetch(request(method, path, headers, body), head_request=method == "HEAD")

    def assertServed(self, resp, data, content_type):
        self.assertEqual(resp.status, 200, resp.raw[:300])
        self.assertEqual(resp.header("content-type"), content_type)
        self.assertEqual(resp.header("content-length"), str(len(data)))
        self.assertIsNone(resp.header("transfer-encoding"))
        self.assertEqual(resp.body, data)

    def assertNotFound(self, resp):
        self.assertEqual(resp.status, 404, resp.raw[:300])
        self.assertEqual(resp.body, NOT_FOUND)
        self.assertNotIn(b"SECRET", resp.raw)
        self.assertNotIn(b"PARENT", resp.raw)
        self.assertNotIn(b"root:", resp.raw)


class StaticFilesTest(StaticTestBase):

    def test_root_serves_index_html(self):
        """GET / is www/index.html, as text/html with a content-length."""
        self.assertServed(self.get("/"), INDEX, "text/html; charset=utf-8")
        self.assertServed(self.get("/index.html"), INDEX, "text/html; charset=utf-8")

    def test_directory_serves_its_index_html(self):
        """GET /docs/ is docs/index.html."""
        self.assertServed(self.get("/docs/"), DOCS_INDEX, "text/html; charset=utf-8")
        self.assertServed(self.get("/docs/index.html"), DOCS_INDEX, "text/html; charset=utf-8")

    def test_directory_without_index_is_404(self):
        self.assertNotFound(self.get("/empty/"))

    def test_content_types_by_extension(self):
        """.html, .css, .txt and an unknown extension (application/octet-stream)."""
        for path, data, ctype in (("/index.html", INDEX, "text/html; charset=utf-8"),
                                  ("/style.css", CSS, "text/css; charset=utf-8"),
                                  ("/notes.txt", NOTES, "text/plain; charset=utf-8"),
                                  ("/blob.dat", BLOB, "application/octet-stream"),
                                  ("/.hidden.txt", NOTES, "text/plain; charset=utf-8")):
            with self.subTest(path=path):
                self.assertServed(self.get(path), data, ctype)

    def test_percent_encoded_name_and_query_string(self):
        """`/with%20space.txt` is the file "with space.txt"; a query string is ignored."""
        self.assertServed(self.get("/with%20space.txt"), NOTES, "text/plain; charset=utf-8")
        self.assertServed(self.get("/notes.txt?v=1"), NOTES, "text/plain; charset=utf-8")

    def test_missing_is_404(self):
        for path in ("/nope.txt", "/docs/nope.html", "/notes.txt/", "/notes.txt/x"):
            with self.subTest(path=path):
                self.assertNotFound(self.get(path))

    def test_raw_dotdot_traversal_is_404(self):
        """Raw `..` segments in the request target, sent as-is on the socket: never a file
        outside the root (not /etc/passwd, not the parent's files or its index.html, not the
        sibling directory www2 whose name extends the root's)."""
        for path in ("/../../etc/passwd", "/../secret.txt", "/docs/../../secret.txt",
                     "/../www2/secret2.txt", "/..", "/../", "/../../../../../../etc/passwd"):
            with self.subTest(path=path):
                self.assertNotFound(self.get(path))
        self.assertServerHealthy()

    def test_percent_encoded_traversal_is_404(self):
        """The same through percent-encoding (decoded in scope.path)."""
        for path in ("/%2e%2e/%2e%2e/etc/passwd", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
                     "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "/docs/%2e%2e/%2e%2e/secret.txt",
                     "/%2e%2e/www2/secret2.txt", "/%2e%2e", "/%2e%2e/",
                     "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd"):
            with self.subTest(path=path):
                self.assertNotFound(self.get(path))
        self.assertServerHealthy()

    def test_dotdot_that_stays_inside_is_served(self):
        """`..` that resolves back inside the root is fine."""
        self.assertServed(self.get("/docs/../notes.txt"), NOTES, "text/plain; charset=utf-8")
        self.assertServed(self.get("/docs/%2e%2e/style.css"), CSS, "text/css; charset=utf-8")

    def test_symlinks_out_of_root_are_404(self):
        """A file symlink and a directory symlink pointing outside the root: 404."""
        for path in ("/link-out.txt", "/dir-out/secret.txt", "/dir-out/", "/dir-out",
                     "/dir-out/www2/secret2.txt"):
            with self.subTest(path=path):
                self.assertNotFound(self.get(path))

    def test_symlink_inside_root_is_served(self):
        """A symlink to a file inside the root serves that file."""
        self.assertServed(self.get("/link-in.txt"), NOTES, "text/plain; charset=utf-8")

    def test_nul_byte_refused(self):
        """`%00` in the path never reaches a file (404, or a 400 from the server)."""
        resp = self.get("/notes.txt%00.html")
        self.assertIn(resp.status, (400, 404), resp.raw[:300])
        self.assertNotIn(NOTES, resp.body)
        self.assertServerHealthy()

    def test_other_methods_are_405_with_allow(self):
        """POST (with a body), PUT, DELETE, OPTIONS, PATCH: 405 with `allow: GET, HEAD`; the
        connection stays usable."""
        r = self.reader()
        for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH"):
            with self.subTest(method=method):
                body = b"payload" if method in ("POST", "PUT") else b""
                r.send(request(method, "/notes.txt", body=body))
                resp = r.read_response()
                self.assertEqual(resp.status, 405, resp.raw[:300])
                self.assertEqual(resp.header("allow"), "GET, HEAD")
                self.assertEqual(resp.body, b"Method Not Allowed\n")
        r.send(request("GET", "/notes.txt"))
        self.assertServed(r.read_response(), NOTES, "text/plain; charset=utf-8")

    def test_head(self):
        """HEAD: the GET's status, content-type and content-length, no body; the connection
        carries a GET right after; HEAD of a missing file is 404."""
        r = self.reader()
        for path, data, ctype in (("/blob.dat", BLOB, "application/octet-stream"),
                                  ("/", INDEX, "text/html; charset=utf-8")):
            r.send(request("HEAD", path))
            resp = r.read_response(head_request=True)
            self.assertEqual(resp.status, 200)
            self.assertEqual(resp.header("content-type"), ctype)
            self.assertEqual(resp.header("content-length"), str(len(data)))
        r.send(request("HEAD", "/nope.txt"))
        self.assertEqual(r.read_response(head_request=True).status, 404)
        r.send(request("GET", "/style.css"))
        self.assertServed(r.read_response(), CSS, "text/css; charset=utf-8")
        r.assert_open(0.3)

    def test_pipelined_requests(self):
        """GET /, HEAD, a 404, a 405 and a file, in one write: answered in order."""
        r = self.reader()
        r.send(request("GET", "/") + request("HEAD", "/notes.txt") + request("GET", "/../x")
               + request("DELETE", "/") + request("GET", "/blob.dat"))
        self.assertServed(r.read_response(), INDEX, "text/html; charset=utf-8")
        resp = r.read_response(head_request=True)
        self.assertEqual((resp.status, resp.header("content-length")), (200, str(len(NOTES))))
        self.assertNotFound(r.read_response())
        self.assertEqual(r.read_response().status, 405)
        self.assertServed(r.read_response(), BLOB, "application/octet-stream")
        r.assert_open(0.3)

    def test_http10(self):
        """HTTP/1.0: content-length framing, then close."""
        r = self.reader()
        r.send(request("GET", "/notes.txt", version="1.0"))
        self.assertServed(r.read_response(), NOTES, "text/plain; charset=utf-8")
        r.assert_closed(5)


class StaticRootWithTrailingSlashTest(StaticTestBase):
    """ASGI_STATIC_DIR ending in "/": the same files are inside the root."""

    ROOT_SUFFIX = "/"

    def test_files_served_and_traversal_refused(self):
        self.assertServed(self.get("/notes.txt"), NOTES, "text/plain; charset=utf-8")
        self.assertServed(self.get("/docs/"), DOCS_INDEX, "text/html; charset=utf-8")
        self.assertNotFound(self.get("/../secret.txt"))
        self.assertNotFound(self.get("/link-out.txt"))


class StaticDefaultDirTest(StaticTestBase):
    """Without ASGI_STATIC_DIR the root is the server's current directory."""

    @classmethod
    def start_server_in_env(cls, env, cwd=None):
        super().start_server_in_env({"ASGI_STATIC_DIR": None}, cwd=cls.root)

    def test_serves_current_directory(self):
        self.assertServed(self.get("/"), INDEX, "text/html; charset=utf-8")
        self.assertServed(self.get("/style.css"), CSS, "text/css; charset=utf-8")
        self.assertNotFound(self.get("/../secret.txt"))


if __name__ == "__main__":
    unittest.main()
