// ui.mjs: drives Sluice's web UI in Debian's headless Chromium and prints
// one JSON line of what it saw. Screenshots go to --artifacts.
//
//   node ui.mjs --base http://127.0.0.1:P --stream cam --data events --artifacts DIR [--only live] [--login ID:SECRET]
//
// --login: the server has access keys. The UI must show its login form;
// a wrong secret is refused on the form; the right one logs in (the
// session cookie must be HttpOnly and SameSite=Strict); every step below
// then runs logged in; the stream page's watch link plays in a page with
// no session (its token), the watch page without it is refused; at the
// end logging out shows the form again and the API refuses the old page.
// --only live stops after the live view (and names its screenshot
// stream-live-<mode>).
//
// Steps: the streams page lists the stream as live; the stream page plays
// live video; replaying 10 s back shows that moment; exporting a 5 s range
// downloads an MP4 (saved to DIR/export.mp4); the data stream page shows a
// record put through its form. Exits 0 when it could run the steps
// (whatever they found), 2 on a setup failure.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const a = process.argv.slice(2);
const opts = {};
for (let i = 0; i < a.length; i += 2) opts[a[i].replace(/^--/, '')] = a[i + 1];
if (!opts.base || !opts.stream || !opts.data || !opts.artifacts) {
  console.error('usage: node ui.mjs --base URL --stream NAME --data NAME --artifacts DIR');
  process.exit(2);
}
const out = { errors: [] };
const profile = mkdtempSync(join(tmpdir(), 'sluice-ui-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  acceptDownloads: true,
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
});
const shot = (page, name) => page.screenshot({ path: join(opts.artifacts, name + '.png'), fullPage: true });
try {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => out.errors.push(String(e) + ' at ' + page.url() + ' ' + (e.stack || '').split('\n').slice(1, 3).join(' / ')));
  await page.setViewportSize({ width: 1280, height: 900 });

  if (opts.login) {
    const [id, secret] = opts.login.split(':');
    await page.goto(`${opts.base}/`);
    await page.locator('form#login').waitFor({ timeout: 15000 });
    await shot(page, 'login');
    await page.fill('form#login input[name=id]', id);
    await page.fill('form#login input[name=secret]', secret + '-wrong');
    await page.click('form#login button[type=submit]');
    await page.locator('form#login .error', { hasText: /wrong access key/ }).waitFor({ timeout: 10000 });
    out.loginRefused = true;
    await page.fill('form#login input[name=secret]', secret);
    await page.click('form#login button[type=submit]');
    await page.locator('header .user', { hasText: id }).waitFor({ timeout: 10000 });
    const cookie = (await ctx.cookies()).find((c) => c.name === 'sluice_session');
    out.cookie = cookie ? { httpOnly: cookie.httpOnly, sameSite: cookie.sameSite } : null;
    out.cookieVisibleToScript = await page.evaluate(() => document.cookie.includes('sluice_session'));
  }

  // Streams page: the stream is listed as live.
  await page.goto(`${opts.base}/`);
  const card = page.locator(`.card.stream[data-stream="${opts.stream}"]`);
  await card.waitFor({ timeout: 15000 });
  await page.waitForFunction((s) => document.querySelector(`.card.stream[data-stream="${s}"]`)?.dataset.live === 'true', opts.stream, { timeout: 15000 });
  out.listedLive = true;
  await shot(page, 'streams');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'streams-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  // Stream page: live video plays.
  await page.goto(`${opts.base}/ui/#/stream/${encodeURIComponent(opts.stream)}`);
  await page.waitForFunction(() => {
    const v = document.querySelector('video');
    return v && v.getVideoPlaybackQuality().totalVideoFrames > 10;
  }, null, { timeout: 30000 });
  out.liveFrames = await page.evaluate(() => document.querySelector('video').getVideoPlaybackQuality().totalVideoFrames);
  await page.waitForFunction(() => document.querySelector('#player-state').textContent.startsWith('Live'), null, { timeout: 15000 });
  out.liveMode = await page.textContent('#player-state');
  out.liveLag = await page.evaluate(() => Date.now() / 1000 - document.querySelector('video').currentTime);
  if (opts.only === 'live') {
    await shot(page, 'stream-live-' + (out.liveMode.includes('WebRTC') ? 'webrtc' : 'llhls'));
    throw new Error('stop');
  }
  await shot(page, 'stream-live');

  // Replay from 10 s back (what a click on the timeline does).
  const target = Date.now() - 10000;
  await page.evaluate((t) => { window.sluiceReplay(t); }, target);
  await page.waitForFunction((t) => {
    const v = document.querySelector('video');
    return v && !v.srcObject && v.currentTime * 1000 >= t - 3000 && v.currentTime * 1000 < t + 30000 && !v.paused;
  }, target, { timeout: 30000 });
  await page.waitForTimeout(1500);
  const r = await page.evaluate(() => ({ t: document.querySelector('video').currentTime, shown: document.querySelector('#wallclock').textContent }));
  out.replay = { target: target / 1000, currentTime: r.t, shown: r.shown };
  await shot(page, 'stream-replay');

  // Export a 5 s range as MP4.
  const from = Date.now() - 20000;
  await page.evaluate(([a, b]) => window.sluiceSelect(a, b), [from, from + 5000]);
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click('#export')]);
  await download.saveAs(join(opts.artifacts, 'export.mp4'));
  out.exportProgress = await page.evaluate(() => document.querySelector('#export-progress').value);
  out.exported = true;
  await shot(page, 'stream-export');

  // Data stream page: a record put through the form shows in the tail.
  await page.goto(`${opts.base}/ui/#/data/${encodeURIComponent(opts.data)}`);
  await page.locator('#tail').waitFor();
  await page.waitForTimeout(500); // the tail is positioned at LATEST
  await page.fill('input[name=pk]', 'ui-test');
  await page.fill('input[name=data]', 'hello from the browser');
  const put = Date.now();
  await page.click('form.inline button[type=submit]');
  await page.locator('#tail tr.record', { hasText: 'hello from the browser' }).waitFor({ timeout: 10000 });
  out.tailSeconds = (Date.now() - put) / 1000;
  await shot(page, 'datastream');
  await page.goto(`${opts.base}/ui/#/data`);
  await page.locator('#datastreams tr').nth(1).waitFor();
  await shot(page, 'datastreams');

  if (opts.login) {
    // The stream page's WebRTC watch link carries a token for this stream:
    // it plays in a page with no session at all; without the token, 401.
    await page.goto(`${opts.base}/ui/#/stream/${encodeURIComponent(opts.stream)}`);
    await page.click('#watch-link');
    await page.waitForFunction(() => window.sluiceLastPageLink, null, { timeout: 10000 });
    const link = await page.evaluate(() => window.sluiceLastPageLink);
    const session = await ctx.cookies();
    await ctx.clearCookies();
    const w = await ctx.newPage();
    await w.goto(link);
    await w.waitForFunction(() => window.sluice && window.sluice.framesDecoded > 10, null, { timeout: 20000 });
    out.watchLinkFrames = await w.evaluate(() => window.sluice.framesDecoded);
    await w.goto(`${opts.base}/watch/${encodeURIComponent(opts.stream)}`);
    await w.waitForFunction(() => window.sluice && window.sluice.error, null, { timeout: 10000 });
    out.watchWithoutToken = await w.evaluate(() => window.sluice.error);
    await w.close();
    await ctx.addCookies(session);

    await page.click('#logout');
    await page.locator('form#login').waitFor({ timeout: 10000 });
    out.loggedOut = true;
    out.afterLogout = await page.evaluate(async () => (await fetch('/api/v1/streams')).status);
  }
} catch (e) {
  if (String(e) !== 'Error: stop') out.errors.push(String(e));
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(out));
