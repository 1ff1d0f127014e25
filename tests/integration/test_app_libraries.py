"""Apps built outside this repository: install the package into a temporary prefix, build the
template (apps/template) and the fixture libraries (app_libraries/) against it exactly as a user
would (find_package(asgiserver), clang 19), then serve them with `--app lib.so:NAME`.

Checks the README's path end to end (HTTP and WebSocket through the installed server), that an
app library shares the server's one copy of Asio, factories, and that every broken library is
refused with one stderr line and exit status 3 before any of its code runs."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from support import IO_TIMEOUT, STARTUP_TIMEOUT, Reader, Server, connect, request, server_binary
from ws_frames import OP_TEXT, WsClient

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
BUILD_TIMEOUT = 240


def run(argv, **kwargs):
    result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=BUILD_TIMEOUT, **kwargs)
    if result.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s" % (" ".join(argv), result.returncode,
                                                       result.stdout[-4000:]))
    return result.stdout


def configure(source, build, prefix, *extra, env=None):
    argv = ["cmake", "-S", source, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
            "-DCMAKE_PREFIX_PATH=" + prefix]
    if shutil.which("ccache"):
        argv.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
    return subprocess.run(argv + list(extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=BUILD_TIMEOUT, env=env)


class AppLibraries(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="asgi-applib-")
        cls.prefix = os.path.join(cls.tmp, "prefix")
        build_dir = os.path.dirname(server_binary())
        run(["cmake", "--install", build_dir, "--prefix", cls.prefix])
        cls.server = os.path.join(cls.prefix, "bin", "asgiserver")
        # The README's path: the template copied into a folder of its own, built there.
        my_app = os.path.join(cls.tmp, "my_app")
        shutil.copytree(os.path.join(SOURCE, "apps", "template"), my_app)
        cls.template = os.path.join(my_app, "build")
        cls.fixtures = os.path.join(cls.tmp, "fixtures")
        for source, build in ((my_app, cls.template),
                              (os.path.join(HERE, "app_libraries"), cls.fixtures)):
            result = configure(source, build, cls.prefix)
            if result.returncode != 0:
                raise AssertionError("configuring %s failed:\n%s" % (source, result.stdout))
            run(["cmake", "--build", build])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def library(self, name):
        return os.path.join(self.fixtures, "lib%s.so" % name)

    def serve(self, app, *args):
        server = Server(app, *args, binary=self.server).start()
        self.addCleanup(server.kill)
        return server

    def get(self, server, path="/"):
        with Reader(server.connect()) as reader:
            reader.send(request("GET", path))
            return reader.read_response()

    def refused(self, app, *args):
        """Runs the installed server expecting it to refuse: returns its one stderr line."""
        result = subprocess.run([self.server, "--app", app, "--port", "0"] + list(args),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, timeout=STARTUP_TIMEOUT)
        self.assertEqual(result.returncode, 3, result.stderr)
        lines = result.stderr.splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        return lines[0]

    # ---- the package ------------------------------------------------------------------------------

    def test_installed_server_and_package_agree_on_the_version(self):
        version_file = os.path.join(self.prefix, "lib", "cmake", "asgiserver",
                                    "asgiserverConfigVersion.cmake")
        with open(version_file) as f:
            package = re.search(r'set\(PACKAGE_VERSION "([^"]+)"\)', f.read()).group(1)
        printed = subprocess.run([self.server, "--version"], stdout=subprocess.PIPE, text=True,
                                 timeout=10).stdout.strip()
        self.assertEqual(printed, "asgiserver " + package)
        with open(os.path.join(self.prefix, "include", "asgi", "version.hpp")) as f:
            self.assertIn('#define ASGI_VERSION "%s"' % package, f.read())

    def test_gcc_is_refused_at_configure_time_in_one_message(self):
        build = os.path.join(self.tmp, "gcc")
        env = dict(os.environ, CXX="g++")  # Debian 12's g++, which conf/setup.sh installs
        result = configure(os.path.join(SOURCE, "apps", "template"), build, self.prefix, env=env)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("asgiserver: GCC", result.stdout)
        self.assertIn("clang 19", result.stdout)

    # ---- the template, as the README builds it ------------------------------------------------------

    def test_template_unit_test_passes_with_the_installed_test_client(self):
        output = run(["ctest", "--test-dir", self.template, "--output-on-failure"])
        self.assertIn("100% tests passed", output)
        self.assertIn("MyApp.EchoesWebSocketMessages", output)

    def test_template_serves_http_and_websocket(self):
        server = self.serve(os.path.join(self.template, "libmy_app.so") + ":my_app")
        response = self.get(server)
        self.assertEqual(response.status, 200)
        self.assertEqual(response.body, b"Hello from my_app\n")
        with WsClient.open(server.port, "/ws") as client:
            self.assertEqual(client.response.status, 101)
            client.send_text("crab")
            self.assertEqual(client.read_message(), (OP_TEXT, b"crab"))

    # ---- loading ----------------------------------------------------------------------------------

    def test_named_app_from_a_library_with_several(self):
        server = self.serve(self.library("good") + ":lib_hello")
        self.assertEqual(self.get(server, "/x").body, b"hello from a library: /x")

    def test_a_library_with_one_app_needs_no_name(self):
        server = self.serve(self.library("single"))
        self.assertEqual(self.get(server).body, b"the only app")

    def test_library_and_server_share_one_asio(self):
        server = self.serve(self.library("good") + ":asio_shared")
        self.assertEqual(self.get(server).body, b"shared")

    def test_factory_is_called_once_at_startup(self):
        server = self.serve(self.library("good") + ":lib_counter", "--factory")
        self.assertEqual(self.get(server).body, b"made by a factory, call 1")
        self.assertEqual(self.get(server).body, b"made by a factory, call 2")

    # ---- refusals: one line, exit 3, nothing of the library run -----------------------------------

    def test_missing_file(self):
        line = self.refused(os.path.join(self.tmp, "libnothing.so") + ":x")
        self.assertIn("Could not open app library", line)
        self.assertIn("No such file or directory", line)

    def test_library_without_stamp(self):
        self.assertIn("no asgiserver ABI stamp", self.refused(self.library("no_stamp")))

    def test_wrong_stamp_is_refused_before_its_code_runs(self):
        line = self.refused(self.library("wrong_stamp"))
        self.assertIn("built for [asgiserver 0.0.1;", line)
        self.assertIn("this server is [asgiserver ", line)
        self.assertNotIn("this library's code ran", line)

    def test_missing_symbol(self):
        line = self.refused(self.library("missing_symbol") + ":broken")
        self.assertIn("undefined symbol", line)
        self.assertIn("asgiserver_fixture_missing_symbol", line)

    def test_unknown_name(self):
        line = self.refused(self.library("good") + ":nope")
        self.assertIn('has no app "nope"', line)
        self.assertIn("lib_hello", line)

    def test_several_apps_and_no_name(self):
        line = self.refused(self.library("good"))
        self.assertIn("several apps", line)
        self.assertIn(":NAME", line)

    def test_factory_flag_on_a_plain_app_and_a_factory_without_it(self):
        self.assertIn("is not a factory", self.refused(self.library("good") + ":lib_hello",
                                                       "--factory"))
        self.assertIn("add --factory", self.refused(self.library("good") + ":lib_counter"))


if __name__ == "__main__":
    unittest.main()
