// A shared library that was not built against the asgiserver package.

extern "C" int not_an_app() {
  return 42;
}
