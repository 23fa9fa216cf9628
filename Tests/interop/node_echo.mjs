// Node 20's built-in WebSocket (undici) against an echo server.
//   node --experimental-websocket node_echo.mjs ws://127.0.0.1:PORT/path [--extensions=EXPECTED]
// Exchanges text (with Korean), binary and a 16 MiB message, then closes
// with 1000. Exits 0 on success, 1 on any mismatch, error or time-out.
// undici offers "permessage-deflate; client_max_window_bits" by itself;
// --extensions=permessage-deflate fails unless the server agreed to it
// (ws.extensions names it), --extensions= (empty) unless it agreed to none.
// wss:// URLs: trust a test CA with NODE_EXTRA_CA_CERTS=ca.pem.

const url = process.argv[2];
if (!url) {
  console.error("usage: node --experimental-websocket node_echo.mjs ws://HOST:PORT/path [--extensions=EXPECTED]");
  process.exit(2);
}
let expectedExtension = null;
for (const arg of process.argv.slice(3)) {
  if (arg.startsWith("--extensions=")) expectedExtension = arg.slice("--extensions=".length);
  else { console.error(`unknown argument: ${arg}`); process.exit(2); }
}
if (typeof WebSocket === "undefined") {
  console.error("no global WebSocket: run node with --experimental-websocket");
  process.exit(2);
}

const overall = setTimeout(() => {
  console.error("FAIL: timed out after 60 s");
  process.exit(1);
}, 60_000);

function fail(msg) {
  console.error(`FAIL: ${msg}`);
  process.exit(1);
}

const ws = new WebSocket(url);
ws.binaryType = "arraybuffer";

const inbox = [];
let waiter = null;
let closed = null;

ws.addEventListener("message", (ev) => {
  inbox.push(ev.data);
  if (waiter) { const w = waiter; waiter = null; w(); }
});
ws.addEventListener("error", (ev) => fail(`error event: ${ev.message ?? ev.type}`));
ws.addEventListener("close", (ev) => {
  closed = ev;
  if (waiter) { const w = waiter; waiter = null; w(); }
});

function next(timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    const take = () => {
      if (inbox.length) return resolve(inbox.shift());
      if (closed) return reject(new Error(`closed (${closed.code}) while waiting for a message`));
      return false;
    };
    if (take() !== false) return;
    const t = setTimeout(() => reject(new Error(`no message within ${timeoutMs} ms`)), timeoutMs);
    waiter = () => { clearTimeout(t); take(); };
  });
}

function sameBytes(a, b) {
  if (a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a), y = new Uint8Array(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

async function echoText(msg) {
  ws.send(msg);
  const got = await next();
  if (typeof got !== "string") fail(`text echoed as ${typeof got}`);
  if (got !== msg) fail(`text mismatch: sent ${msg.length} chars, got ${got.length}`);
}

async function echoBinary(buf, timeoutMs) {
  ws.send(buf);
  const got = await next(timeoutMs);
  if (!(got instanceof ArrayBuffer)) fail(`binary echoed as ${typeof got}`);
  if (!sameBytes(got, buf.buffer ?? buf)) fail(`binary mismatch (${buf.byteLength} bytes sent, ${got.byteLength} received)`);
}

await new Promise((resolve) => {
  if (ws.readyState === WebSocket.OPEN) return resolve();
  ws.addEventListener("open", resolve, { once: true });
});
console.log(`open: extensions=${JSON.stringify(ws.extensions)}`);
if (expectedExtension !== null) {
  const agreed = ws.extensions.split(",").map((e) => e.split(";")[0].trim()).filter((e) => e);
  if (expectedExtension === "" ? agreed.length !== 0 : !agreed.includes(expectedExtension)) {
    fail(`extensions ${JSON.stringify(ws.extensions)}, expected ${JSON.stringify(expectedExtension)}`);
  }
}

try {
  await echoText("hello from node");
  await echoText("안녕하세요, 상담원 연결 부탁드립니다 🙏");
  await echoText("");
  await echoText("한".repeat(70_000));

  const small = new Uint8Array(256);
  for (let i = 0; i < 256; i++) small[i] = i;
  await echoBinary(small);
  await echoBinary(new Uint8Array(0));

  const big = new Uint8Array(16 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 65536) {
    // crypto.getRandomValues takes at most 64 KiB at a time
    crypto.getRandomValues(big.subarray(i, i + 65536));
  }
  await echoBinary(big, 40_000);
  console.log("16 MiB binary echoed");

  await echoText("after the big one: 끝");
} catch (e) {
  fail(e.message);
}

ws.close(1000, "done");
await new Promise((resolve) => {
  if (closed) return resolve();
  ws.addEventListener("close", resolve, { once: true });
});
if (closed.code !== 1000) fail(`close code ${closed.code}, expected 1000`);
if (!closed.wasClean) fail("close was not clean");
clearTimeout(overall);
console.log("OK");
process.exit(0);
