// kinesis.mjs: opens kinesis.html (served by the caller beside kinesis.js)
// in Debian's headless Chromium and prints, as one JSON line, what the
// AWS SDK's browser build did against a Kinesis endpoint of another
// origin:
//
//   node kinesis.mjs --page http://127.0.0.1:P/kinesis.html --endpoint URL --stream NAME
//
// Exits 0 when the page reported (whatever happened), 2 on a setup failure.
import { withChromium } from './chromium.mjs';

const a = process.argv.slice(2);
const opts = {};
for (let i = 0; i < a.length; i += 2) opts[a[i].replace(/^--/, '')] = a[i + 1];
if (!opts.page || !opts.endpoint || !opts.stream) {
  console.error('usage: node kinesis.mjs --page PAGE_URL --endpoint URL --stream NAME');
  process.exit(2);
}
try {
  await withChromium([], async page => {
    const consoleErrors = [];
    page.on('console', m => { if (m.type() === 'error' && consoleErrors.length < 20) consoleErrors.push(m.text().slice(0, 300)); });
    page.on('pageerror', e => consoleErrors.push(String(e).slice(0, 300)));
    const url = opts.page + '?endpoint=' + encodeURIComponent(opts.endpoint) + '&stream=' + encodeURIComponent(opts.stream);
    await page.goto(url, { waitUntil: 'load', timeout: 15000 });
    await page.waitForFunction(() => window.result !== null, null, { timeout: 30000 });
    const result = await page.evaluate(() => window.result);
    result.console = consoleErrors;
    console.log(JSON.stringify(result));
  });
} catch (e) {
  console.error('kinesis.mjs: ' + e);
  process.exitCode = 2;
}
