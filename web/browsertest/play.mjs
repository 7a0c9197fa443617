// play.mjs: plays an HLS URL with hls.js in Debian's headless Chromium and
// prints, as one JSON line, how playback went:
//
//   node play.mjs --page http://127.0.0.1:P/page.html --src URL [--seconds 10] [--debug 1]
//
// {"samples":[{"t":ms,"currentTime":s,"frames":n}],"currentTime":s,
//  "totalVideoFrames":n,"errors":[...],"fatal":bool,"levels":n}
//
// The page (page.html, served by the caller beside node_modules/) loads
// hls.js; the browser is never downloaded: /usr/bin/chromium (or
// $CHROMIUM) is launched through playwright-core. Exits 0 when it could
// observe playback (whatever happened to it), 2 on a setup failure.
import { withChromium } from './chromium.mjs';

function args() {
  const out = { seconds: 10 };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i += 2) {
    const k = a[i].replace(/^--/, '');
    out[k] = a[i + 1];
  }
  if (!out.page || !out.src) {
    console.error('usage: node play.mjs --page PAGE_URL --src HLS_URL [--seconds N]');
    process.exit(2);
  }
  out.seconds = Math.min(Math.max(Number(out.seconds) || 10, 1), 120);
  return out;
}

const opts = args();
try {
  await withChromium(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    '--autoplay-policy=no-user-gesture-required'], async page => {
    const consoleErrors = [];
    page.on('pageerror', e => consoleErrors.push(String(e)));
    const consoleLog = [];
    if (opts.debug === '1') page.on('console', m => { if (consoleLog.length < 400) consoleLog.push(m.text().slice(0, 300)); });
    const url = opts.page + (opts.page.includes('?') ? '&' : '?') + 'src=' + encodeURIComponent(opts.src) + (opts.debug === '1' ? '&debug=1' : '');
    await page.goto(url, { waitUntil: 'load', timeout: 15000 });
    const samples = [];
    const t0 = Date.now();
    for (let i = 0; i < opts.seconds * 4 && Date.now() - t0 < opts.seconds * 1000 + 5000; i++) {
      await page.waitForTimeout(250);
      const s = await page.evaluate(() => {
        const v = document.getElementById('v');
        const q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : { totalVideoFrames: 0 };
        return { currentTime: v.currentTime, frames: q.totalVideoFrames, fatal: window.state.fatal };
      });
      samples.push({ t: Date.now() - t0, currentTime: s.currentTime, frames: s.frames });
      if (s.fatal) break;
    }
    const end = await page.evaluate(() => {
      const v = document.getElementById('v');
      const q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : { totalVideoFrames: 0 };
      return { currentTime: v.currentTime, totalVideoFrames: q.totalVideoFrames, errors: window.state.errors,
        fatal: window.state.fatal, levels: window.state.levels, events: window.state.events,
        latency: window.hls ? window.hls.latency : null };
  });
  for (const e of consoleErrors) end.errors.push({ type: 'pageerror', details: e, fatal: true });
  end.fatal = end.fatal || consoleErrors.length > 0;
  if (opts.debug === '1') end.console = consoleLog;
  console.log(JSON.stringify({ samples, ...end }));
  });
} catch (e) {
  console.error('play.mjs: ' + (e && e.stack || e));
  process.exitCode = 2;
}
