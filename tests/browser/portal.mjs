// Test harness: starts the portal binary on a free port with a fresh data directory, and Debian's
// chromium through playwright-core. Never downloads a browser.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

const root = resolve(import.meta.dirname, '../..');
export const screenshotDir = join(import.meta.dirname, 'screenshots');

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/**
 * Starts the portal on its embedded defaults (SQLite, demo tenants) and waits until it is ready;
 * `settings` are extra BUERGERPORTAL_* environment variables.
 */
export async function startPortal(settings = {}) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'bp-browser-'));
  const baseUrl = `http://127.0.0.1:${port}`;
  const binary = process.env.PORTAL_BIN ?? join(root, 'target/debug/buergerportal');
  const env = {
    RUST_LOG: 'warn',
    // Uploads are scanned by the clamd that scripts/test starts.
    BUERGERPORTAL_VIRUS_SCAN: process.env.TEST_CLAMD ?? '',
    ...process.env,
    ...settings,
    BUERGERPORTAL_LISTEN: `127.0.0.1:${port}`,
    // The demo payment provider is reached, and returns citizens, at the portal's own address.
    BUERGERPORTAL_BASE_URL: baseUrl,
    BUERGERPORTAL_DATA_DIR: dataDir,
  };
  // Warnings and errors of the portal go to the test's output, so a failure there can be read.
  const child = spawn(binary, ['serve'], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`the portal exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${baseUrl}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    baseUrl,
    /**
     * The newest link to `path` in the mails the portal wrote to its data directory. Mails go out
     * from the portal's outbox after the page has answered, so this waits for one (at most 10 s).
     */
    async linkInMail(to, path) {
      const dir = join(dataDir, 'mail');
      for (let tries = 0; tries < 100; tries++) {
        const mails = readdirSync(dir)
          .map((name) => join(dir, name))
          .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs)
          .map((file) => readFileSync(file, 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '='))
          .filter((mail) => mail.includes(`To: ${to}`));
        const match = mails.at(-1)?.match(new RegExp(`${path}\\?token=[A-Za-z0-9_-]+`));
        if (match) return match[0];
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no ${path} link in the mails to ${to}`);
    },
    /** A backend API token of the tenant, made as an operator makes one. */
    apiToken(tenant) {
      const args = ['api-token', 'create', '--tenant', tenant, '--name', 'Browsertest'];
      return execFileSync(binary, args, { cwd: root, env, encoding: 'utf8' }).trim();
    },
    stop() {
      child.kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Chromium, asking pages for reduced motion: KERN scrolls smoothly otherwise, and a click aimed while
 * the page still glides (after a resize, say) can land beside its button.
 */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--force-prefers-reduced-motion',
    ],
  });
}

/** Violations of the WCAG 2.0, 2.1 and 2.2 A and AA rules on the current page, as readable lines. */
export async function axeViolations(page) {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'])
    .analyze();
  return result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

/** True when the page is wider than the viewport, i.e. the citizen must scroll sideways. */
export async function scrollsHorizontally(page) {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
}

export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

/** Opens a service's "Jetzt starten": continues its draft, or presses "Antrag beginnen" for a new one. */
export async function beginApplication(page, baseUrl, path) {
  await page.goto(baseUrl + path);
  if ((await page.locator('h1').textContent()) === 'Antrag beginnen') {
    await page.getByRole('button', { name: 'Antrag beginnen' }).click();
  }
}
