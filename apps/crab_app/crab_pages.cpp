#include "crab_app/crab_pages.hpp"

namespace apps::crab {

std::string_view home_page() {
  // A raw string literal keeps the HTML readable. Everything is inline, so the page works
  // offline and costs exactly one request.
  static constexpr std::string_view page = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Crab Club</title>
<style>
  :root { --shell: #e4572e; --sand: #fdf6e3; --sea: #0b4f6c; --ink: #1d1d1f; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 17px/1.6 system-ui, -apple-system, "Segoe UI", sans-serif;
         color: var(--ink); background: var(--sand); }
  header { background: linear-gradient(160deg, var(--sea), #1b998b); color: white;
           padding: 3rem 1.5rem 4rem; text-align: center; }
  header h1 { margin: 0; font-size: 2.6rem; letter-spacing: .02em; }
  header p { margin: .5rem 0 0; opacity: .9; }
  .crab { font-size: 3.5rem; display: inline-block; animation: scuttle 3s ease-in-out infinite; }
  @keyframes scuttle { 0%, 100% { transform: translateX(-1.5rem); }
                       50% { transform: translateX(1.5rem); } }
  main { max-width: 46rem; margin: -2.5rem auto 2rem; padding: 0 1rem; }
  .card { background: white; border-radius: 14px; padding: 1.25rem 1.5rem; margin-bottom: 1rem;
          box-shadow: 0 4px 18px rgba(11, 79, 108, .12); }
  .card h2 { margin: 0 0 .4rem; font-size: 1.2rem; color: var(--shell); }
  code { background: #f1ece0; padding: .1em .35em; border-radius: 5px; font-size: .92em; }
  a { color: var(--sea); font-weight: 600; }
  footer { text-align: center; color: #777; font-size: .9rem; padding-bottom: 2rem; }
</style>
</head>
<body>
<header>
  <div class="crab" aria-hidden="true">&#x1F980;</div>
  <h1>Crab Club</h1>
  <p>A tiny fan site for ten-legged friends, served by a C++ ASGI app.</p>
</header>
<main>
  <section class="card">
    <h2>Meet the crabs</h2>
    <p>Browse the club roster at <a href="/crabs">/crabs</a>, or look one up by id, such as
       <a href="/crabs/1">/crabs/1</a>. Join in by posting JSON:</p>
    <p><code>curl -X POST localhost:8000/crabs -H 'content-type: application/json'
       -d '{"name": "Pinchy", "species": "Carcinus maenas"}'</code></p>
  </section>
  <section class="card">
    <h2>Live: <a href="/tank">the crab tank</a></h2>
    <p>Watch the club's crabs scuttle around a shared tank in real time, and click to drop food:
       everyone watching sees the same crabs and the same food, pushed over a WebSocket
       (<code>/ws/tank</code>) ten times a second.</p>
  </section>
  <section class="card">
    <h2>Patience, crab-style: <a href="/slow?seconds=1">/slow</a></h2>
    <p>Waits <code>?seconds=S</code> on a timer without blocking the event loop: a hundred
       one-second requests at once still finish in about one second.</p>
  </section>
  <section class="card">
    <h2>Number crunching: <a href="/compute?digits=1000">/compute</a></h2>
    <p>Computes <code>?digits=N</code> digits of &pi; on a worker thread pool, so the server keeps
       answering everyone else meanwhile.</p>
  </section>
</main>
<footer>Walking sideways since the Jurassic &middot; powered by asgiserver</footer>
</body>
</html>
)html";
  return page;
}

}  // namespace apps::crab
