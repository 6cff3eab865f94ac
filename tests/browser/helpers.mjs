// Shared machinery for the browser tests: the server under test, the CLI,
// Chromium through playwright-core, accessibility checks with axe-core,
// screenshots, and small waiting helpers.
//
// Environment:
//   SWITCHBOARD_BIN                path of the built `switchboard` binary (required)
//   SWITCHBOARD_TEST_POSTGRES_URL  when set, each server gets a fresh PostgreSQL
//                                  database made from this URL (else SQLite in its data dir)
//   CHROMIUM_PATH                  browser to drive (default /usr/bin/chromium)
//   HEADED=1                       show the browser (needs a display)

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.join(HERE, 'artifacts');
/** Which database the servers use: prefixes logs and failure artifacts so two runs do not overwrite each other's. */
export const BACKEND = process.env.SWITCHBOARD_TEST_POSTGRES_URL ? 'postgres' : 'sqlite';
mkdirSync(ARTIFACTS, { recursive: true });

const AXE_SOURCE = readFileSync(path.join(HERE, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/** Timeouts (ms). Generous: CI has 2 cores and a debug build. */
export const TIMEOUT = { action: 10_000, navigation: 20_000, server: 60_000, step: 120_000 };

// ---------------------------------------------------------------------------
// The server under test and its CLI

function switchboardBin() {
  const bin = process.env.SWITCHBOARD_BIN;
  if (!bin) throw new Error('SWITCHBOARD_BIN is not set: build the binary (cargo build --bin switchboard) and point SWITCHBOARD_BIN at it, or run scripts/test browser');
  if (!existsSync(bin)) throw new Error(`SWITCHBOARD_BIN=${bin} does not exist`);
  return bin;
}

function psqlBin() {
  if (process.env.PSQL) return process.env.PSQL;
  for (const p of ['/usr/lib/postgresql/15/bin/psql', '/usr/bin/psql']) if (existsSync(p)) return p;
  return 'psql';
}

function psql(url, sql) {
  const r = spawnSync(psqlBin(), [url, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql failed (${sql}): ${r.error ?? ''}${r.stderr}`);
  return r.stdout;
}

/** Makes a fresh PostgreSQL database from SWITCHBOARD_TEST_POSTGRES_URL; returns its URL, or null on SQLite. */
function createDatabase() {
  const base = process.env.SWITCHBOARD_TEST_POSTGRES_URL;
  if (!base) return null;
  const name = `sb_browser_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  psql(base, `CREATE DATABASE "${name}"`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

function dropDatabase(db) {
  if (!db) return;
  try {
    psql(process.env.SWITCHBOARD_TEST_POSTGRES_URL, `DROP DATABASE IF EXISTS "${db.name}" WITH (FORCE)`);
  } catch (e) {
    console.error(`warning: ${e.message}`);
  }
}

// Servers still running when this process ends (a failed hook, a timeout,
// SIGTERM from scripts/test) are killed and their data dirs removed.
const liveServers = new Map(); // child -> dataDir
process.on('exit', () => {
  for (const [child, dir] of liveServers) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
    try { rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
});
for (const sig of ['SIGTERM', 'SIGINT']) process.once(sig, () => process.exit(sig === 'SIGINT' ? 130 : 143));

/**
 * Starts `switchboard serve` on a free loopback port with a fresh data dir
 * (and a fresh PostgreSQL database when SWITCHBOARD_TEST_POSTGRES_URL is set).
 * Its output goes to artifacts/server-<label>.log.
 * Returns { url, dataDir, databaseUrl, logFile, stop() }.
 */
export async function startServer({ label = 'server', env = {} } = {}) {
  const bin = switchboardBin();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-browser-'));
  const db = createDatabase();
  const args = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir];
  if (db) args.push('--database-url', db.url);

  const logFile = path.join(ARTIFACTS, `server-${BACKEND}-${label}.log`);
  const log = createWriteStream(logFile);
  log.write(`$ ${bin} ${args.join(' ')}\n`);
  const child = spawn(bin, args, {
    env: { ...process.env, RUST_BACKTRACE: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveServers.set(child, dataDir);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  let captured = '';
  const url = await new Promise((resolve, reject) => {
    let done = false;
    const finish = (err, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      err ? reject(err) : resolve(value);
    };
    const timer = setTimeout(
      () => finish(new Error(`server did not print "running at http://…" on stdout within ${TIMEOUT.server} ms; output so far:\n${captured.slice(-4000)}`)),
      TIMEOUT.server,
    );
    child.stdout.on('data', (chunk) => {
      log.write(chunk);
      if (done) return;
      captured += chunk.toString();
      const m = captured.match(/running at (http:\/\/\S+)/);
      if (m) finish(null, m[1].replace(/\/+$/, ''));
    });
    child.stderr.on('data', (chunk) => {
      log.write(chunk);
      if (!done) captured += chunk.toString();
    });
    child.once('error', (e) => finish(new Error(`could not start ${bin}: ${e.message}`)));
    exited.then(({ code, signal }) =>
      finish(new Error(`server exited (code ${code}, signal ${signal}) before it was ready; output:\n${captured.slice(-4000)}`)));
  }).catch(async (e) => {
    child.kill('SIGKILL');
    await exited;
    liveServers.delete(child);
    log.end();
    await rm(dataDir, { recursive: true, force: true });
    dropDatabase(db);
    throw e;
  });

  let stopped = false;
  return {
    url,
    dataDir,
    databaseUrl: db?.url ?? null,
    logFile,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        const { code, signal } = await exited;
        clearTimeout(t);
        if (signal === 'SIGKILL') console.error(`warning: server ${label} ignored SIGTERM for 10 s and was killed`);
        else if (code !== 0 && signal !== 'SIGTERM') console.error(`warning: server ${label} exited with code ${code} on SIGTERM`);
      }
      liveServers.delete(child);
      await new Promise((r) => log.end(r));
      await rm(dataDir, { recursive: true, force: true });
      dropDatabase(db);
    },
  };
}

/** Runs the switchboard CLI against the server's data dir / database; returns stdout, throws on failure. */
export function runCli(server, args) {
  const bin = switchboardBin();
  const full = [...args, '--data-dir', server.dataDir];
  if (server.databaseUrl) full.push('--database-url', server.databaseUrl);
  const r = spawnSync(bin, full, { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`switchboard ${full.join(' ')} exited with ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return r.stdout;
}

// ---------------------------------------------------------------------------
// Chromium

/** Chromium; `args` adds command-line switches (e.g. a fake microphone). */
export async function launchBrowser({ args = [] } = {}) {
  const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`${executablePath} not found: apt-get install chromium (scripts/test does it)`);
  return chromium.launch({
    executablePath,
    headless: !process.env.HEADED,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      ...args,
    ],
  });
}

/**
 * A new browser context (its own cookies) with one page. The page is tracked:
 * JavaScript errors and CSP violations on it are collected, and so are the
 * paths it visits, so that a step can insist every visited page got checkA11y.
 */
export async function newPage(browser, baseURL) {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(TIMEOUT.action);
  context.setDefaultNavigationTimeout(TIMEOUT.navigation);
  const page = await context.newPage();
  track(page);
  return page;
}

const tracking = new WeakMap();

function track(page) {
  const t = { visited: new Set(), checked: new Set(), errors: [] };
  tracking.set(page, t);
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) t.visited.add(pathOf(frame.url()));
  });
  page.on('response', (resp) => {
    if (resp.status() >= 500) {
      t.errors.push(`HTTP ${resp.status()} from ${resp.request().method()} ${pathOf(resp.url())} (see the server log in tests/browser/artifacts/)`);
    }
  });
  page.on('pageerror', (err) => t.errors.push(`JavaScript error on ${pathOf(page.url())}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) {
      t.errors.push(`CSP violation on ${pathOf(page.url())}: ${msg.text()}`);
    }
  });
}

function pathOf(url) {
  try { return new URL(url).pathname; } catch { return url; }
}

/** Fails if the page had JS errors / CSP violations, or visited a path that never got checkA11y. */
export function assertPageHealthy(page) {
  const t = tracking.get(page);
  if (!t) return;
  const errors = t.errors.splice(0);
  assert.deepEqual(errors, [], `the page reported errors:\n${errors.join('\n')}`);
  const unchecked = [...t.visited].filter((p) => !t.checked.has(p) && p !== 'blank' && p !== 'about:blank');
  assert.deepEqual(unchecked, [], `pages visited without checkA11y(page): ${unchecked.join(', ')}`);
}

// ---------------------------------------------------------------------------
// Accessibility

if (process.env.AXE_DISABLE_RULES) console.log(`# WARNING: axe rules disabled by AXE_DISABLE_RULES: ${process.env.AXE_DISABLE_RULES}`);

/**
 * Runs axe-core on the page as it is now and fails on any violation of impact
 * serious or critical (all are printed). The app's CSP (script-src 'self')
 * blocks inline <script> tags, so axe is evaluated through the DevTools
 * protocol (page.evaluate), which CSP does not govern.
 */
export async function checkA11y(page, { label = '' } = {}) {
  await page.waitForLoadState('load');
  const hasAxe = await page.evaluate(() => typeof window.axe === 'object');
  if (!hasAxe) await page.evaluate(AXE_SOURCE);
  // For local exploration only (scripts/test never sets it): AXE_DISABLE_RULES=rule-a,rule-b
  const disabled = (process.env.AXE_DISABLE_RULES || '').split(',').map((x) => x.trim()).filter(Boolean);
  const results = await page.evaluate(async (disabled) => {
    const rules = Object.fromEntries(disabled.map((id) => [id, { enabled: false }]));
    const r = await window.axe.run(document, { resultTypes: ['violations'], rules });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary, html: n.html.slice(0, 200) })),
    }));
  }, disabled);
  const where = pathOf(page.url()) + (label ? ` (${label})` : '');
  const minor = results.filter((v) => v.impact !== 'serious' && v.impact !== 'critical');
  for (const v of minor) console.log(`# a11y note on ${where}: [${v.impact}] ${v.id}: ${v.help} (${v.nodes.length} node(s))`);
  const bad = results.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  tracking.get(page)?.checked.add(pathOf(page.url()));
  if (bad.length) {
    const text = bad.map((v) =>
      `[${v.impact}] ${v.id}: ${v.help}\n  ${v.helpUrl}\n` +
      v.nodes.map((n) => `  - ${n.target}\n    ${n.html}\n    ${(n.summary || '').replace(/\n/g, '\n    ')}`).join('\n'),
    ).join('\n');
    await screenshot(page, `a11y-${BACKEND}-${where.replace(/[^a-z0-9]+/gi, '_')}`);
    assert.fail(`accessibility violations on ${where}:\n${text}`);
  }
}

/** Chromium's own computed accessible name of the first element matching the locator. */
export async function accessibleName(locator) {
  const page = locator.page();
  const mark = `axn-${randomBytes(6).toString('hex')}`;
  await locator.first().evaluate((el, m) => el.setAttribute('data-axname', m), mark);
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: `[data-axname="${mark}"]` });
    const { nodes } = await cdp.send('Accessibility.getPartialAXTree', { nodeId, fetchRelatives: false });
    return (nodes[0]?.name?.value ?? '').replace(/\s+/g, ' ').trim();
  } finally {
    await cdp.detach().catch(() => {});
    await locator.first().evaluate((el) => el.removeAttribute('data-axname')).catch(() => {});
  }
}

// ---------------------------------------------------------------------------
// Screenshots and files

export async function screenshot(page, name) {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true }).catch((e) => console.error(`screenshot ${name} failed: ${e.message}`));
  return file;
}

async function failureArtifacts(page, name) {
  const safe = `${BACKEND}-${name}`.replace(/[^a-z0-9]+/gi, '_').slice(0, 90);
  await screenshot(page, `FAILED-${safe}`);
  const html = await page.content().catch(() => '');
  await writeFile(path.join(ARTIFACTS, `FAILED-${safe}.html`), html).catch(() => {});
  console.log(`# failure artifacts: tests/browser/artifacts/FAILED-${safe}.{png,html} (page was ${page.url()})`);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A valid RGB PNG of the given size: a diagonal two-colour split, so it is visibly an image. */
export function makePng(width = 64, height = 64, a = [0x25, 0x63, 0xeb], b = [0xf5, 0x9e, 0x0b]) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const c = x > y ? a : b;
      raw.set(c, row + 1 + x * 3);
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------------------
// Waiting

/** Retries fn (which throws while not yet true) until it passes or the timeout ends. */
export async function eventually(fn, { timeout = TIMEOUT.action, interval = 100 } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, interval));
    }
  }
}

/**
 * Performs `action` (a locator to click, or a function) that submits a form,
 * and waits for the POST's response and, when it was a navigation, the next
 * page's load. When the browser refuses to submit (constraint validation), it
 * says which fields are invalid instead of timing out silently.
 */
export async function submit(page, action) {
  const loaded = page.waitForEvent('load', { timeout: TIMEOUT.navigation }).catch(() => null);
  const response = page.waitForResponse((r) => r.request().method() !== 'GET', { timeout: TIMEOUT.navigation });
  if (typeof action === 'function') await action();
  else await action.click();
  let resp;
  try {
    resp = await response;
  } catch (e) {
    const invalid = await page.evaluate(() =>
      [...document.querySelectorAll(':invalid')]
        .filter((el) => el.matches('input, select, textarea'))
        .map((el) => `${el.labels?.[0]?.textContent.trim() || el.name}: "${el.validationMessage}"`),
    ).catch(() => []);
    if (invalid.length) throw new Error(`the browser did not submit the form; invalid fields: ${invalid.join('; ')}`);
    throw new Error(`no POST request after the action: ${e.message}`);
  }
  if (resp.request().isNavigationRequest()) await loaded;
  return resp;
}

/** Narrows a locator to visible elements (a page may also hold a closed dialog with the same fields). */
export const visible = (locator) => locator.filter({ visible: true });

/** Asserts the field shows a field error: aria-invalid="true" and an aria-describedby element of class field-error after it. */
export async function fieldError(field) {
  return eventually(async () => {
    const info = await field.evaluate((el) => {
      const ids = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
      const errs = ids.map((id) => document.getElementById(id)).filter((e) => e && e.classList.contains('field-error'));
      const err = errs[0];
      return {
        invalid: el.getAttribute('aria-invalid'),
        describedby: ids,
        text: err ? err.textContent.trim() : null,
        after: err ? Boolean(el.compareDocumentPosition(err) & Node.DOCUMENT_POSITION_FOLLOWING) : false,
        visible: err ? err.getClientRects().length > 0 : false,
      };
    });
    assert.equal(info.invalid, 'true', 'the field should have aria-invalid="true"');
    assert.ok(info.text, `the field should be aria-describedby an element of class field-error (describedby: ${JSON.stringify(info.describedby)})`);
    assert.ok(info.after, 'the field error should come right after the field');
    assert.ok(info.visible, 'the field error should be visible');
    return info.text;
  });
}

// ---------------------------------------------------------------------------
// Scenarios: one server and browser per test file, steps that run in order

/**
 * A scenario is a test file whose steps run in order against one server and
 * one browser. A step after a failed one is skipped (its cause is the failed
 * one). Each step ends by checking that every page visited so far got
 * checkA11y and that no page reported a JS error or CSP violation.
 *
 *   const s = scenario('signup');
 *   s.step('opens /', async ({ page, server }) => { ... });
 *   s.newPage() gives another signed-out browser context (another user).
 *
 * `env` adds environment variables for the server, e.g.
 * scenario('webhooks', { env: { SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
 * `browserArgs` adds Chromium switches (the voices test's fake microphone).
 */
export function scenario(name, { env = {}, browserArgs = [] } = {}) {
  const s = { server: null, browser: null, page: null, pages: [], failed: null };
  before(async () => {
    s.server = await startServer({ label: name, env });
    s.browser = await launchBrowser({ args: browserArgs });
    s.page = await s.newPage();
  }, { timeout: TIMEOUT.server + 30_000 });
  after(async () => {
    await s.browser?.close().catch(() => {});
    await s.server?.stop();
  });
  s.newPage = async () => {
    const page = await newPage(s.browser, s.server.url);
    s.pages.push(page);
    return page;
  };
  s.step = (title, fn) => {
    test(title, { timeout: TIMEOUT.step }, async (t) => {
      if (s.failed) {
        t.skip(`an earlier step failed: ${s.failed}`);
        return;
      }
      try {
        await fn({ page: s.page, server: s.server, s, t });
        for (const p of s.pages) assertPageHealthy(p);
      } catch (e) {
        s.failed = title;
        const seen = s.pages.flatMap((p) => tracking.get(p)?.errors.splice(0) ?? []);
        if (seen.length && e instanceof Error) {
          const extra = `\nMeanwhile the pages saw:\n  - ${seen.join('\n  - ')}`;
          e.message += extra;
          if (e.stack) e.stack = `${e.stack}${extra}`;
        }
        for (const [i, p] of s.pages.entries()) await failureArtifacts(p, `${name}-${title}${i ? `-page${i + 1}` : ''}`);
        throw e;
      }
    });
  };
  return s;
}

// ---------------------------------------------------------------------------
// Common user journeys

let userCounter = 0;
export function newUser(prefix = 'user') {
  userCounter += 1;
  const tag = `${Date.now().toString(36)}${userCounter}`;
  return {
    name: `${prefix[0].toUpperCase()}${prefix.slice(1)} Tester`,
    email: `${prefix}.${tag}@example.com`,
    password: `correct horse ${tag}`,
  };
}

/** Signs up on /signup and waits for /workspaces/new. */
export async function signUp(page, user) {
  if (pathOf(page.url()) !== '/signup') await page.goto('/signup');
  await checkA11y(page);
  await page.getByLabel('Name', { exact: true }).fill(user.name);
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await submit(page, page.getByRole('button', { name: 'Create account' }));
  await page.waitForURL('**/workspaces/new');
  await checkA11y(page);
}

/** Fills /workspaces/new and waits for home. */
export async function createWorkspace(page, name) {
  await page.getByLabel('Workspace Name').fill(name);
  await submit(page, page.getByRole('button', { name: 'Create workspace' }));
  await page.waitForURL((u) => u.pathname === '/');
  await currentWorkspaceIs(page, name);
  await checkA11y(page);
}

/** Signs in on /signin and waits to leave it. */
export async function signIn(page, user) {
  if (pathOf(page.url()) !== '/signin') await page.goto('/signin');
  await checkA11y(page);
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await submit(page, page.getByRole('button', { name: 'Sign in' }));
  await page.waitForURL((u) => u.pathname !== '/signin');
  await checkA11y(page);
}

/**
 * Follows the verification link emailed to `user` at sign-up (new accounts
 * create one workspace and invite nobody until verified) and waits for the
 * toast that says so.
 */
export async function verifyEmail(page, server, user) {
  const dir = path.join(server.dataDir, 'outbox');
  const link = await eventually(() => {
    let names = [];
    try { names = readdirSync(dir).filter((n) => n.endsWith('.eml')).sort(); } catch { /* not created yet */ }
    for (const name of names) {
      const raw = readFileSync(path.join(dir, name), 'utf8').replace(/=\r?\n/g, '');
      if (!raw.split(/\r?\n\r?\n/)[0].toLowerCase().includes(user.email.toLowerCase())) continue;
      const m = raw.match(/\/verify-email\/([A-Za-z0-9_-]+)/);
      if (m) return `/verify-email/${m[1]}`;
    }
    assert.fail(`no verification email to ${user.email} in ${dir}`);
  }, { timeout: 15_000, interval: 200 });
  await page.goto(link);
  await eventually(async () => {
    const texts = await toastTexts(page, 'status');
    assert.ok(texts.some((t) => t.includes('Your email address is verified.')), `toasts: ${JSON.stringify(texts)}`);
  });
  await checkA11y(page);
}

export const switcher = (page) => page.locator('details.switcher');
export const switcherSummary = (page) => page.locator('details.switcher > summary');
export const userMenu = (page) => page.locator('details.user-menu');

/** The top bar's switcher names this workspace (accessible name "Workspace: …" and visible text). */
export async function currentWorkspaceIs(page, name) {
  await eventually(async () => {
    const summary = switcherSummary(page);
    const accName = await accessibleName(summary);
    assert.match(accName, /^Workspace:/, `switcher summary's accessible name should start with "Workspace:", got "${accName}"`);
    assert.ok(accName.includes(name), `switcher should name "${name}", its accessible name is "${accName}"`);
    const text = (await summary.innerText()).replace(/\s+/g, ' ');
    assert.ok(text.includes(name), `switcher should show "${name}", shows "${text}"`);
  });
}

export async function openSwitcher(page) {
  const d = switcher(page);
  if (!(await d.evaluate((el) => el.open))) await switcherSummary(page).click();
  await eventually(async () => assert.ok(await d.evaluate((el) => el.open), 'switcher should be open'));
  return d;
}

export async function switchTo(page, name) {
  const d = await openSwitcher(page);
  await submit(page, d.getByRole('button', { name }));
  await currentWorkspaceIs(page, name);
}

export async function openUserMenu(page) {
  const d = userMenu(page);
  if (!(await d.evaluate((el) => el.open))) await d.locator(':scope > summary').click();
  await eventually(async () => assert.ok(await d.evaluate((el) => el.open), 'user menu should be open'));
  return d;
}

/** The current toasts with the given role ("status" or "alert"), as text. */
export async function toastTexts(page, role) {
  return page.locator(`.toasts [role="${role}"], .toasts[role="${role}"]`).allInnerTexts();
}

export { assert };
