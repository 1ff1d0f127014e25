"""The ASGI scope the app receives (inspect app echoes it as JSON): path decoding, raw bytes,
headers, addresses, versions and root_path, key for key as Uvicorn would build it."""

import json
import unittest

from support import HOST, ServerTestCase, request


class ScopeTest(ServerTestCase):
    APP = "inspect"

    def scope_for(self, data):
        """Sends `data` on a fresh connection; returns (scope dict, client port)."""
        r = self.reader()
        r.send(data)
        resp = r.read_response()
        self.assertEqual(resp.status, 200, resp.raw)
        self.assertEqual(resp.header("content-type"), "application/json")
        return json.loads(resp.body.decode("utf-8")), r.sock.getsockname()[1]

    def test_path_raw_path_and_query_string(self):
        """`/scope/a%20b%2Fc?x=1&y=%20`: path is decoded, raw_path and query_string are not."""
        scope, _ = self.scope_for(request("GET", "/scope/a%20b%2Fc?x=1&y=%20"))
        self.assertEqual(scope["path"], "/scope/a b/c")
        self.assertEqual(scope["raw_path"], "/scope/a%20b%2Fc")
        self.assertEqual(scope["query_string"], "x=1&y=%20")

    def test_utf8_path_decoded(self):
        """Percent-encoded UTF-8 in the path decodes to the Unicode string."""
        scope, _ = self.scope_for(request("GET", "/caf%C3%A9"))
        self.assertEqual(scope["path"], "/caf\u00e9")
        self.assertEqual(scope["raw_path"], "/caf%C3%A9")

    def test_fixed_keys(self):
        """type, asgi versions, scheme, method, http_version, root_path, state, extensions."""
        scope, _ = self.scope_for(request("GET", "/"))
        self.assertEqual(scope["type"], "http")
        self.assertEqual(scope["asgi"]["version"], "3.0")
        self.assertRegex(scope["asgi"]["spec_version"], r"^2\.\d+$")
        self.assertEqual(scope["scheme"], "http")
        self.assertEqual(scope["method"], "GET")
        self.assertEqual(scope["http_version"], "1.1")
        self.assertEqual(scope["root_path"], "")
        self.assertEqual(scope["query_string"], "")
        self.assertEqual(scope["state"], {})
        self.assertIsInstance(scope["extensions"], dict)

    def test_headers_lowercased_in_order_with_duplicates(self):
        """Header names are lowercased; order and repeated fields are kept; values untouched."""
        scope, _ = self.scope_for(request("GET", "/", [
            ("X-Foo", "1"), ("x-Bar", "Two Words"), ("X-FOO", "3"), ("Accept", "*/*")]))
        self.assertEqual(scope["headers"], [["host", "localhost"], ["x-foo", "1"],
                                            ["x-bar", "Two Words"], ["x-foo", "3"],
                                            ["accept", "*/*"]])

    def test_latin1_header_value(self):
        """Header values are bytes: a 0xE9 byte shows up as the latin-1 character."""
        scope, _ = self.scope_for(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Name: caf\xe9\r\n\r\n")
        self.assertIn(["x-name", "caf\u00e9"], scope["headers"])

    def test_client_and_server_addresses(self):
        """client is the peer's [host, port]; server is the listening [host, port]."""
        scope, client_port = self.scope_for(request("GET", "/"))
        self.assertEqual(scope["client"], [HOST, client_port])
        self.assertEqual(scope["server"], [HOST, self.server.port])

    def test_http10_version(self):
        """An HTTP/1.0 request has http_version "1.0"."""
        scope, _ = self.scope_for(request("GET", "/", version="1.0"))
        self.assertEqual(scope["http_version"], "1.0")

    def test_methods(self):
        """The method is passed through as sent: POST, PUT, DELETE, PATCH, OPTIONS."""
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
            with self.subTest(method=method):
                scope, _ = self.scope_for(request(method, "/m", body=b"data"))
                self.assertEqual(scope["method"], method)

    def test_absolute_form_target(self):
        """An absolute-form target (`http://host/p?q`) gives path /p and query q."""
        scope, _ = self.scope_for(request("GET", "http://localhost/abs/p?q=1"))
        self.assertEqual(scope["path"], "/abs/p")
        self.assertEqual(scope["query_string"], "q=1")


class RootPathScopeTest(ServerTestCase):
    APP = "inspect"
    ARGS = ("--root-path", "/api")

    def test_root_path_prepended(self):
        """--root-path /api: root_path is "/api" and path (like Uvicorn) is "/api" + the path."""
        r = self.reader()
        r.send(request("GET", "/items/1?x=2"))
        scope = json.loads(r.read_response().body)
        self.assertEqual(scope["root_path"], "/api")
        self.assertEqual(scope["path"], "/api/items/1")
        self.assertEqual(scope["raw_path"], "/api/items/1")
        self.assertEqual(scope["query_string"], "x=2")

    def test_root_path_not_prefixed_twice(self):
        """A proxy that keeps the prefix: /api/items/1 stays /api/items/1 (Uvicorn would make it
        /api/api/items/1); /apiary is not under /api and gets the prefix."""
        for target, path in (("/api/items/1", "/api/items/1"), ("/api", "/api"),
                             ("/apiary", "/api/apiary")):
            r = self.reader()
            r.send(request("GET", target))
            scope = json.loads(r.read_response().body)
            self.assertEqual(scope["path"], path, target)
            self.assertEqual(scope["raw_path"], path, target)
            self.assertEqual(scope["root_path"], "/api", target)


if __name__ == "__main__":
    unittest.main()
