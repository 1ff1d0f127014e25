#include "crab_app/crab_pages.hpp"

namespace apps::crab {

std::string_view tank_page() {
  // Self-contained (the machine may be offline): inline CSS and JavaScript, no fonts or images.
  // The tank is 800 x 500 units whatever its size on screen; elements are placed in percent.
  // data-testid attributes are for the browser test (tests/browser/tank.test.mjs) and anyone
  // scripting the page: crab, food, food-count, dropped-count, eaten-count, viewers, status.
  static constexpr std::string_view page = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Crab Tank &middot; Crab Club</title>
<style>
  :root { --shell: #e4572e; --sand: #fdf6e3; --sea: #0b4f6c; --ink: #1d1d1f; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif;
         color: var(--ink); background: var(--sand); }
  header { background: linear-gradient(160deg, var(--sea), #1b998b); color: white;
           padding: 1.2rem 1.5rem 1.4rem; text-align: center; }
  header h1 { margin: 0; font-size: 2rem; }
  header p { margin: .3rem 0 0; opacity: .9; }
  header a { color: white; position: absolute; left: 1rem; top: .8rem; font-weight: 600;
             text-decoration: none; opacity: .85; }
  main { max-width: 832px; margin: 1rem auto 2rem; padding: 0 1rem; }
  .bar { display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; align-items: center;
         margin-bottom: .6rem; }
  .status { padding: .1rem .6rem; border-radius: 99px; color: white; font-weight: 600;
            background: #c98a0b; }
  .status[data-state="connected"] { background: #2a9d55; }
  .status[data-state="reconnecting"] { background: #b23a2b; }
  #tank { position: relative; width: 100%; aspect-ratio: 8 / 5; overflow: hidden;
          border-radius: 16px; cursor: crosshair; user-select: none;
          border: 6px solid #bcd8e0; box-shadow: 0 6px 24px rgba(11, 79, 108, .25);
          background: linear-gradient(#8fd8ea 0%, #3aa1c2 62%, #2f8fae 80%, #e9d3a0 80%,
                                      #dcc38a 100%); }
  #tank::before { content: ""; position: absolute; inset: 0; pointer-events: none;
                  background: radial-gradient(circle at 12% 30%, rgba(255,255,255,.35) 0 5px,
                                              transparent 6px),
                              radial-gradient(circle at 15% 18%, rgba(255,255,255,.3) 0 3px,
                                              transparent 4px),
                              radial-gradient(circle at 82% 40%, rgba(255,255,255,.3) 0 4px,
                                              transparent 5px),
                              radial-gradient(circle at 85% 25%, rgba(255,255,255,.25) 0 2px,
                                              transparent 3px); }
  .crab, .food { position: absolute; transform: translate(-50%, -50%); pointer-events: none; }
  .crab { text-align: center; line-height: 1; transition: left .1s linear, top .1s linear;
          z-index: 2; }
  .crab .body { display: inline-block; width: 46px; height: 32px; }
  .crab.walking .body { animation: scuttle .24s ease-in-out infinite alternate; }
  @keyframes scuttle { from { transform: rotate(-5deg); } to { transform: rotate(5deg); } }
  header h1 svg { width: 1.4em; height: 1em; vertical-align: -.1em; }
  .crab .name { display: block; font-size: 11px; font-weight: 600; color: white;
                text-shadow: 0 1px 2px rgba(0, 0, 0, .7); white-space: nowrap; }
  .food { width: 11px; height: 11px; border-radius: 50%; z-index: 1;
          background: radial-gradient(circle at 35% 35%, #f4c27a, #a0522d);
          box-shadow: 0 1px 3px rgba(0, 0, 0, .4); }
  #message { min-height: 1.5em; color: #555; margin: .5rem 0 0; }
  footer { text-align: center; color: #777; font-size: .9rem; padding-bottom: 2rem; }
</style>
</head>
<body>
<!-- The crab, drawn inline: an emoji would need a colour-emoji font, which not every machine has. -->
<svg width="0" height="0" style="position: absolute" aria-hidden="true">
  <symbol id="crab-shape" viewBox="0 0 64 44">
    <g stroke="#b8321a" stroke-width="3" stroke-linecap="round" fill="none">
      <path d="M20 27 L9 31 M20 30 L10 37 M22 33 L15 41 M44 27 L55 31 M44 30 L54 37 M42 33 L49 41"/>
      <path d="M21 21 L13 14 M43 21 L51 14 M28 16 L27 9 M36 16 L37 9"/>
    </g>
    <path d="M12 17 C3 15 2 5 8 1 L11 8 L15 3 C19 7 18 15 12 17 Z" fill="#e4572e" stroke="#b8321a"/>
    <path d="M52 17 C61 15 62 5 56 1 L53 8 L49 3 C45 7 46 15 52 17 Z" fill="#e4572e" stroke="#b8321a"/>
    <ellipse cx="32" cy="25" rx="16" ry="11" fill="#e4572e" stroke="#b8321a" stroke-width="1.5"/>
    <path d="M24 27 Q32 32 40 27" stroke="#b8321a" stroke-width="1.5" fill="none"/>
    <circle cx="27" cy="8" r="3.2" fill="white" stroke="#1d1d1f"/>
    <circle cx="37" cy="8" r="3.2" fill="white" stroke="#1d1d1f"/>
    <circle cx="27.6" cy="8.4" r="1.5" fill="#1d1d1f"/>
    <circle cx="37.6" cy="8.4" r="1.5" fill="#1d1d1f"/>
  </symbol>
</svg>
<header>
  <a href="/">&larr; Crab Club</a>
  <h1><svg aria-hidden="true"><use href="#crab-shape"/></svg> The Crab Tank</h1>
  <p>Live: everyone watching sees the same crabs. Click in the tank to drop food.</p>
</header>
<main>
  <div class="bar">
    <span id="status" class="status" data-testid="status" data-state="connecting">connecting&hellip;</span>
    <span>Food in the tank: <b id="food-count" data-testid="food-count">0</b></span>
    <span>Dropped: <b id="dropped-count" data-testid="dropped-count">0</b></span>
    <span>Eaten: <b id="eaten-count" data-testid="eaten-count">0</b></span>
    <span>Watching: <b id="viewers" data-testid="viewers">0</b></span>
  </div>
  <div id="tank" data-testid="tank" role="application"
       aria-label="Crab tank: click to drop food"></div>
  <p id="message" data-testid="message" aria-live="polite"></p>
</main>
<footer>State arrives ten times a second over a WebSocket (/ws/tank) &middot; powered by asgiserver</footer>
<script>
(() => {
  "use strict";
  const WIDTH = 800, HEIGHT = 500;  // tank units, as the server counts them
  const $ = (id) => document.getElementById(id);
  const tank = $("tank"), status = $("status"), message = $("message");
  const SVG = "http://www.w3.org/2000/svg";
  const crabs = new Map(), food = new Map();  // id -> element
  let socket = null, retryMs = 500;

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function place(el, x, y) {
    el.style.left = (x / WIDTH * 100) + "%";
    el.style.top = (y / HEIGHT * 100) + "%";
    el.dataset.x = x;
    el.dataset.y = y;
  }

  // Adds, moves and removes elements so that `elements` shows exactly `items`.
  function sync(elements, items, create, update) {
    const seen = new Set();
    for (const item of items) {
      let el = elements.get(item.id);
      if (!el) {
        el = create(item);
        el.dataset.id = item.id;
        elements.set(item.id, el);
        tank.appendChild(el);
      }
      update(el, item);
      seen.add(item.id);
    }
    for (const [id, el] of elements)
      if (!seen.has(id)) { el.remove(); elements.delete(id); }
  }

  function newCrab(crab) {
    const el = document.createElement("div");
    el.className = "crab";
    el.setAttribute("data-testid", "crab");
    el.setAttribute("aria-label", "\u{1F980} " + crab.name);
    const body = document.createElementNS(SVG, "svg");
    body.setAttribute("class", "body");
    const use = document.createElementNS(SVG, "use");
    use.setAttribute("href", "#crab-shape");
    body.append(use);
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = crab.name;
    el.append(body, name);
    return el;
  }

  function newFood() {
    const el = document.createElement("div");
    el.className = "food";
    el.setAttribute("data-testid", "food");
    return el;
  }

  function render(state) {
    sync(crabs, state.crabs, newCrab, (el, crab) => {
      // The crab walks sideways either way; it only scuttles visibly while it is moving.
      const moving = el.dataset.x !== undefined &&
        (Number(el.dataset.x) !== crab.x || Number(el.dataset.y) !== crab.y);
      el.classList.toggle("walking", moving);
      el.title = crab.name + ": " + crab.eaten + " eaten";
      place(el, crab.x, crab.y);
    });
    sync(food, state.food, newFood, (el, piece) => place(el, piece.x, piece.y));
    $("food-count").textContent = state.food.length;
    $("dropped-count").textContent = state.dropped;
    $("eaten-count").textContent = state.eaten;
    $("viewers").textContent = state.viewers;
    tank.dataset.tick = state.tick;
  }

  function connect() {
    setStatus("connecting", "connecting\u2026");
    const url = new URL("ws/tank", location.href);  // relative: works under a root_path too
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => { retryMs = 500; setStatus("connected", "connected"); };
    ws.onmessage = (event) => {
      let msg;
      try { msg = JSON.parse(event.data); } catch { return; }
      if (msg.type === "state") render(msg);
      else if (msg.type === "error") message.textContent = "\u26A0 " + msg.detail;
      else if (msg.type === "dropped") message.textContent = "Food " + (msg.id ? "#" + msg.id + " " : "") + "dropped. Watch them scuttle!";
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      setStatus("reconnecting", "disconnected \u2013 retrying in " + (retryMs / 1000) + " s");
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    };
  }

  tank.addEventListener("click", (event) => {
    const box = tank.getBoundingClientRect();
    const clamp = (v, hi) => Math.min(hi, Math.max(0, v));
    // clientWidth excludes the border, so the tank's inner box maps onto 800 x 500.
    const x = clamp((event.clientX - box.left - tank.clientLeft) / tank.clientWidth * WIDTH, WIDTH);
    const y = clamp((event.clientY - box.top - tank.clientTop) / tank.clientHeight * HEIGHT, HEIGHT);
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      message.textContent = "Not connected yet: the food stays in your pocket.";
      return;
    }
    socket.send(JSON.stringify({ type: "drop", x: Math.round(x * 10) / 10, y: Math.round(y * 10) / 10 }));
  });

  connect();
})();
</script>
</body>
</html>
)html";
  return page;
}

}  // namespace apps::crab
