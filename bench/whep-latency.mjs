// whep-latency.mjs: glass-to-glass latency of WHEP in headless Chromium.
// The stream must carry the wall-clock stamp that ../shared/bench's
// hls-latency.sh publisher paints (32 bits of ms, 20x16 px blocks, top
// rows of a frame at least 640 px wide; webrtc.sh publishes it). For each
// of several fresh viewer sessions of Sluice's /watch page it records
// the time from the POST to the first decoded picture, then, for every
// frame Chromium presents (requestVideoFrameCallback), expectedDisplayTime
// minus the stamp read back from a canvas.
//
//   node bench/whep-latency.mjs --modules NODE_MODULES --url http://127.0.0.1:P/watch/STREAM \
//        [--sessions 5] [--seconds 10] [--warmup 3] [--out FILE.json]
//
// Prints a one-line summary; --out gets every sample. Loopback only; the
// browser is /usr/bin/chromium (or $CHROMIUM), never downloaded.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const o = { sessions: 5, seconds: 10, warmup: 3 };
const a = process.argv.slice(2);
for (let i = 0; i + 1 < a.length; i += 2) o[a[i].replace(/^--/, '')] = a[i + 1];
if (!o.modules || !o.url) { console.error('usage: whep-latency.mjs --modules DIR --url WATCH_URL [...]'); process.exit(2); }
const u = new URL(o.url);
if (!['127.0.0.1', 'localhost'].includes(u.hostname)) { console.error('loopback URLs only'); process.exit(2); }
const sessions = Math.min(Math.max(+o.sessions, 1), 20), seconds = Math.min(Math.max(+o.seconds, 1), 120), warmup = Math.min(+o.warmup, 30);
const { chromium } = createRequire(join(resolve(o.modules), 'noop.js'))('playwright-core');
const pct = (arr, p) => { const z = [...arr].sort((x, y) => x - y); return z.length ? z[Math.min(z.length - 1, Math.floor(p / 100 * (z.length - 1) + 0.5))] : NaN; };

const profile = mkdtempSync(join(tmpdir(), 'whep-lat-'));
const watchdog = setTimeout(() => { console.error('watchdog'); process.exit(1); }, sessions * (seconds + warmup + 40) * 1000);
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--autoplay-policy=no-user-gesture-required',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const runs = [];
try {
  for (let s = 0; s < sessions; s++) {
    const page = await ctx.newPage();
    await page.goto(o.url, { waitUntil: 'load' });
    await page.waitForFunction(() => window.sluice && window.sluice.firstFrameMs != null, null, { timeout: 20000 });
    const first = await page.evaluate(() => window.sluice.firstFrameMs);
    await page.waitForTimeout(warmup * 1000);
    await page.evaluate(() => {
      const v = document.getElementById('video');
      const c = document.createElement('canvas');
      c.width = 640; c.height = 16;
      const g = c.getContext('2d', { willReadFrequently: true });
      const stamp = () => {
        g.drawImage(v, 0, 0, 640, 16, 0, 0, 640, 16);
        const d = g.getImageData(0, 0, 640, 16).data;
        let val = 0;
        for (let k = 0; k < 32; k++) {
          let sum = 0, n = 0;
          for (let y = 4; y < 12; y++) for (let x = k * 20 + 6; x < k * 20 + 14; x++) {
            const i = (y * 640 + x) * 4; sum += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2]; n++;
          }
          if (sum / n > 128) val += 2 ** k;
        }
        return val;
      };
      window.lat = [];
      const onFrame = (now, md) => {
        const shown = performance.timeOrigin + md.expectedDisplayTime, M = 2 ** 32;
        const cap = Math.floor(shown) - ((Math.floor(shown) - stamp()) % M + M) % M;
        window.lat.push(shown - cap);
        v.requestVideoFrameCallback(onFrame);
      };
      v.requestVideoFrameCallback(onFrame);
    });
    await page.waitForTimeout(seconds * 1000);
    const r = await page.evaluate(() => ({ lat: window.lat, st: { ...window.sluice } }));
    await page.evaluate(() => window.sluiceStop && window.sluiceStop()).catch(() => {});
    await page.close();
    const lat = r.lat.filter(x => x > -50 && x < 60000);
    runs.push({ first, p50: pct(lat, 50), p95: pct(lat, 95), frames: r.lat.length, decoded_ok: lat.length,
      size: `${r.st.width}x${r.st.height}`, jitterBufferMs: r.st.jitterBufferMs, samples: lat });
  }
} finally {
  clearTimeout(watchdog);
  await ctx.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
const all = runs.flatMap(r => r.samples);
const firsts = runs.map(r => r.first);
const summary = {
  sessions: runs.length, frames: all.length,
  latency_ms_p50: Math.round(pct(all, 50)), latency_ms_p95: Math.round(pct(all, 95)),
  per_session_p50: runs.map(r => Math.round(r.p50)),
  first_frame_ms_p50: Math.round(pct(firsts, 50)), first_frame_ms_max: Math.round(Math.max(...firsts)),
  first_frame_ms: firsts.map(Math.round),
  size: runs[0] && runs[0].size, jitter_buffer_ms: runs.map(r => Math.round(r.jitterBufferMs || 0)),
};
if (o.out) writeFileSync(o.out, JSON.stringify({ summary, runs }, null, 1));
console.log(JSON.stringify(summary));
