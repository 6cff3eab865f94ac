// Two-factor sign-in as a person sets it up: from the Profile dialog to the
// set-up page, codes computed here from the secret the page shows (RFC 6238
// written out with node's crypto), the recovery codes shown once, then sign
// out and back in with the password and a fresh code. Then the password is
// forgotten: reset from the emailed link, and signing in with the new one
// still asks for (and takes) a code.
import { createHmac } from 'node:crypto';

import {
  assert, checkA11y, createWorkspace, currentWorkspaceIs, eventually, newUser, openUserMenu, scenario,
  screenshot, signUp, submit,
} from './helpers.mjs';
import { waitForEmail } from './outbox.mjs';

const s = scenario('two_factor');
const user = newUser('tess');

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    const i = alphabet.indexOf(c);
    assert.ok(i >= 0, `"${c}" is not base32`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** RFC 6238: HMAC-SHA-1 over the 30-second step, dynamic truncation, six digits. */
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const hash = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = hash[hash.length - 1] & 0xf;
  const bin = hash.readUInt32BE(offset) & 0x7fffffff;
  return String(bin % 1_000_000).padStart(6, '0');
}

const stepNow = () => Math.floor(Date.now() / 1000 / 30);

assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', Math.floor(59 / 30)), '287082', 'RFC 6238 test vector');

let secret = '';
let usedStep = 0;

s.step('signs up with a workspace', async ({ page }) => {
  await page.goto('/signup');
  await signUp(page, user);
  await createWorkspace(page, 'Acme Voice');
});

s.step('the Profile dialog leads to two-factor set-up, confirmed with a computed code', async ({ page }) => {
  const menu = await openUserMenu(page);
  await menu.getByRole('button', { name: 'Profile', exact: true }).click();
  const dialog = page.locator('dialog[open]');
  await dialog.waitFor({ state: 'visible' });
  await checkA11y(page, { label: 'profile dialog' });
  await dialog.getByRole('link', { name: 'Two-factor sign-in' }).click();
  await page.waitForURL((u) => u.pathname === '/profile/two-factor');
  await checkA11y(page);
  assert.ok(await page.getByRole('img', { name: /QR code/ }).isVisible(), 'the QR code is shown');
  secret = (await page.locator('#totp-secret').innerText()).trim();
  assert.match(secret, /^[A-Z2-7]{32}$/, 'a 160-bit base32 key is shown');
  await page.getByText('Show the setup link').click();
  const uri = (await page.locator('#totp-uri').innerText()).trim();
  assert.ok(uri.startsWith('otpauth://totp/Switchboard:') && uri.includes(`secret=${secret}`), uri);
  await screenshot(page, 'two-factor-setup');

  usedStep = stepNow();
  await page.getByLabel('Code from the app').fill(totp(secret, usedStep));
  await submit(page, page.getByRole('button', { name: 'Turn on two-factor sign-in' }));
  await checkA11y(page);
  const codes = await page.locator('#recovery-codes code').allInnerTexts();
  assert.equal(codes.length, 10, `ten recovery codes: ${JSON.stringify(codes)}`);
  assert.ok(codes.every((c) => /^[a-z0-9]{5}-[a-z0-9]{5}$/.test(c)), JSON.stringify(codes));
  await screenshot(page, 'two-factor-recovery-codes');
});

s.step('signs out, then in with the password and a fresh code', async ({ page }) => {
  await page.goto('/');
  const menu = await openUserMenu(page);
  await submit(page, menu.getByRole('button', { name: 'Sign out' }));
  await page.waitForURL((u) => u.pathname === '/signin');
  await checkA11y(page);
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await submit(page, page.getByRole('button', { name: 'Sign in' }));
  await page.waitForURL((u) => u.pathname === '/signin/two-factor');
  await checkA11y(page);
  // A code is accepted once: wait for the step after the one set-up used.
  await eventually(() => assert.ok(stepNow() > usedStep, 'waiting for the next 30-second step'), { timeout: 35_000, interval: 250 });
  usedStep = stepNow();
  await page.getByLabel('Authentication code').fill(totp(secret, usedStep));
  await submit(page, page.getByRole('button', { name: 'Verify and sign in' }));
  await page.waitForURL((u) => u.pathname === '/');
  await currentWorkspaceIs(page, 'Acme Voice');
  await checkA11y(page);
});

s.step('resets a forgotten password from the emailed link, then signs in with it and a code', async ({ page, server }) => {
  const menu = await openUserMenu(page);
  await submit(page, menu.getByRole('button', { name: 'Sign out' }));
  await page.waitForURL((u) => u.pathname === '/signin');
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await page.waitForURL((u) => u.pathname === '/password/forgot');
  await checkA11y(page);
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await submit(page, page.getByRole('button', { name: 'Send reset link' }));
  await checkA11y(page);
  const mail = await waitForEmail(server, { to: user.email, pattern: /(https?:\/\/[^\s"<>]+?\/password\/reset\/[A-Za-z0-9_-]+)/ });
  await page.goto(mail.match[1]);
  await checkA11y(page);
  const newPassword = `${user.password} renewed`;
  await page.getByLabel('New password').fill(newPassword);
  await submit(page, page.getByRole('button', { name: 'Set new password' }));
  await page.waitForURL((u) => u.pathname === '/signin');
  await checkA11y(page);

  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(newPassword);
  await submit(page, page.getByRole('button', { name: 'Sign in' }));
  // A reset proves the mailbox, not the second factor: the code is still asked for.
  await page.waitForURL((u) => u.pathname === '/signin/two-factor');
  await checkA11y(page);
  await eventually(() => assert.ok(stepNow() > usedStep, 'waiting for the next 30-second step'), { timeout: 35_000, interval: 250 });
  await page.getByLabel('Authentication code').fill(totp(secret, stepNow()));
  await submit(page, page.getByRole('button', { name: 'Verify and sign in' }));
  await page.waitForURL((u) => u.pathname === '/');
  await currentWorkspaceIs(page, 'Acme Voice');
  await checkA11y(page);
});
