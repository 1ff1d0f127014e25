// asgi::Headers: the flat block of (name, value) fields every request and response carries.
// Checked against a plain vector of string pairs through growth, copies, moves and clearing.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "asgi/headers.hpp"

using asgi::Headers;

namespace {

using Reference = std::vector<std::pair<std::string, std::string>>;

void expect_same(const Headers& headers, const Reference& reference) {
  ASSERT_EQ(headers.size(), reference.size());
  EXPECT_EQ(headers.empty(), reference.empty());
  for (std::size_t i = 0; i < reference.size(); ++i) {
    EXPECT_EQ(headers[i].name, reference[i].first) << "field " << i;
    EXPECT_EQ(headers[i].value, reference[i].second) << "field " << i;
  }
  std::size_t walked = 0;
  for (Headers::Field field : headers) {
    EXPECT_EQ(field.name, reference[walked].first);
    ++walked;
  }
  EXPECT_EQ(walked, reference.size());
}

// Fields of many sizes, empty names and values among them, so the block grows at every point;
// `salt` (0 to 9) changes every byte but no size, the last one of each value to the salt digit.
Reference varied_fields(std::size_t count, std::size_t salt = 0) {
  Reference fields;
  for (std::size_t i = 0; i < count; ++i) {
    const auto letter = static_cast<char>((i + salt) % 26);
    fields.emplace_back(std::string(i % 7, static_cast<char>('a' + letter)),
                        std::string((i * 37) % 300, static_cast<char>('A' + letter)) +
                            std::to_string(i) + static_cast<char>('0' + salt));
  }
  return fields;
}

// Adds `fields` to both lists, checking after every field when `check_each` says so.
void add_to_both(Headers& headers, Reference& reference, const Reference& fields,
                 bool check_each = false) {
  for (const auto& [name, value] : fields) {
    headers.add(name, value);
    reference.emplace_back(name, value);
    if (check_each) expect_same(headers, reference);
  }
}

}  // namespace

TEST(Headers, EmptyHasNoFields) {
  Headers headers;
  expect_same(headers, {});
  EXPECT_EQ(headers.begin(), headers.end());
  EXPECT_FALSE(headers.get("host").has_value());
  EXPECT_TRUE(headers.get_all("host").empty());
  EXPECT_EQ(headers, Headers());
}

TEST(Headers, KeepsEveryFieldInOrderWhileGrowing) {
  Headers headers;
  Reference reference;
  add_to_both(headers, reference, varied_fields(200), /*check_each=*/true);
}

TEST(Headers, ReservedRoomAndBeyond) {
  for (std::size_t reserved_fields : {0, 1, 3, 16}) {
    for (std::size_t reserved_bytes : {0, 10, 512}) {
      Headers headers;
      headers.reserve(reserved_fields, reserved_bytes);
      Reference reference;
      add_to_both(headers, reference, varied_fields(40));
      expect_same(headers, reference);
    }
  }
}

TEST(Headers, ReserveAfterFieldsKeepsThem) {
  Headers headers{{"a", "1"}, {"b", "22"}};
  headers.reserve(100, 10000);
  headers.add("c", "333");
  expect_same(headers, {{"a", "1"}, {"b", "22"}, {"c", "333"}});
}

TEST(Headers, InitializerList) {
  Headers headers{{"content-type", "text/plain"}, {"content-length", "13"}, {"x", ""}};
  expect_same(headers, {{"content-type", "text/plain"}, {"content-length", "13"}, {"x", ""}});
}

TEST(Headers, CopiesAreEqualAndIndependent) {
  // Filled twice, so the blocks freed while it grew hold other bytes than it does now: a copy
  // that left a byte out would show stale bytes (under ASan, its allocation fill) there.
  Headers original;
  // Under 4 KiB in all: ASan fills that much of a new allocation.
  for (const auto& [name, value] : varied_fields(12, 1)) original.add(name, value);
  original.clear();
  Reference reference = varied_fields(12);
  for (const auto& [name, value] : reference) original.add(name, value);

  Headers copy(original);
  expect_same(copy, reference);
  EXPECT_EQ(copy, original);
  copy.add("extra", "field");
  expect_same(original, reference);
  EXPECT_NE(copy, original);

  Headers assigned{{"old", "value"}};
  assigned = original;
  expect_same(assigned, reference);
  const Headers& same = assigned;  // through a reference: clang flags a literal self-assignment
  assigned = same;                 // self-assignment keeps the fields
  expect_same(assigned, reference);

  Headers empty_copy(Headers{});
  expect_same(empty_copy, {});
}

TEST(Headers, MovesTakeTheFieldsAndLeaveAnEmptyList) {
  Headers source{{"a", "1"}, {"b", "2"}};
  Headers moved(std::move(source));
  expect_same(moved, {{"a", "1"}, {"b", "2"}});
  expect_same(source, {});  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  source.add("again", "usable");
  expect_same(source, {{"again", "usable"}});

  Headers target{{"x", "y"}};
  target = std::move(moved);
  expect_same(target, {{"a", "1"}, {"b", "2"}});
  expect_same(moved, {});  // NOLINT(bugprone-use-after-move)
}

TEST(Headers, ClearKeepsTheListUsable) {
  Headers headers{{"a", "1"}, {"b", "2"}};
  headers.clear();
  expect_same(headers, {});
  Reference reference = varied_fields(25);
  for (const auto& [name, value] : reference) headers.add(name, value);
  expect_same(headers, reference);
}

TEST(Headers, LookupIsCaseInsensitiveAndKeepsDuplicates) {
  Headers headers{{"Set-Cookie", "a=1"}, {"host", "x"}, {"set-cookie", "b=2"}};
  EXPECT_EQ(headers.get("SET-COOKIE"), "a=1");
  EXPECT_EQ(headers.get_all("set-cookie"), (std::vector<std::string_view>{"a=1", "b=2"}));
  EXPECT_TRUE(headers.contains("HOST"));
  EXPECT_FALSE(headers.contains("hostx"));
}

TEST(Headers, LargeValues) {
  std::string big(1 << 20, 'v');
  Headers headers{{"small", "s"}};
  headers.add("big", big);
  headers.add("after", "a");
  expect_same(headers, {{"small", "s"}, {"big", big}, {"after", "a"}});
}

// Random sequences of every operation, checked against the reference after each step (fixed seed,
// so a failure reproduces).
TEST(Headers, RandomOperationsMatchTheReference) {
  std::mt19937 random(20261124);
  auto text = [&random](std::size_t max_length) {
    std::string s(random() % (max_length + 1), '\0');
    for (char& c : s) c = static_cast<char>(random() % 256);
    return s;
  };
  Headers headers;
  Reference reference;
  for (int step = 0; step < 3000; ++step) {
    switch (random() % 10) {
      case 0: {  // copy, then carry on with the copy
        Headers copy(headers);
        headers = Headers{{"replaced", "soon"}};
        headers = copy;
        break;
      }
      case 1: {  // move through a temporary
        Headers moved(std::move(headers));
        headers = std::move(moved);
        break;
      }
      case 2:
        if (random() % 8 == 0) {
          headers.clear();
          reference.clear();
        }
        break;
      case 3:
        headers.reserve(random() % 20, random() % 2000);
        break;
      default:
        add_to_both(headers, reference, {{text(20), text(random() % 4 == 0 ? 2000 : 40)}});
    }
    expect_same(headers, reference);
    if (::testing::Test::HasFailure()) FAIL() << "at step " << step;
  }
}
