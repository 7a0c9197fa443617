// chromium.mjs: Debian's headless Chromium (never downloaded) through
// playwright-core, with a throwaway profile: the scripts' shared launcher.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const baseArgs = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

// withChromium runs fn(page) in a fresh browser ($CHROMIUM or
// /usr/bin/chromium, with extraArgs), then closes it and removes its
// profile, whatever happened.
export async function withChromium(extraArgs, fn) {
  const profile = mkdtempSync(join(tmpdir(), 'sluice-chromium-'));
  let ctx;
  try {
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: [...baseArgs, ...extraArgs],
    });
    const page = ctx.pages()[0] || await ctx.newPage();
    return await fn(page);
  } finally {
    if (ctx) await ctx.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}
