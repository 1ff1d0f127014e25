"""Settings from three places: the command line, ASGISERVER_* environment variables and a TOML
file (--config), in that order of precedence, plus --env-file. A bad value from any of them is one
line naming where it came from, and exit status 3. conf/asgiserver.toml documents exactly the
options --help shows, each with the default --help shows.

    python3 tests/integration/test_config.py --write    # regenerates conf/asgiserver.toml
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

from support import Reader, Server, request, server_binary

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATE = os.path.join(ROOT, "conf", "asgiserver.toml")
NOT_SETTINGS = {"help", "version", "config", "env-file"}
HELP_ENTRY = re.compile(r"^  (?:-\w,)?--([\w-]+)(?:,--no-[\w-]+(\{false\})?)?(?: (\S+))?(.*)$")


def help_options():
    """(name, kind, default, help text) for every option --help lists, in its order. kind:
    "flag", "negatable" (on by default, --no-NAME turns it off), "list" or "value"."""
    text = subprocess.run([server_binary(), "--help"], capture_output=True, text=True).stdout
    lines = text.splitlines()
    options = []
    for index, line in enumerate(lines):
        match = HELP_ENTRY.match(line)
        if not match or match.group(1) in NOT_SETTINGS:
            continue
        name, negatable, spec, rest = match.groups()
        description = rest.strip()
        if description.startswith("..."):  # a list option without a default
            description = description[3:].strip()
        if not description and index + 1 < len(lines) and lines[index + 1].startswith(" " * 10):
            description = lines[index + 1].strip()
        if (negatable is not None or "--no-" in line) and "(default: when" in description:
            kind, default = "negatable", None  # automatic unless set
        elif negatable is not None or "--no-" in line:
            kind, default = "negatable", "true"
        elif spec is None or spec.startswith("Every") or not re.match(r"^[A-Z]", spec):
            kind, default = "flag", "false"
            description = (spec + rest if spec else rest).strip() or description
        else:
            kind = "list" if line.rstrip().endswith("...") else "value"
            default = spec.split("=", 1)[1] if "=" in spec else None
            if kind == "list" and default is not None:
                default = default.replace(" ...", "")
        options.append((name, kind, default, description))
    return options


def toml_value(kind, default):
    if kind in ("flag", "negatable"):
        return default
    if kind == "list":
        return "[" + ", ".join('"%s"' % item for item in default.split()) + "]"
    if re.fullmatch(r"-?\d+(\.\d+)?", default):
        return default
    return '"%s"' % default


def template_text():
    out = ["# asgiserver's settings, each with its default (commented out). Use the file with",
           "# `asgiserver --config asgiserver.toml`. A key is the command-line option with",
           "# underscores instead of dashes; the command line and ASGISERVER_<OPTION> environment",
           "# variables (ASGISERVER_ROOT_PATH=/api) override what is set here. A list option takes",
           "# a TOML array; a flag takes true or false.", ""]
    for name, kind, default, description in help_options():
        key = name.replace("-", "_")
        out.append("# --%s: %s" % (name, description))
        if default is None:
            out.append("# %s = (not set)" % key)
        else:
            out.append("#%s = %s" % (key, toml_value(kind, default)))
        out.append("")
    return "\n".join(out)


def documented_defaults(text):
    """key -> default value text ("(not set)" when none) as conf/asgiserver.toml has them."""
    found = {}
    for line in text.splitlines():
        match = re.match(r"^#\s?([a-z0-9_]+) = (.*)$", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def run(*args, env=None, timeout=20):
    environment = dict(os.environ, **(env or {}))
    return subprocess.run([server_binary(), *args], capture_output=True, text=True,
                          timeout=timeout, env=environment)


class TemplateTest(unittest.TestCase):
    def test_template_lists_exactly_the_options_of_help_with_their_defaults(self):
        with open(TEMPLATE) as file:
            documented = documented_defaults(file.read())
        expected = documented_defaults(template_text())
        self.assertGreater(len(expected), 50)
        self.assertEqual(sorted(documented), sorted(expected), "regenerate with --write")
        self.assertEqual(documented, expected, "regenerate with --write")

    def test_every_documented_default_is_accepted(self):
        with open(TEMPLATE) as file:
            lines = [line[1:] for line in file.read().splitlines()
                     if re.match(r"^#[a-z0-9_]+ = ", line)]
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as file:
            file.write("\n".join(lines) + "\n")
        self.addCleanup(os.unlink, file.name)
        server = Server("hello", "--config", file.name)
        self.addCleanup(server.kill)
        server.start()
        with Reader(server.connect()) as reader:
            reader.send(request("GET", "/", [("Connection", "close")]))
            self.assertEqual(reader.read_response().status, 200)


class PrecedenceTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="asgi-config-")
        self.addCleanup(subprocess.run, ["rm", "-rf", self.dir])

    def file(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as handle:
            handle.write(text)
        return path

    def scope(self, *args, env=None):
        saved = dict(os.environ)
        os.environ.update(env or {})
        try:
            server = Server("inspect", *args)
            self.addCleanup(server.kill)
            server.start()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        with Reader(server.connect()) as reader:
            reader.send(request("GET", "/x", [("Connection", "close")]))
            response = reader.read_response()
        return json.loads(response.body), response

    def test_file_then_environment_then_command_line(self):
        config = self.file("a.toml", 'root_path = "/file"\nheader = ["x-layer:file"]\n')
        scope, response = self.scope("--config", config)
        self.assertEqual(scope["root_path"], "/file")
        self.assertEqual(response.header("x-layer"), "file")
        scope, _ = self.scope("--config", config, env={"ASGISERVER_ROOT_PATH": "/env"})
        self.assertEqual(scope["root_path"], "/env")
        scope, response = self.scope("--config", config, "--root-path", "/cli",
                                     "--header", "x-layer:cli",
                                     env={"ASGISERVER_ROOT_PATH": "/env"})
        self.assertEqual(scope["root_path"], "/cli")
        self.assertEqual(response.header_all("x-layer"), ["cli"])  # a list is replaced, not merged

    def test_config_file_from_the_environment_and_flags(self):
        config = self.file("b.toml", 'root_path = "/viaenv"\nproxy_headers = false\n')
        scope, _ = self.scope(env={"ASGISERVER_CONFIG": config})
        self.assertEqual(scope["root_path"], "/viaenv")
        scope, _ = self.scope("--config", config, env={"ASGISERVER_PROXY_HEADERS": "true"})
        self.assertEqual(scope["root_path"], "/viaenv")

    def test_env_file_is_loaded_first_and_does_not_override(self):
        env_file = self.file(".env", '# comment\nexport ASGISERVER_ROOT_PATH="/dotenv"\n'
                                     "OTHER=1\n")
        scope, _ = self.scope("--env-file", env_file)
        self.assertEqual(scope["root_path"], "/dotenv")
        scope, _ = self.scope("--env-file", env_file, env={"ASGISERVER_ROOT_PATH": "/real"})
        self.assertEqual(scope["root_path"], "/real")

    def assert_one_line_exit_3(self, result, *fragments):
        lines = [l for l in result.stderr.splitlines() if l.strip()]
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertEqual(len(lines), 1, lines)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])

    def test_bad_values_name_their_source(self):
        bad = self.file("bad.toml", '# settings\n\nworkers = 999\n')
        self.assert_one_line_exit_3(run("--app", "hello", "--config", bad), "bad.toml:3", "workers")
        self.assert_one_line_exit_3(run("--app", "hello", env={"ASGISERVER_TIMEOUT_SEND": "soon"}),
                                    "ASGISERVER_TIMEOUT_SEND", "timeout-send")
        self.assert_one_line_exit_3(run("--app", "hello", "--port", "http"), "--port")
        self.assert_one_line_exit_3(run("--app", "hello", env={"ASGISERVER_ACCESS_LOG": "maybe"}),
                                    "ASGISERVER_ACCESS_LOG")

    def test_file_errors(self):
        unknown = self.file("u.toml", 'root_path = "/a"\nroot_pth = "/b"\n')
        self.assert_one_line_exit_3(run("--app", "hello", "--config", unknown),
                                    "u.toml:2", "unknown setting 'root_pth'")
        broken = self.file("s.toml", 'port = 80\nhost = "unterminated\n')
        self.assert_one_line_exit_3(run("--app", "hello", "--config", broken), "s.toml:2")
        kind = self.file("k.toml", 'access_log = "yes"\nport = [1, 2]\n')
        self.assert_one_line_exit_3(run("--app", "hello", "--config", kind), "k.toml:",
                                    "must be")
        self.assert_one_line_exit_3(run("--app", "hello", "--config", self.dir + "/none.toml"),
                                    "none.toml")
        self.assert_one_line_exit_3(run("--app", "hello", "--env-file", self.dir + "/none.env"),
                                    "--env-file")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        with open(TEMPLATE, "w") as output:
            output.write(template_text())
        print("wrote", TEMPLATE)
    else:
        unittest.main()
