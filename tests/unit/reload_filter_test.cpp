// --reload's file filter: includes match a file's name or its path below the watched directory;
// an exclude matching the file or any directory on its way wins.

#include "asgi/server/reload_filter.hpp"

#include <gtest/gtest.h>

using asgi::server::ReloadFilter;

TEST(ReloadFilter, DefaultsWatchAppLibrariesOnly) {
  ReloadFilter filter({"*.so"}, {".*", "*~", "*.swp", "*.tmp"});
  EXPECT_TRUE(filter.matches("libapp.so"));
  EXPECT_TRUE(filter.matches("build/apps/libapp.so"));
  EXPECT_FALSE(filter.matches("app.cpp"));
  EXPECT_FALSE(filter.matches("libapp.so.tmp"));
  EXPECT_FALSE(filter.matches(".libapp.so"));         // hidden file
  EXPECT_FALSE(filter.matches(".git/objects/x.so"));  // hidden directory on the way
  EXPECT_FALSE(filter.matches("build/.cache/x.so"));
  EXPECT_TRUE(filter.excludes_directory(".git"));
  EXPECT_FALSE(filter.excludes_directory("build"));
}

TEST(ReloadFilter, PathGlobsAndExcludedDirectories) {
  ReloadFilter filter({"*.so", "conf/*.toml"}, {"generated", "*~"});
  EXPECT_TRUE(filter.matches("conf/app.toml"));
  EXPECT_FALSE(filter.matches("app.toml"));               // the glob names a path
  EXPECT_FALSE(filter.matches("generated/libx.so"));      // excluded directory
  EXPECT_FALSE(filter.matches("a/generated/b/libx.so"));  // at any depth
  EXPECT_FALSE(filter.matches("libx.so~"));
  EXPECT_TRUE(filter.excludes_directory("generated"));
}
