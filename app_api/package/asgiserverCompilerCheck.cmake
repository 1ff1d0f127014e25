# The compilers asgiserver and its apps may be built with, checked at configure time by the
# project and by find_package(asgiserver).
#
# GCC 12 (Debian 12's default) miscompiles ordinary C++20 coroutine code: an aggregate temporary
# inside co_await is destroyed twice, co_await inside `&&` dies with SIGILL, a braced header list
# inside co_await is rejected at the wrong line. Apps are made of exactly such code, and the crash
# comes at run time with no warning, so the build refuses it here. Tested and allowed: clang 19
# (Debian 12's clang-19 package, with libstdc++). Newer GCC and older clang releases are untested;
# -DASGISERVER_ALLOW_UNTESTED_COMPILER=ON lets them through (GCC 12 and older never).
function(asgiserver_check_compiler)
  set(id "${CMAKE_CXX_COMPILER_ID}")
  if(id STREQUAL "GNU")
    set(id "GCC")
  endif()
  set(version "${CMAKE_CXX_COMPILER_VERSION}")
  set(use "Use clang 19: apt install clang-19, then configure with CXX=clang++-19 (or -DCMAKE_CXX_COMPILER=clang++-19) in a fresh build directory.")
  if(id STREQUAL "GCC" AND version VERSION_LESS 13)
    message(FATAL_ERROR "asgiserver: GCC ${version} miscompiles C++20 coroutines (a temporary inside co_await destroyed twice, co_await inside && dying with SIGILL) and cannot build asgiserver or its apps. ${use}")
  endif()
  if(id MATCHES "Clang" AND version VERSION_GREATER_EQUAL 19)
    return()
  endif()
  if(ASGISERVER_ALLOW_UNTESTED_COMPILER)
    message(WARNING "asgiserver: ${id} ${version} is untested (allowed by ASGISERVER_ALLOW_UNTESTED_COMPILER).")
    return()
  endif()
  message(FATAL_ERROR "asgiserver: ${id} ${version} is untested with asgiserver's coroutine code (tested: clang 19). ${use} To try it anyway: -DASGISERVER_ALLOW_UNTESTED_COMPILER=ON.")
endfunction()
