"""A chat room over real sockets: 20 WebSocket clients each send 50 messages into one room (the
`chat_testing` app, asgi::Broadcaster with its default policy) while reading; every client must
receive all 1,000 messages, each sender's in the order sent. With the old drop-oldest inbox of 64
messages, each client got about 192 of them."""

import asyncio
import unittest

import websockets

from support import Server, testing_binary

CLIENTS = 20
MESSAGES = 50


async def client(port, index, start):
    async with websockets.connect("ws://127.0.0.1:%d/room" % port, max_size=None) as ws:
        await start.wait()
        received = []

        async def read():
            while len(received) < CLIENTS * MESSAGES:
                received.append(await asyncio.wait_for(ws.recv(), timeout=30))

        reader = asyncio.ensure_future(read())
        for n in range(MESSAGES):
            await ws.send("%d:%d" % (index, n))
        await reader
        return received


async def chat(port):
    start = asyncio.Event()
    tasks = [asyncio.ensure_future(client(port, i, start)) for i in range(CLIENTS)]
    await asyncio.sleep(1.0)  # every client has joined the room before anyone speaks
    start.set()
    return await asyncio.gather(*tasks)


class Chat(unittest.TestCase):
    def test_every_client_receives_every_message(self):
        server = Server("chat_testing", binary=testing_binary()).start()
        try:
            results = asyncio.run(chat(server.port))
        finally:
            server.kill()
        for index, received in enumerate(results):
            self.assertEqual(len(received), CLIENTS * MESSAGES, "client %d" % index)
            by_sender = {}
            for message in received:
                sender, n = message.split(":")
                by_sender.setdefault(sender, []).append(int(n))
            self.assertEqual(len(by_sender), CLIENTS)
            for sender, numbers in by_sender.items():
                self.assertEqual(numbers, list(range(MESSAGES)), "client %d, sender %s" % (index, sender))


if __name__ == "__main__":
    unittest.main()
