// page.mjs: opens one of Sluice's WebRTC pages (/publish/<stream> or
// /watch/<stream>) in Debian's headless Chromium with a fake camera and
// microphone, samples the page's window.sluice state for a while, stops
// the page's session, and prints one JSON line:
//
//   node page.mjs --modules DIR --url URL [--seconds 15]
//
// {"samples":[{"t":ms, ...window.sluice}],"final":{...},"errors":[...]}
//
// DIR is a node_modules folder holding playwright-core (the project's
// web/browsertest/node_modules). The browser is never downloaded:
// /usr/bin/chromium (or $CHROMIUM) is launched. Exit 0 when the page
// could be observed (whatever it did), 2 on a setup failure.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const opts = { seconds: 15 };
const argv = process.argv.slice(2);
for (let i = 0; i + 1 < argv.length; i += 2) opts[argv[i].replace(/^--/, '')] = argv[i + 1];
if (!opts.modules || !opts.url) {
  console.error('usage: node page.mjs --modules NODE_MODULES --url PAGE_URL [--seconds N]');
  process.exit(2);
}
const seconds = Math.min(Math.max(Number(opts.seconds) || 15, 1), 120);
const { chromium } = createRequire(join(resolve(opts.modules), 'noop.js'))('playwright-core');

const profile = mkdtempSync(join(tmpdir(), 'sluice-webrtc-'));
const watchdog = setTimeout(() => { console.error('page.mjs: watchdog'); process.exit(2); }, (seconds + 60) * 1000);
let ctx;
try {
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
      '--autoplay-policy=no-user-gesture-required'],
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  await page.goto(opts.url, { waitUntil: 'load', timeout: 15000 });
  const samples = [];
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    await page.waitForTimeout(500);
    samples.push({ t: Date.now() - t0, ...(await page.evaluate(() => ({ ...window.sluice }))) });
  }
  const final = await page.evaluate(() => ({ ...window.sluice }));
  await page.evaluate(() => window.sluiceStop && window.sluiceStop()).catch(e => errors.push('stop: ' + e));
  console.log(JSON.stringify({ samples, final, errors }));
} catch (e) {
  console.error('page.mjs: ' + (e && e.stack || e));
  process.exitCode = 2;
} finally {
  clearTimeout(watchdog);
  if (ctx) await ctx.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
