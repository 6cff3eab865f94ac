// Bring your own carrier: an Admin connects a Twilio account through the
// form (Prism serves Twilio's own API description, so the verification,
// the number list and the callback updates are checked against it), sees a
// refused field first, imports one of the account's numbers with the
// picker, sees it listed as imported, and disconnects the account through
// the Danger Zone's confirmation.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import {
  ARTIFACTS, BACKEND, assert, checkA11y, createWorkspace, eventually, fieldError, newUser, scenario, signUp, submit, toastTexts,
} from './helpers.mjs';

const MOCKS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'mocks');
const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'browser-auth-token-0123456789';
// The one number Prism's example of IncomingPhoneNumbers lists.
const NUMBER = '+1 808 925 5327';

/** A free loopback port. */
const freePort = () => new Promise((resolve, reject) => {
  const srv = createServer();
  srv.once('error', reject);
  srv.listen(0, '127.0.0.1', () => {
    const { port } = srv.address();
    srv.close(() => resolve(port));
  });
});

/**
 * Prism on Twilio's numbers subset, with its request bodies' URL fields
 * also taking "" (how Twilio clears a callback URL), as
 * crates/providers/tests/support/prism.rs prepares it for the Rust tests.
 */
async function startTwilioMock() {
  const spec = JSON.parse(readFileSync(path.join(MOCKS, 'twilio_api_v2010.numbers-subset.json'), 'utf8'));
  for (const item of Object.values(spec.paths)) {
    for (const op of Object.values(item)) {
      for (const media of Object.values(op?.requestBody?.content ?? {})) {
        for (const prop of Object.values(media.schema?.properties ?? {})) {
          if (prop.format === 'uri') {
            delete prop.format;
            prop.pattern = '^$|^https?://';
          }
        }
      }
    }
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-twilio-mock-'));
  const file = path.join(dir, 'twilio.json');
  writeFileSync(file, JSON.stringify(spec));
  const port = await freePort();
  const logFile = path.join(ARTIFACTS, `prism-${BACKEND}-byoc.log`);
  const log = [];
  const child = spawn(path.join(MOCKS, 'node_modules', '.bin', 'prism'), ['mock', '-h', '127.0.0.1', '-p', String(port), file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (c) => log.push(c.toString()));
  child.stderr.on('data', (c) => log.push(c.toString()));
  const base = `http://127.0.0.1:${port}`;
  await eventually(async () => {
    const res = await fetch(`${base}/2010-04-01/Accounts/${SID}.json`, {
      headers: { authorization: `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}` },
    });
    assert.equal(res.status, 200);
  }, { timeout: 120_000, interval: 250 });
  after(() => {
    child.kill('SIGKILL');
    writeFileSync(logFile, log.join(''));
  });
  return { base, log };
}

const mock = await startTwilioMock();
const s = scenario('byoc', { env: { SWITCHBOARD_TWILIO_API_BASE: mock.base } });
const ada = newUser('ada');

s.step('an Admin opens Bring your own carrier and picks Twilio', async ({ page }) => {
  await page.goto('/signup');
  await signUp(page, ada);
  await createWorkspace(page, 'Acme Voice');
  await page.goto('/settings/phone-numbers/carriers');
  await page.getByRole('heading', { name: 'Bring your own carrier', level: 1 }).waitFor();
  await checkA11y(page, { label: 'no accounts' });
  await page.getByText('No carrier account connected yet').waitFor();
  await page.getByRole('link', { name: 'Connect Twilio' }).click();
  await page.waitForURL((u) => u.pathname === '/settings/phone-numbers/carriers/connect/twilio');
  await checkA11y(page, { label: 'connect form' });
});

s.step('a malformed Account SID is refused by its field and the secret is not echoed', async ({ page }) => {
  await page.getByLabel('Account SID').fill('AC123');
  await page.getByLabel('Auth Token').fill(TOKEN);
  const resp = await submit(page, page.getByRole('button', { name: 'Connect Twilio' }));
  assert.equal(resp.status(), 422);
  await checkA11y(page, { label: 'refused form' });
  assert.match(await fieldError(page.getByLabel('Account SID')), /AC followed by 32/);
  assert.equal(await page.getByLabel('Auth Token').inputValue(), '', 'the token is not sent back');
  assert.ok(!(await page.content()).includes(TOKEN));
});

s.step('the account is verified at Twilio, connected, and its numbers are listed', async ({ page }) => {
  await page.getByLabel('Account SID').fill(SID);
  await page.getByLabel('Auth Token').fill(TOKEN);
  await submit(page, page.getByRole('button', { name: 'Connect Twilio' }));
  await page.waitForURL((u) => /^\/settings\/phone-numbers\/carriers\/cac_/.test(u.pathname));
  await checkA11y(page, { label: 'account page' });
  await eventually(async () => assert.ok((await toastTexts(page, 'status')).some((t) => /connected/.test(t))));
  await page.getByText('Connected', { exact: true }).first().waitFor();
  const row = page.locator('table tbody tr').filter({ hasText: NUMBER });
  await row.waitFor();
  assert.match(await row.textContent(), /Not imported/);
  assert.ok(!(await page.content()).includes(TOKEN), 'the token is never shown');
});

s.step('the Admin imports the number with the picker and sees it imported', async ({ page }) => {
  await page.getByLabel(`Import ${NUMBER}`).check();
  await submit(page, page.getByRole('button', { name: 'Import selected' }));
  await checkA11y(page, { label: 'import results' });
  const results = page.getByRole('status').filter({ hasText: 'Import results' });
  await results.getByText(`${NUMBER}: Imported`).waitFor();
  const row = page.locator('table tbody tr').filter({ hasText: NUMBER });
  await row.getByRole('link', { name: 'Imported here' }).waitFor();
  await page.getByRole('region', { name: 'Imported numbers' }).getByText(NUMBER).waitFor();
  assert.ok(mock.log.join('').includes('IncomingPhoneNumbers/PN'), 'the callbacks were pointed at Switchboard at Twilio');

  await page.goto('/settings/phone-numbers/carriers');
  await checkA11y(page, { label: 'one account' });
  const account = page.locator('table tbody tr').filter({ hasText: 'Twilio' });
  assert.equal((await account.locator('td.num').textContent()).trim(), '1');
});

s.step('disconnecting asks first, then marks the account disconnected', async ({ page }) => {
  await page.locator('table tbody tr').filter({ hasText: 'Twilio' }).getByRole('link').first().click();
  await page.waitForURL((u) => /^\/settings\/phone-numbers\/carriers\/cac_/.test(u.pathname));
  await checkA11y(page, { label: 'before disconnect' });
  await page.getByRole('button', { name: 'Disconnect account' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await checkA11y(page, { label: 'confirm dialog' });
  await submit(page, dialog.getByRole('button', { name: 'Disconnect account' }));
  await page.waitForURL((u) => /^\/settings\/phone-numbers\/carriers\/cac_/.test(u.pathname));
  await checkA11y(page, { label: 'disconnected' });
  await page.getByText('Disconnected', { exact: true }).first().waitFor();
  assert.equal(await page.getByRole('button', { name: 'Disconnect account' }).count(), 0);
  assert.equal(await page.getByText('Callbacks not reset').count(), 0, 'the reset went through at Twilio');
});
