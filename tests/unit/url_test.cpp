// asgi::percent_decode: the one percent-decoder the scope builder and apps share.

#include <gtest/gtest.h>

#include "asgi/url.hpp"

namespace {

TEST(PercentDecode, EscapesBecomeBytes) {
  EXPECT_EQ(asgi::percent_decode("hermit%20crab"), "hermit crab");
  EXPECT_EQ(asgi::percent_decode("%2f%2F"), "//");
  EXPECT_EQ(asgi::percent_decode("%00x"), std::string("\0x", 2));
  EXPECT_EQ(asgi::percent_decode("%C3%A9"), "\xC3\xA9");
  EXPECT_EQ(asgi::percent_decode("%FF"), "\xFF");  // bytes: UTF-8 is the caller's concern
}

TEST(PercentDecode, MalformedEscapesStayAsTheyAre) {
  EXPECT_EQ(asgi::percent_decode("%zz%4"), "%zz%4");
  EXPECT_EQ(asgi::percent_decode("100%"), "100%");
  EXPECT_EQ(asgi::percent_decode("%%41"), "%A");
  EXPECT_EQ(asgi::percent_decode("%4"), "%4");
  EXPECT_EQ(asgi::percent_decode("%41"), "A");  // an escape ending exactly at the end
}

TEST(PercentDecode, PlusIsASpaceOnlyInForms) {
  EXPECT_EQ(asgi::percent_decode("a+b%2B"), "a+b+");
  EXPECT_EQ(asgi::percent_decode("a+b%2B", /*plus_is_space=*/true), "a b+");
}

}  // namespace
