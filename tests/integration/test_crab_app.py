"""crab_app over real HTTP: the home page, the crab list and items, creating crabs with JSON
validation (201 / 415 / 422), method errors, pi digits; partly through curl."""

import http.client
import json
import subprocess
import unittest

from support import HOST, ServerTestCase, request

PI_50 = "3.1415926535897932384626433832795028841971693993751"
CRAB_KEYS = ["id", "name", "species", "habitat", "fun_fact"]


class CrabAppTest(ServerTestCase):
    APP = "crab_app"

    def call(self, method, path, body=None, headers=None):
        """One request through http.client; returns (status, headers dict, body bytes)."""
        conn = http.client.HTTPConnection(HOST, self.server.port, timeout=5)
        self.addCleanup(conn.close)
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()

    def call_json(self, method, path, payload=None, content_type="application/json"):
        body = None if payload is None else (
            payload if isinstance(payload, bytes) else json.dumps(payload).encode())
        headers = {"Content-Type": content_type} if body is not None else {}
        status, headers, data = self.call(method, path, body, headers)
        self.assertEqual(headers["content-type"], "application/json")
        return status, headers, json.loads(data)

    def test_home_page(self):
        """GET /: 200 HTML page with a content-length that matches."""
        status, headers, body = self.call("GET", "/")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        self.assertEqual(int(headers["content-length"]), len(body))
        self.assertTrue(body.startswith(b"<!doctype html>"), body[:50])
        self.assertIn(b"Crab Club", body)

    def test_head_home_page(self):
        """HEAD /: the GET's headers, no body."""
        _, _, body = self.call("GET", "/")
        r = self.reader()
        r.send(request("HEAD", "/"))
        resp = r.read_response(head_request=True)
        self.assertEqual(resp.status, 200)
        self.assertEqual(int(resp.header("content-length")), len(body))
        r.assert_open(0.3)

    def test_list_crabs(self):
        """GET /crabs: a JSON list of crabs with the five keys, ids ascending."""
        status, _, crabs = self.call_json("GET", "/crabs")
        self.assertEqual(status, 200)
        self.assertIsInstance(crabs, list)
        self.assertGreaterEqual(len(crabs), 3)
        for crab in crabs:
            self.assertEqual(list(crab), CRAB_KEYS)
        ids = [c["id"] for c in crabs]
        self.assertEqual(ids, sorted(ids))

    def test_get_one_crab(self):
        """GET /crabs/{id}: the same object as in the list."""
        _, _, crabs = self.call_json("GET", "/crabs")
        first = crabs[0]
        status, _, crab = self.call_json("GET", "/crabs/%d" % first["id"])
        self.assertEqual(status, 200)
        self.assertEqual(crab, first)

    def test_unknown_crab_404(self):
        """GET /crabs/99999 and /crabs/abc: 404 {"detail": "Crab not found"}."""
        for path in ("/crabs/99999", "/crabs/abc", "/crabs/1x"):
            with self.subTest(path=path):
                status, _, body = self.call_json("GET", path)
                self.assertEqual(status, 404)
                self.assertEqual(body, {"detail": "Crab not found"})

    def test_unknown_path_404(self):
        """An unknown path: 404 {"detail": "Not Found"}."""
        status, _, body = self.call_json("GET", "/lobsters")
        self.assertEqual(status, 404)
        self.assertEqual(body, {"detail": "Not Found"})

    def test_create_crab(self):
        """POST /crabs: 201 with location, the new crab; then GET /crabs/{id} and the list show
        it."""
        new = {"name": "Sebastian", "species": "Cancer magister", "habitat": "Atlantica"}
        status, headers, crab = self.call_json("POST", "/crabs", new)
        self.assertEqual(status, 201)
        self.assertEqual(headers["location"], "/crabs/%d" % crab["id"])
        self.assertEqual(crab, dict(id=crab["id"], fun_fact="", **new))
        status, _, fetched = self.call_json("GET", headers["location"])
        self.assertEqual(status, 200)
        self.assertEqual(fetched, crab)
        _, _, crabs = self.call_json("GET", "/crabs")
        self.assertIn(crab, crabs)

    def test_create_with_charset_content_type(self):
        """`application/json; charset=utf-8` is JSON too."""
        status, _, crab = self.call_json("POST", "/crabs", {"name": "K\u00e9", "species": "x"},
                                         content_type="Application/JSON; charset=utf-8")
        self.assertEqual(status, 201)
        self.assertEqual(crab["name"], "K\u00e9")

    def test_create_wrong_content_type_415(self):
        """POST /crabs as text/plain: 415 with a detail."""
        status, _, body = self.call_json("POST", "/crabs", b'{"name": "a", "species": "b"}',
                                         content_type="text/plain")
        self.assertEqual(status, 415)
        self.assertEqual(body, {"detail": "Content-Type must be application/json"})

    def test_create_invalid_422(self):
        """Invalid JSON, a non-object, a missing or empty or mistyped field: 422 with a detail."""
        cases = [(b"{not json", "body is not valid JSON"),
                 (b"[1, 2]", "body must be a JSON object"),
                 (b'{"species": "x"}', "field 'name' is required"),
                 (b'{"name": "", "species": "x"}', "field 'name' must not be empty"),
                 (b'{"name": "a", "species": 3}', "field 'species' must be a string")]
        for payload, detail in cases:
            with self.subTest(payload=payload):
                status, _, body = self.call_json("POST", "/crabs", payload)
                self.assertEqual(status, 422)
                self.assertEqual(body, {"detail": detail})

    def test_method_not_allowed(self):
        """DELETE /crabs: 405 with `allow: GET, HEAD, POST`; POST /: 405 `allow: GET, HEAD`."""
        status, headers, _ = self.call_json("DELETE", "/crabs")
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET, HEAD, POST")
        status, headers, _ = self.call_json("POST", "/", b"{}")
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET, HEAD")

    def test_compute_pi(self):
        """GET /compute?digits=50: {"digits": 50, "pi": "3.14159..."} with 50 correct digits."""
        status, _, body = self.call_json("GET", "/compute?digits=50")
        self.assertEqual(status, 200)
        self.assertEqual(body, {"digits": 50, "pi": PI_50})

    def test_compute_bad_digits_422(self):
        """A non-integer digits parameter: 422."""
        status, _, body = self.call_json("GET", "/compute?digits=lots")
        self.assertEqual(status, 422)
        self.assertEqual(body, {"detail": "digits must be an integer"})

    def test_slow_zero_seconds(self):
        """GET /slow?seconds=0 answers {"slept": 0.0} at once."""
        status, _, body = self.call_json("GET", "/slow?seconds=0")
        self.assertEqual(status, 200)
        self.assertEqual(body, {"slept": 0.0})

    def test_curl_get(self):
        """curl -si: a real client sees the status line, JSON content-type, server header."""
        proc = subprocess.run(["curl", "-si", "--max-time", "10", self.server.url("/crabs/1")],
                              capture_output=True, timeout=20)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        head, _, body = proc.stdout.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        self.assertEqual(lines[0], b"HTTP/1.1 200 OK")
        self.assertIn(b"content-type: application/json", lines)
        self.assertIn(b"server: asgiserver", lines)
        self.assertEqual(json.loads(body)["id"], 1)

    def test_curl_post(self):
        """curl -si with a JSON POST gets the 201 and a location."""
        proc = subprocess.run(["curl", "-si", "--max-time", "10", "-H",
                               "Content-Type: application/json", "--data",
                               '{"name": "Curly", "species": "Curlus"}', self.server.url("/crabs")],
                              capture_output=True, timeout=20)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        head, _, body = proc.stdout.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 201 Created\r\n"), head)
        crab = json.loads(body)
        self.assertIn(b"location: /crabs/%d" % crab["id"], head.split(b"\r\n"))
        self.assertEqual(crab["name"], "Curly")

    def test_curl_keepalive_reuse(self):
        """curl fetching two URLs reuses one connection (keep-alive works for a real client)."""
        proc = subprocess.run(["curl", "-sv", "--max-time", "10", "-o", "/dev/null", "-o",
                               "/dev/null", self.server.url("/crabs/1"), self.server.url("/crabs/2")],
                              capture_output=True, timeout=20)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(b"Re-using existing connection", proc.stderr)


if __name__ == "__main__":
    unittest.main()
