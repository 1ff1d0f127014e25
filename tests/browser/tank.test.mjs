// The live crab tank in a real browser: Debian's headless Chromium, driven by playwright-core.
//
//   ASGISERVER=build/asgiserver node tests/browser/tank.test.mjs     (or tests/browser/run.sh)
//
// Starts `asgiserver --app crab_app --port 0` (two event-loop threads, so the two pages' sockets
// usually live on different threads), opens /tank in two separate browser contexts, and checks
// that both see the same crabs moving, that food dropped by a click in one page appears in the
// other, and that the pages reconnect when the server restarts. Uses node:test, so the output is
// TAP and the exit code is 0 only when every test passed.
//
// Environment: ASGISERVER (required): the server binary; CHROMIUM: the browser (/usr/bin/chromium).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { chromium } from "playwright-core";

const SERVER = process.env.ASGISERVER;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
// Generous: sanitizer builds and a loaded 2-core machine are slow.
const STEP_TIMEOUT = 20_000;
const TEST_TIMEOUT = 90_000;
const TANK_W = 800;
const TANK_H = 500;

if (!SERVER) {
  console.error("ASGISERVER must name the asgiserver binary");
  process.exit(2);
}

// ---- the server ------------------------------------------------------------------------------

const servers = new Set();  // every child still running, killed on any way out

// Starts the server and resolves with {child, url, port, log()} once its banner is on stderr.
function startServer(port = 0, extraArgs = []) {
  const args = ["--app", "crab_app", "--port", String(port), "--threads", "2", ...extraArgs];
  const child = spawn(SERVER, args, {
    stdio: ["ignore", "pipe", "pipe"],
  });
  servers.add(child);
  let stderr = "";
  child.stdout.resume();
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => {
    servers.delete(child);
    resolve({ code, signal });
  }));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no banner from the server within ${STEP_TIMEOUT} ms; stderr:\n${stderr}`));
    }, STEP_TIMEOUT);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      const match = /asgiserver running on (http:\/\/[^\s]+):(\d+)/.exec(stderr);
      if (match && timer) {
        clearTimeout(timer);
        resolve({ child, exited, url: `${match[1]}:${match[2]}`, port: Number(match[2]), log: () => stderr });
      }
    });
    child.once("error", (error) => { clearTimeout(timer); reject(error); });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited (code ${code}, signal ${signal}) before its banner:\n${stderr}`));
    });
  });
}

// SIGTERM (graceful shutdown: the server closes the WebSockets with 1012), SIGKILL if it lingers.
// Throws unless the server exits with status 0 (a sanitizer report, say, makes it fail).
async function stopServer(server) {
  if (!server) return;
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGTERM");
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(resolve, 15_000, null); });
  const result = await Promise.race([server.exited, timeout]);
  clearTimeout(timer);  // a pending timer would keep node alive
  if (result === null) {
    server.child.kill("SIGKILL");
    await server.exited;
    throw new Error("the server did not stop within 15 s of SIGTERM");
  }
  if (result.code !== 0)
    throw new Error(`the server exited with code ${result.code}, signal ${result.signal}:\n${server.log()}`);
}

process.on("exit", () => { for (const child of servers) child.kill("SIGKILL"); });
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => process.exit(128 + 2));

// ---- the pages -------------------------------------------------------------------------------

// What a page shows, read from the DOM (the data-testid attributes of /tank).
function readTank(page) {
  return page.evaluate(() => {
    const num = (el) => Number(el.dataset.x);
    const items = (testid) => [...document.querySelectorAll(`[data-testid="${testid}"]`)].map((el) => ({
      id: Number(el.dataset.id), x: num(el), y: Number(el.dataset.y),
      name: el.querySelector(".name")?.textContent ?? null,
    }));
    const text = (testid) => document.querySelector(`[data-testid="${testid}"]`).textContent;
    return {
      status: document.querySelector('[data-testid="status"]').dataset.state,
      tick: Number(document.querySelector('[data-testid="tank"]').dataset.tick ?? -1),
      crabs: items("crab"),
      food: items("food"),
      foodCount: Number(text("food-count")),
      dropped: Number(text("dropped-count")),
    };
  });
}

// Waits until the page is connected and shows crabs, with state ticks arriving.
async function waitForLiveTank(page, label) {
  try {
    await page.waitForFunction(() => {
      const status = document.querySelector('[data-testid="status"]');
      return status && status.dataset.state === "connected" &&
        document.querySelectorAll('[data-testid="crab"]').length > 0;
    }, null, { timeout: STEP_TIMEOUT });
  } catch (error) {
    const state = await readTank(page).catch(() => "unreadable");
    throw new Error(`${label}: no live tank: ${error.message}\nstate: ${JSON.stringify(state)}`);
  }
}

// The point of the tank farthest from every crab and every piece of food: food dropped there
// takes the crabs a few seconds to reach, so the other page has time to see it.
function quietSpot(tank) {
  const others = [...tank.crabs, ...tank.food];
  let best = { x: TANK_W / 2, y: TANK_H / 2, distance: -1 };
  for (let x = 40; x <= TANK_W - 40; x += 10) {
    for (let y = 40; y <= TANK_H - 40; y += 10) {
      const distance = Math.min(...others.map((o) => Math.hypot(o.x - x, o.y - y)));
      if (distance > best.distance) best = { x, y, distance };
    }
  }
  return best;
}

// Clicks the page's tank at tank coordinates (x, y).
async function clickTank(page, x, y) {
  const box = await page.evaluate(() => {
    const tank = document.querySelector('[data-testid="tank"]');
    const rect = tank.getBoundingClientRect();
    return { left: rect.left + tank.clientLeft, top: rect.top + tank.clientTop,
             width: tank.clientWidth, height: tank.clientHeight };
  });
  await page.mouse.click(box.left + (x / TANK_W) * box.width, box.top + (y / TANK_H) * box.height);
}

function foodNear(page, x, y, tolerance) {
  return page.waitForFunction(([x, y, tolerance]) =>
    [...document.querySelectorAll('[data-testid="food"]')].some((el) =>
      Math.abs(Number(el.dataset.x) - x) <= tolerance && Math.abs(Number(el.dataset.y) - y) <= tolerance),
  [x, y, tolerance], { timeout: STEP_TIMEOUT });
}

// ---- the tests -------------------------------------------------------------------------------

let server;
let browser;
let pageA;
let pageB;

const started = Date.now();
const note = (text) => console.log(`# ${((Date.now() - started) / 1000).toFixed(1)} s: ${text}`);

before(async () => {
  server = await startServer();
  note(`server up at ${server.url}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    // Playwright gives launch() a fresh temporary --user-data-dir of its own and removes it after.
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  note(`Chromium ${browser.version()} launched`);
  // Two contexts: two independent browsers as far as cookies, storage and sockets go.
  const contextA = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  const contextB = await browser.newContext({ viewport: { width: 700, height: 700 } });  // scaled tank
  pageA = await contextA.newPage();
  pageB = await contextB.newPage();
  for (const page of [pageA, pageB]) {
    page.setDefaultTimeout(STEP_TIMEOUT);
    page.on("pageerror", (error) => console.error(`# page error: ${error.message}`));
  }
}, { timeout: TEST_TIMEOUT });

after(async () => {
  try {
    await browser?.close();
    note("browser closed");
  } finally {
    await stopServer(server);
    note("server stopped");
  }
}, { timeout: TEST_TIMEOUT });

test("/tank is served and linked from the home page", { timeout: TEST_TIMEOUT }, async () => {
  const response = await pageA.goto(`${server.url}/`);
  assert.equal(response.status(), 200);
  await pageA.click('a[href="/tank"]');
  await pageA.waitForURL(`${server.url}/tank`);
  const tankResponse = await pageB.goto(`${server.url}/tank`);
  assert.equal(tankResponse.status(), 200);
  assert.match(tankResponse.headers()["content-type"], /^text\/html/);
});

test("both pages connect and show the same crabs", { timeout: TEST_TIMEOUT }, async () => {
  await waitForLiveTank(pageA, "page A");
  await waitForLiveTank(pageB, "page B");
  const [a, b] = [await readTank(pageA), await readTank(pageB)];
  assert.ok(a.crabs.length >= 3, `page A shows ${a.crabs.length} crabs`);
  const names = (tank) => tank.crabs.map((c) => `${c.id}:${c.name}`).sort();
  assert.deepEqual(names(b), names(a), "both pages show the same crabs");
  for (const crab of [...a.crabs, ...b.crabs]) {
    assert.ok(crab.x >= 0 && crab.x <= TANK_W && crab.y >= 0 && crab.y <= TANK_H,
              `crab inside the tank: ${JSON.stringify(crab)}`);
  }
});

test("crabs move, in both pages", { timeout: TEST_TIMEOUT }, async () => {
  const before = [await readTank(pageA), await readTank(pageB)];
  await sleep(2500);
  const afterwards = [await readTank(pageA), await readTank(pageB)];
  for (const [i, label] of ["page A", "page B"].entries()) {
    assert.ok(afterwards[i].tick > before[i].tick,
              `${label}: the tick advanced (${before[i].tick} -> ${afterwards[i].tick})`);
    const moved = afterwards[i].crabs.filter((crab) => {
      const old = before[i].crabs.find((c) => c.id === crab.id);
      return old && Math.hypot(crab.x - old.x, crab.y - old.y) > 5;
    });
    assert.ok(moved.length > 0, `${label}: no crab moved in 2.5 s: ${JSON.stringify(afterwards[i].crabs)}`);
  }
});

test("a click in page A drops food that page B (and A) sees", { timeout: TEST_TIMEOUT }, async () => {
  const tankA = await readTank(pageA);
  const droppedBefore = (await readTank(pageB)).dropped;
  const spot = quietSpot(tankA);
  await clickTank(pageA, spot.x, spot.y);
  // Screen pixels to tank units rounds a little: allow a few units of slack.
  await foodNear(pageB, spot.x, spot.y, 4).catch(async (error) => {
    throw new Error(`page B never showed food near (${spot.x}, ${spot.y}): ${error.message}\n` +
                    `page B: ${JSON.stringify(await readTank(pageB))}`);
  });
  await foodNear(pageA, spot.x, spot.y, 4);
  const b = await readTank(pageB);
  assert.ok(b.dropped > droppedBefore, `page B's dropped counter went up (${droppedBefore} -> ${b.dropped})`);
  assert.equal(b.foodCount, b.food.length, "page B's food counter matches the food it shows");
  // And the way back: a click in page B shows in page A.
  const spotB = quietSpot(await readTank(pageB));
  await clickTank(pageB, spotB.x, spotB.y);
  await foodNear(pageA, spotB.x, spotB.y, 4);
});

test("a crab eats the food, and both pages see it go", { timeout: TEST_TIMEOUT }, async () => {
  // With no more drops, the crabs clear the tank: at most ~1000 units away at 75 units/s.
  for (const page of [pageA, pageB]) {
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="food"]').length === 0 &&
      Number(document.querySelector('[data-testid="eaten-count"]').textContent) >= 2,
    null, { timeout: 40_000 });
  }
});

// The new server runs without lifespan: the tank must not depend on it.
test("the pages reconnect when the server comes back", { timeout: TEST_TIMEOUT }, async () => {
  const port = server.port;
  const oldLog = server.log();
  await stopServer(server);
  for (const page of [pageA, pageB]) {
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="status"]').dataset.state !== "connected");
  }
  server = await startServer(port, ["--lifespan", "off"]);
  server.previousLog = oldLog;
  await waitForLiveTank(pageA, "page A after the restart");
  await waitForLiveTank(pageB, "page B after the restart");
  const tick = (await readTank(pageA)).tick;
  await pageA.waitForFunction((t) => Number(document.querySelector('[data-testid="tank"]').dataset.tick) > t, tick);
});

test("the server logged no application errors", { timeout: TEST_TIMEOUT }, () => {
  const log = (server.previousLog ?? "") + server.log();
  for (const line of log.split("\n")) {
    assert.ok(!/^(ERROR|CRITICAL):|crab_app tank:|Exception in ASGI application|Sanitizer|runtime error:/
                .test(line),
              `server log: ${line}`);
  }
});
