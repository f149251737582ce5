// An open-loop load generator: GET `url` at a fixed arrival rate, one request every 1/rate s,
// whether or not earlier ones have answered, and each latency counted from the moment its request
// was due (so a stalled server or generator shows up in the figures instead of hiding them).
// autocannon's `-R` is not that: each connection sends its share of a second back to back at
// the start of every second, so "200 rps" over 20 connections is a burst 20 deep each second.
// Run as its own process; prints one JSON line.
// Plain JavaScript, so the generator pays no TypeScript loader in its own CPU figure.
//   node bench/support/paced-load.mjs <url> <rate> <seconds> [header=value]...
import { Agent, get } from "node:http";

const [url, rateArg, secondsArg, ...headerArgs] = process.argv.slice(2);
if (!url || !rateArg || !secondsArg) throw new Error("usage: paced-load.mjs <url> <rate> <seconds> [header=value]...");
const rate = Number(rateArg);
const total = Math.round(rate * Number(secondsArg));
const interval = 1000 / rate;
const headers = Object.fromEntries(headerArgs.map((h) => [h.slice(0, h.indexOf("=")), h.slice(h.indexOf("=") + 1)]));
// Enough sockets that the generator never queues behind itself at these rates.
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** @type {number[]} */
const latencies = [];
let non2xx = 0;
let errors = 0;
let finished = 0;
const started = performance.now() + 20;
/** @param {number} i */
const dueAt = (i) => started + i * interval;

/** @param {number} i @param {() => void} done */
function send(i, done) {
  const due = dueAt(i);
  const request = get(String(url), { agent, headers, timeout: 10_000 }, (res) => {
    if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) non2xx++;
    res.resume();
    res.on("end", () => {
      latencies.push(performance.now() - due);
      done();
    });
  });
  request.on("timeout", () => request.destroy(new Error("timeout")));
  request.on("error", () => {
    errors++;
    done();
  });
}

await new Promise((allDone) => {
  let next = 0;
  const done = () => {
    if (++finished === total) allDone();
  };
  const tick = () => {
    while (next < total && performance.now() >= dueAt(next)) send(next++, done);
    if (next < total) setTimeout(tick, Math.max(0, dueAt(next) - performance.now() - 0.5));
  };
  tick();
});
const elapsed = (performance.now() - started) / 1000;
agent.destroy();
latencies.sort((a, b) => a - b);
/** @param {number} ms */
const round = (ms) => Math.round(ms * 10) / 10;
/** @param {number} p */
const at = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? 0;
console.log(
  JSON.stringify({
    served: latencies.length,
    rps: latencies.length / elapsed,
    p50: round(at(50)),
    p99: round(at(99)),
    non2xx,
    errors,
  }),
);
