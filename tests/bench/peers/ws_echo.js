// The Node `ws` peer for tests/bench: a WebSocket echo server on 127.0.0.1:PORT.
//   NODE_PATH=tests/bench/.cache/node_modules node tests/bench/peers/ws_echo.js PORT
// permessage-deflate is off, as for every other server in the benchmark.
'use strict';
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 8080);
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, backlog: 2048 });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});  // the load client just drops its connections at the end
});
wss.on('listening', () => console.error(`ws echo listening on ${port}`));
