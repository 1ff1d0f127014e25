// WebSocket, I/O-free parts: the opening-handshake checks (RFC 6455 §4.2.1, hardening §7) and the
// ASGI websocket state machine (www spec §3.7, websocket.http.response §5.1).

#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "asgi/errors.hpp"
#include "asgi/events.hpp"
#include "asgi/protocol/percent.hpp"
#include "asgi/protocol/request_parser.hpp"
#include "asgi/protocol/websocket_cycle.hpp"
#include "asgi/protocol/websocket_handshake.hpp"

using namespace asgi;
using namespace asgi::protocol;

namespace {

constexpr const char* kKey = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455 §1.3

using Fields = std::vector<std::pair<std::string, std::string>>;

/// The RFC's sample handshake, with `changes` replacing (or, with an empty value, removing) the
/// named fields, and `extra` appended.
RequestHead handshake(const Fields& changes = {}, const Fields& extra = {},
                      std::string method = "GET", int minor = 1) {
  Fields fields = {{"host", "localhost"},
                   {"upgrade", "websocket"},
                   {"connection", "Upgrade"},
                   {"sec-websocket-key", kKey},
                   {"sec-websocket-version", "13"}};
  for (const auto& [name, value] : changes) {
    for (auto it = fields.begin(); it != fields.end();) {
      if (it->first == name) {
        it = fields.erase(it);
      } else {
        ++it;
      }
    }
    if (!value.empty()) fields.emplace_back(name, value);
  }
  for (const auto& field : extra) fields.push_back(field);
  RequestHead head;
  head.method = std::move(method);
  head.target = "/chat";
  head.http_major = 1;
  head.http_minor = minor;
  head.upgrade = true;
  for (const auto& [name, value] : fields) head.headers.add(name, value);
  return head;
}

/// Parses raw request bytes with the real parser (names lowercased, values trimmed).
RequestHead parse(const std::string& raw) {
  RequestParser parser(RequestLimits{});
  auto result = parser.feed(raw);
  EXPECT_EQ(result.status, RequestParser::Status::complete) << raw;
  return parser.head();
}

}  // namespace

// ---- is_websocket_upgrade -------------------------------------------------------------------

TEST(WebSocketUpgrade, RecognisesTheRfcRequest) {
  EXPECT_TRUE(is_websocket_upgrade(handshake()));
}

TEST(WebSocketUpgrade, TokensAreCaseInsensitive) {
  EXPECT_TRUE(
      is_websocket_upgrade(handshake({{"upgrade", "WebSocket"}, {"connection", "UPGRADE"}})));
  EXPECT_TRUE(
      is_websocket_upgrade(handshake({{"upgrade", "WEBSOCKET"}, {"connection", "upgrade"}})));
}

TEST(WebSocketUpgrade, ConnectionTokenInAList) {
  EXPECT_TRUE(is_websocket_upgrade(handshake({{"connection", "keep-alive, Upgrade"}})));
  EXPECT_TRUE(is_websocket_upgrade(handshake({{"connection", "keep-alive ,upgrade , close"}})));
  // The token in a second Connection header counts too.
  EXPECT_TRUE(
      is_websocket_upgrade(handshake({{"connection", "keep-alive"}}, {{"connection", "Upgrade"}})));
}

TEST(WebSocketUpgrade, OtherUpgradesAreNotWebSocket) {
  EXPECT_FALSE(is_websocket_upgrade(handshake({{"upgrade", "h2c"}})));
  EXPECT_FALSE(is_websocket_upgrade(handshake({{"upgrade", "websocketx"}})));
  EXPECT_FALSE(is_websocket_upgrade(handshake({{"upgrade", "web socket"}})));
}

TEST(WebSocketUpgrade, NeedsTheParserToHaveStoppedForAnUpgrade) {
  RequestHead head = handshake();
  head.upgrade = false;  // llhttp would parse on past the head: the bytes after it are HTTP
  EXPECT_FALSE(is_websocket_upgrade(head));
}

TEST(WebSocketUpgrade, ParserFlagsTheRfcRequest) {
  EXPECT_TRUE(is_websocket_upgrade(
      parse("GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, "
            "Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n")));
  EXPECT_FALSE(
      is_websocket_upgrade(parse("GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n")));
}

TEST(WebSocketUpgrade, NeedsTheConnectionUpgradeToken) {
  EXPECT_FALSE(is_websocket_upgrade(handshake({{"connection", ""}})));
  EXPECT_FALSE(is_websocket_upgrade(handshake({{"connection", "keep-alive"}})));
  EXPECT_FALSE(is_websocket_upgrade(handshake({{"connection", "upgraded"}})));
  EXPECT_FALSE(is_websocket_upgrade(handshake({{"upgrade", ""}})));
}

TEST(WebSocketUpgrade, FromTheParser) {
  RequestHead head = parse(
      "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Protocol: chat, superchat\r\n\r\n");
  EXPECT_TRUE(is_websocket_upgrade(head));
  HandshakeCheck check = check_websocket_handshake(head);
  EXPECT_EQ(check.error_status, 0) << check.error_reason;
  EXPECT_EQ(check.subprotocols, (std::vector<std::string>{"chat", "superchat"}));

  RequestHead h2c =
      parse("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n");
  EXPECT_FALSE(is_websocket_upgrade(h2c));
}

// ---- check_websocket_handshake ----------------------------------------------------------------

TEST(WebSocketHandshake, ValidRequestPasses) {
  HandshakeCheck check = check_websocket_handshake(handshake());
  EXPECT_EQ(check.error_status, 0) << check.error_reason;
  EXPECT_TRUE(check.subprotocols.empty());
}

TEST(WebSocketHandshake, SubprotocolsAcrossRepeatedHeaders) {
  HandshakeCheck check = check_websocket_handshake(handshake(
      {}, {{"sec-websocket-protocol", "chat, superchat"}, {"sec-websocket-protocol", "v2"}}));
  EXPECT_EQ(check.error_status, 0) << check.error_reason;
  EXPECT_EQ(check.subprotocols, (std::vector<std::string>{"chat", "superchat", "v2"}));
}

TEST(WebSocketHandshake, SubprotocolListIsTrimmedAndEmptyItemsDropped) {
  HandshakeCheck check =
      check_websocket_handshake(handshake({}, {{"sec-websocket-protocol", "chat,,  superchat ,"}}));
  EXPECT_EQ(check.error_status, 0);
  EXPECT_EQ(check.subprotocols, (std::vector<std::string>{"chat", "superchat"}));
}

TEST(WebSocketHandshake, SubprotocolsKeepTheirCase) {
  HandshakeCheck check =
      check_websocket_handshake(handshake({}, {{"sec-websocket-protocol", "Chat"}}));
  EXPECT_EQ(check.subprotocols, (std::vector<std::string>{"Chat"}));
}

TEST(WebSocketHandshake, WrongVersionIs426) {
  EXPECT_EQ(check_websocket_handshake(handshake({{"sec-websocket-version", "8"}})).error_status,
            426);
  EXPECT_EQ(check_websocket_handshake(handshake({{"sec-websocket-version", "12"}})).error_status,
            426);
  EXPECT_EQ(check_websocket_handshake(handshake({{"sec-websocket-version", "14"}})).error_status,
            426);
  EXPECT_EQ(check_websocket_handshake(handshake({{"sec-websocket-version", "13a"}})).error_status,
            426);
}

TEST(WebSocketHandshake, MissingVersionIs426) {
  EXPECT_EQ(check_websocket_handshake(handshake({{"sec-websocket-version", ""}})).error_status,
            426);
}

TEST(WebSocketHandshake, RepeatedVersionIsRefused) {
  HandshakeCheck check =
      check_websocket_handshake(handshake({}, {{"sec-websocket-version", "13"}}));
  EXPECT_NE(check.error_status, 0);
}

TEST(WebSocketHandshake, MissingKeyIs400) {
  EXPECT_EQ(check_websocket_handshake(handshake({{"sec-websocket-key", ""}})).error_status, 400);
}

TEST(WebSocketHandshake, MalformedKeyIs400) {
  for (const char* key : {
           "short",
           "dGhlIHNhbXBsZSBub25jZQ",     // no padding: 22 characters
           "dGhlIHNhbXBsZSBub25jZQ=",    // 23 characters
           "dGhlIHNhbXBsZSBub25jZQ===",  // 25 characters
           "dGhlIHNhbXBsZSBub25jZQAA",   // 24 characters, not 16 bytes
           "dGhlIHNhbXBsZSBub25j!Q==",   // not base64
           "dGhlIHNhbXBsZSBub25j ZQ==",  // a space inside
       }) {
    EXPECT_EQ(check_websocket_handshake(handshake({{"sec-websocket-key", key}})).error_status, 400)
        << key;
  }
}

TEST(WebSocketHandshake, OtherValidKeysPass) {
  for (const char* key :
       {"AAAAAAAAAAAAAAAAAAAAAA==", "x3JJHMbDL1EzLkh9GBhXDw==", "+/+/+/+/+/+/+/+/+/+/+w=="}) {
    EXPECT_EQ(check_websocket_handshake(handshake({{"sec-websocket-key", key}})).error_status, 0)
        << key;
  }
}

TEST(WebSocketHandshake, DuplicatedKeyIs400) {
  EXPECT_EQ(check_websocket_handshake(handshake({}, {{"sec-websocket-key", kKey}})).error_status,
            400);
  EXPECT_EQ(
      check_websocket_handshake(handshake({}, {{"sec-websocket-key", "x3JJHMbDL1EzLkh9GBhXDw=="}}))
          .error_status,
      400);
}

TEST(WebSocketHandshake, PostIs400) {
  EXPECT_EQ(check_websocket_handshake(handshake({}, {}, "POST")).error_status, 400);
  EXPECT_EQ(check_websocket_handshake(handshake({}, {}, "HEAD")).error_status, 400);
}

TEST(WebSocketHandshake, Http10Is400) {
  EXPECT_EQ(check_websocket_handshake(handshake({}, {}, "GET", 0)).error_status, 400);
}

TEST(WebSocketHandshake, ErrorsCarryAReason) {
  EXPECT_FALSE(
      check_websocket_handshake(handshake({{"sec-websocket-key", ""}})).error_reason.empty());
  EXPECT_FALSE(
      check_websocket_handshake(handshake({{"sec-websocket-version", "8"}})).error_reason.empty());
}

// ---- is_valid_close_code / is_valid_utf8 --------------------------------------------------

TEST(WebSocketCloseCodes, ValidCodes) {
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                   3999, 4000, 4999})
    EXPECT_TRUE(is_valid_close_code(code)) << code;
  for (int code : {-1, 0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535, 70000})
    EXPECT_FALSE(is_valid_close_code(code)) << code;
}

TEST(WebSocketUtf8, Validity) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("hello"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\xA6\x80"));
  EXPECT_TRUE(is_valid_utf8("\xEF\xBF\xBE"));          // U+FFFE: a noncharacter, but valid
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));      // U+10FFFF
  EXPECT_TRUE(is_valid_utf8(std::string("a\0b", 3)));  // NUL is a valid code point
  EXPECT_FALSE(is_valid_utf8("\xFF"));
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong, 3 bytes
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(is_valid_utf8("\x80"));              // lone continuation byte
}

// ---- WebSocketCycle ---------------------------------------------------------------------------

namespace {

using State = WebSocketCycle::State;
using Action = WebSocketCycle::Action;

Message text(std::string s) {
  return WebSocketSend(std::nullopt, std::move(s));
}
Message binary(std::string s) {
  return WebSocketSend(std::move(s), std::nullopt);
}

WebSocketCycle accepted_cycle(std::vector<std::string> offered = {}) {
  WebSocketCycle cycle(std::move(offered));
  EXPECT_EQ(cycle.on_send(WebSocketAccept()), Action::accept);
  return cycle;
}

/// on_send throws ProtocolError whose message contains `fragment`.
void expect_protocol_error(WebSocketCycle& cycle, const Message& message,
                           const std::string& fragment = "") {
  try {
    cycle.on_send(message);
    ADD_FAILURE() << "no ProtocolError for " << type_of(message);
  } catch (const ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
        << "message: " << e.what() << "\nexpected to contain: " << fragment;
  }
}

}  // namespace

TEST(WebSocketCycle, StartsInHandshake) {
  WebSocketCycle cycle({});
  EXPECT_EQ(cycle.state(), State::handshake);
}

TEST(WebSocketCycle, AcceptSendClose) {
  WebSocketCycle cycle({});
  EXPECT_EQ(cycle.on_send(WebSocketAccept()), Action::accept);
  EXPECT_EQ(cycle.state(), State::accepted);
  EXPECT_EQ(cycle.on_send(text("hi")), Action::send);
  EXPECT_EQ(cycle.on_send(binary(std::string("\x00\xFF", 2))), Action::send);
  EXPECT_EQ(cycle.on_send(text("")), Action::send);  // empty text is a message
  EXPECT_EQ(cycle.on_send(binary("")), Action::send);
  EXPECT_EQ(cycle.state(), State::accepted);
  EXPECT_EQ(cycle.on_send(WebSocketClose()), Action::close);
  EXPECT_EQ(cycle.state(), State::closed);
}

TEST(WebSocketCycle, AcceptWithHeaders) {
  WebSocketCycle cycle({});
  Headers headers;
  headers.add("x-extra", "yes");
  headers.add("set-cookie", "a=1");
  EXPECT_EQ(cycle.on_send(WebSocketAccept(std::nullopt, headers)), Action::accept);
}

TEST(WebSocketCycle, AcceptTwiceIsAnError) {
  WebSocketCycle cycle = accepted_cycle();
  expect_protocol_error(cycle, WebSocketAccept(),
                        "Expected ASGI message 'websocket.send' or 'websocket.close', but got "
                        "'websocket.accept'.");
}

TEST(WebSocketCycle, SendBeforeAcceptIsAnError) {
  WebSocketCycle cycle({});
  expect_protocol_error(cycle, text("early"), "but got 'websocket.send'");
  EXPECT_EQ(cycle.state(), State::handshake);
  // The handshake can still be completed.
  EXPECT_EQ(cycle.on_send(WebSocketAccept()), Action::accept);
}

TEST(WebSocketCycle, SendNeedsExactlyOneOfBytesAndText) {
  WebSocketCycle cycle = accepted_cycle();
  expect_protocol_error(cycle, WebSocketSend(std::string("b"), std::string("t")), "exactly one");
  expect_protocol_error(cycle, WebSocketSend(std::nullopt, std::nullopt), "exactly one");
  EXPECT_EQ(cycle.state(), State::accepted);
}

TEST(WebSocketCycle, SendInvalidUtf8TextIsAnError) {
  WebSocketCycle cycle = accepted_cycle();
  expect_protocol_error(cycle, text("\xFF"), "UTF-8");
  expect_protocol_error(cycle, text("ok \xED\xA0\x80"), "UTF-8");
  expect_protocol_error(cycle, text("\xC0\xAF"), "UTF-8");
  // The same bytes are fine as a binary message.
  EXPECT_EQ(cycle.on_send(binary("\xFF")), Action::send);
}

TEST(WebSocketCycle, CloseCodesAllowed) {
  for (int code :
       {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999}) {
    WebSocketCycle cycle = accepted_cycle();
    EXPECT_EQ(cycle.on_send(WebSocketClose(code, "bye")), Action::close) << code;
  }
}

TEST(WebSocketCycle, CloseCodesForbidden) {
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) {
    WebSocketCycle cycle = accepted_cycle();
    expect_protocol_error(cycle, WebSocketClose(code, ""),
                          "Invalid WebSocket close code " + std::to_string(code));
    EXPECT_EQ(cycle.state(), State::accepted) << code;
  }
}

TEST(WebSocketCycle, CloseReasonLength) {
  {
    WebSocketCycle cycle = accepted_cycle();
    EXPECT_EQ(cycle.on_send(WebSocketClose(1000, std::string(123, 'r'))), Action::close);
  }
  {
    WebSocketCycle cycle = accepted_cycle();  // 41 three-byte characters: 123 bytes
    std::string reason;
    for (int i = 0; i < 41; ++i) reason += "\xE2\x82\xAC";
    EXPECT_EQ(cycle.on_send(WebSocketClose(1000, reason)), Action::close);
  }
  {
    WebSocketCycle cycle = accepted_cycle();
    expect_protocol_error(cycle, WebSocketClose(1000, std::string(124, 'r')), "123 bytes");
  }
  {
    WebSocketCycle cycle = accepted_cycle();
    expect_protocol_error(cycle, WebSocketClose(1000, "bad \xFF"), "UTF-8");
  }
}

TEST(WebSocketCycle, SubprotocolMustHaveBeenOffered) {
  {
    WebSocketCycle cycle({"chat", "superchat"});
    EXPECT_EQ(cycle.on_send(WebSocketAccept(std::string("superchat"))), Action::accept);
  }
  {
    WebSocketCycle cycle({"chat", "superchat"});
    expect_protocol_error(cycle, WebSocketAccept(std::string("other")), "not offered");
    EXPECT_EQ(cycle.state(), State::handshake);
  }
  {
    WebSocketCycle cycle({"chat"});
    expect_protocol_error(cycle, WebSocketAccept(std::string("Chat")), "not offered");  // exact
  }
  {
    WebSocketCycle cycle({});
    expect_protocol_error(cycle, WebSocketAccept(std::string("chat")), "not offered");
  }
  {
    WebSocketCycle cycle({"chat"});  // offered but not chosen: fine
    EXPECT_EQ(cycle.on_send(WebSocketAccept()), Action::accept);
  }
}

TEST(WebSocketCycle, SecWebSocketProtocolHeaderInAcceptIsAnError) {
  for (const char* name : {"sec-websocket-protocol", "Sec-WebSocket-Protocol"}) {
    WebSocketCycle cycle({"chat"});
    Headers headers;
    headers.add(name, "chat");
    expect_protocol_error(cycle, WebSocketAccept(std::nullopt, headers), "subprotocol");
    EXPECT_EQ(cycle.state(), State::handshake);
  }
}

TEST(WebSocketCycle, InvalidAcceptHeadersAreErrors) {
  for (auto [name, value] : std::initializer_list<std::pair<const char*, const char*>>{
           {"bad name", "v"}, {"", "v"}, {"x-ok", "a\r\nx-injected: 1"}, {"x-ok", "a\nb"}}) {
    WebSocketCycle cycle({});
    Headers headers;
    headers.add(name, value);
    expect_protocol_error(cycle, WebSocketAccept(std::nullopt, headers), "header");
  }
}

TEST(WebSocketCycle, CloseBeforeAcceptIs403) {
  WebSocketCycle cycle({});
  EXPECT_EQ(cycle.on_send(WebSocketClose()), Action::deny_with_403);
  EXPECT_EQ(cycle.state(), State::closed);
  // The code is irrelevant before accept (no close frame is sent).
  WebSocketCycle other({});
  EXPECT_EQ(other.on_send(WebSocketClose(4000, "nope")), Action::deny_with_403);
}

TEST(WebSocketCycle, DenialResponse) {
  WebSocketCycle cycle({});
  Headers headers;
  headers.add("x-deny", "1");
  EXPECT_EQ(cycle.on_send(WebSocketHttpResponseStart(401, headers)), Action::deny_start);
  EXPECT_EQ(cycle.state(), State::denying);
  EXPECT_EQ(cycle.on_send(WebSocketHttpResponseBody("den", true)), Action::deny_body);
  EXPECT_EQ(cycle.on_send(WebSocketHttpResponseBody("", true)), Action::deny_body);
  EXPECT_EQ(cycle.state(), State::denying);
  EXPECT_EQ(cycle.on_send(WebSocketHttpResponseBody("ied", false)), Action::deny_end);
  EXPECT_EQ(cycle.state(), State::closed);
}

TEST(WebSocketCycle, DenialInOneBody) {
  WebSocketCycle cycle({});
  EXPECT_EQ(cycle.on_send(WebSocketHttpResponseStart()), Action::deny_start);
  EXPECT_EQ(cycle.on_send(WebSocketHttpResponseBody()), Action::deny_end);
  EXPECT_EQ(cycle.state(), State::closed);
}

TEST(WebSocketCycle, DenialErrors) {
  {
    WebSocketCycle cycle({});  // body before start
    expect_protocol_error(cycle, WebSocketHttpResponseBody("x"),
                          "but got 'websocket.http.response.body'");
  }
  {
    WebSocketCycle cycle({});  // start twice
    cycle.on_send(WebSocketHttpResponseStart());
    expect_protocol_error(cycle, WebSocketHttpResponseStart(),
                          "Expected ASGI message 'websocket.http.response.body', but got "
                          "'websocket.http.response.start'.");
  }
  for (const Message& message :
       {Message(WebSocketAccept()), text("x"), Message(WebSocketClose())}) {
    WebSocketCycle cycle({});  // accept, send or close while denying
    cycle.on_send(WebSocketHttpResponseStart());
    expect_protocol_error(cycle, message, "Expected ASGI message 'websocket.http.response.body'");
    EXPECT_EQ(cycle.state(), State::denying);
  }
  {
    WebSocketCycle cycle = accepted_cycle();  // a denial after accept
    expect_protocol_error(cycle, WebSocketHttpResponseStart(),
                          "but got 'websocket.http.response.start'");
    expect_protocol_error(cycle, WebSocketHttpResponseBody(),
                          "but got 'websocket.http.response.body'");
  }
  {
    WebSocketCycle cycle({});  // anything after the denial ended
    cycle.on_send(WebSocketHttpResponseStart());
    cycle.on_send(WebSocketHttpResponseBody());
    expect_protocol_error(cycle, WebSocketHttpResponseBody(), "after sending");
    expect_protocol_error(cycle, WebSocketAccept(), "after sending");
  }
}

TEST(WebSocketCycle, MessagesAfterCloseAreErrors) {
  for (const Message& message :
       {Message(WebSocketAccept()), text("late"), binary("late"), Message(WebSocketClose()),
        Message(WebSocketHttpResponseStart()), Message(WebSocketHttpResponseBody())}) {
    WebSocketCycle cycle = accepted_cycle();
    cycle.on_send(WebSocketClose());
    expect_protocol_error(cycle, message,
                          "Unexpected ASGI message '" + std::string(type_of(message)) +
                              "', after sending 'websocket.close'.");
    EXPECT_EQ(cycle.state(), State::closed);
  }
}

TEST(WebSocketCycle, MessagesAfter403AreErrors) {
  WebSocketCycle cycle({});
  cycle.on_send(WebSocketClose());
  expect_protocol_error(cycle, WebSocketAccept(), "after sending 'websocket.close'");
  expect_protocol_error(cycle, text("x"), "after sending 'websocket.close'");
}

TEST(WebSocketCycle, MessagesAfterAServerCloseAreDisconnects) {
  // The server closed on its own (keepalive timeout, shutdown) or the client left: the app never
  // sent websocket.close, so what it sends now meets a connection that is gone, not misuse.
  for (const Message& message : {text("x"), binary("x"), Message(WebSocketClose(1000, ""))}) {
    WebSocketCycle cycle = accepted_cycle();
    cycle.on_closed();
    EXPECT_THROW(cycle.on_send(message), ClientDisconnected) << type_of(message);
    EXPECT_EQ(cycle.state(), State::closed);
  }
  WebSocketCycle early({});  // the client left during the handshake
  early.on_closed();
  EXPECT_THROW(early.on_send(WebSocketAccept()), ClientDisconnected);
}

TEST(WebSocketCycle, MessagesAfterTheAppsCloseStayErrors) {
  // The app closed, and then the connection ended: sending more is still the app's mistake.
  WebSocketCycle cycle = accepted_cycle();
  cycle.on_send(WebSocketClose());
  cycle.on_closed();
  expect_protocol_error(cycle, text("x"), "after sending 'websocket.close'");
  WebSocketCycle denied({});
  denied.on_send(WebSocketClose());  // the 403
  denied.on_closed();
  expect_protocol_error(denied, text("x"), "after sending 'websocket.close'");
}

TEST(WebSocketCycle, HttpAndLifespanMessagesAreErrors) {
  for (const Message& message :
       {Message(HttpResponseStart()), Message(HttpResponseBody()), Message(HttpResponseTrailers()),
        Message(LifespanStartupComplete())}) {
    WebSocketCycle handshake_cycle({});
    expect_protocol_error(handshake_cycle, message, std::string(type_of(message)));
    WebSocketCycle cycle = accepted_cycle();
    expect_protocol_error(cycle, message, std::string(type_of(message)));
    EXPECT_EQ(cycle.state(), State::accepted);
  }
}
