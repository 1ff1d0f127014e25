// Validating outgoing WebSocket text must not copy it: every text frame and close reason an app
// sends is checked for UTF-8, and a copy would double the memory and time of a large message.
// This executable replaces the global operator new with one that counts, so a test can see
// whether the validation allocates (its own executable: the other unit tests keep the standard
// allocator).

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <optional>
#include <string>

#include "asgi/events.hpp"
#include "asgi/protocol/percent.hpp"
#include "asgi/protocol/websocket_cycle.hpp"

namespace {

std::atomic<long> allocations{0};

}  // namespace

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

using namespace asgi;
using namespace asgi::protocol;

namespace {

template <class F>
long allocations_during(F&& f) {
  long before = allocations.load();
  f();
  return allocations.load() - before;
}

/// About 1 MiB of valid UTF-8: ASCII with 2-, 3- and 4-byte sequences mixed in.
std::string large_text() {
  std::string text;
  while (text.size() < (1u << 20))
    text += "plain ascii, caf\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\xA6\x80; ";
  return text;
}

}  // namespace

TEST(Utf8NoCopy, CounterSeesLibraryAllocations) {
  // repair_utf8 builds a new string: the replaced operator new must see it, or the tests below
  // would pass for the wrong reason.
  std::string text = large_text();
  std::string repaired;
  EXPECT_GE(allocations_during([&] { repaired = repair_utf8(text); }), 1);
  EXPECT_EQ(repaired, text);
}

TEST(Utf8NoCopy, ValidatingLargeTextAllocatesNothing) {
  const std::string text = large_text();
  bool valid = false;
  EXPECT_EQ(allocations_during([&] { valid = is_valid_utf8(text); }), 0);
  EXPECT_TRUE(valid);

  std::string invalid = text + "\xED\xA0\x80";  // a surrogate at the very end
  EXPECT_EQ(allocations_during([&] { valid = is_valid_utf8(invalid); }), 0);
  EXPECT_FALSE(valid);
}

TEST(Utf8NoCopy, SendingLargeTextIsNotCopied) {
  WebSocketCycle cycle({});
  ASSERT_EQ(cycle.on_send(WebSocketAccept()), WebSocketCycle::Action::accept);
  const Message message = WebSocketSend(std::nullopt, large_text());
  WebSocketCycle::Action action{};
  EXPECT_EQ(allocations_during([&] { action = cycle.on_send(message); }), 0);
  EXPECT_EQ(action, WebSocketCycle::Action::send);
}

TEST(Utf8NoCopy, CloseReasonIsNotCopied) {
  WebSocketCycle cycle({});
  ASSERT_EQ(cycle.on_send(WebSocketAccept()), WebSocketCycle::Action::accept);
  // 123 bytes, the most a close frame carries: beyond any small-string buffer.
  std::string reason;
  while (reason.size() < 120) reason += "\xC3\xA9";
  reason += "ok!";
  ASSERT_EQ(reason.size(), 123u);
  const Message message = WebSocketClose(4000, reason);
  WebSocketCycle::Action action{};
  EXPECT_EQ(allocations_during([&] { action = cycle.on_send(message); }), 0);
  EXPECT_EQ(action, WebSocketCycle::Action::close);
}
