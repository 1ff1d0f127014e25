"""The README's toolkit example is the code tests/unit/readme_toolkit_test.cpp compiles and runs:
the two must stay the same, byte for byte, so the README cannot show code that does not build."""

import os
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class ReadmeExample(unittest.TestCase):
    def test_toolkit_example_is_the_tested_code(self):
        with open(os.path.join(ROOT, "README.md")) as f:
            readme = f.read()
        start = readme.index("#include <asgi/asgi.hpp>\n#include <asgi/toolkit.hpp>")
        shown = readme[start:readme.index("```", start)]
        with open(os.path.join(ROOT, "tests", "unit", "readme_toolkit_test.cpp")) as f:
            source = f.read()
        begin = source.index('// ---- from README.md, "The toolkit" ----\n') + len(
            '// ---- from README.md, "The toolkit" ----\n')
        tested = source[begin:source.index("// ---- end of the README's example ----")]
        self.assertEqual(shown, tested)


if __name__ == "__main__":
    unittest.main()
