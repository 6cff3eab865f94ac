// A forgotten password, as a person resets it: "Forgot password?" on the
// sign-in page, the address, the link in the email, a new password; every
// session of the account ends, and the new password signs in. Then the
// Profile Modal's session list: this session marked, the others signed out.
import {
  assert, checkA11y, newUser, scenario, signIn, signUp, submit, toastTexts,
} from './helpers.mjs';
import { waitForEmail } from './outbox.mjs';

const s = scenario('password_reset');
const user = newUser('forgetful');
const newPassword = `a new passphrase ${Date.now().toString(36)}`;
let otherPage; // the account's other session, started before the reset
let resetLink;

s.step('a person with an account and two sessions', async ({ page }) => {
  await signUp(page, user);
  otherPage = await s.newPage();
  await signIn(otherPage, user);
});

s.step('asks for a reset link from the sign-in page', async () => {
  const page = await s.newPage();
  await page.goto('/signin');
  await checkA11y(page);
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await page.waitForURL('**/password/forgot');
  await checkA11y(page);
  await page.getByLabel('Email', { exact: true }).fill(user.email.toUpperCase());
  await submit(page, page.getByRole('button', { name: 'Send reset link' }));
  await checkA11y(page);
  const status = await page.getByRole('status').filter({ hasText: 'If an account uses that address' }).count();
  assert.equal(status, 1, 'the page says a link is on its way (if the account exists)');
});

s.step('opens the link in the email and sets a new password', async ({ server }) => {
  const mail = await waitForEmail(server, { to: user.email, pattern: /(https?:\/\/[^\s"<>]+?\/password\/reset\/[A-Za-z0-9_-]+)/ });
  assert.match(mail.text, /Reset your Switchboard password/);
  resetLink = mail.match[1];
  const page = await s.newPage();
  await page.goto(resetLink);
  await checkA11y(page);
  // Too short first: the field says why.
  await page.getByLabel('New password').fill('short');
  await submit(page, page.getByRole('button', { name: 'Set new password' }));
  await checkA11y(page);
  assert.match(await page.locator('.field-error').innerText(), /at least 10 characters/);
  await page.getByLabel('New password').fill(newPassword);
  await submit(page, page.getByRole('button', { name: 'Set new password' }));
  await page.waitForURL('**/signin');
  await checkA11y(page);
  const toasts = await toastTexts(page, 'status');
  assert.ok(toasts.some((t) => /Sign in with the new password/.test(t)), `toasts: ${JSON.stringify(toasts)}`);
  // The link works once.
  await page.goto(resetLink);
  await checkA11y(page);
  assert.equal(await page.getByRole('alert').filter({ hasText: 'invalid or has expired' }).count(), 1);
});

s.step('every earlier session has ended', async ({ page }) => {
  for (const p of [page, otherPage]) {
    await p.goto('/profile');
    await p.waitForURL((u) => u.pathname === '/signin');
    await checkA11y(p);
  }
});

s.step('the new password signs in; the old one does not', async ({ page }) => {
  await page.goto('/signin');
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await submit(page, page.getByRole('button', { name: 'Sign in' }));
  await checkA11y(page);
  assert.equal(new URL(page.url()).pathname, '/signin', 'the old password is refused');
  await signIn(page, { ...user, password: newPassword });
  await signIn(otherPage, { ...user, password: newPassword });
});

s.step('the Profile page lists both sessions and signs out the other one', async ({ page }) => {
  await page.goto('/profile');
  await checkA11y(page);
  const rows = page.locator('main .session-row');
  assert.equal(await rows.count(), 2);
  assert.equal(await rows.filter({ hasText: 'This session' }).count(), 1);
  await submit(page, page.locator('main').getByRole('button', { name: 'Sign out of all other sessions' }));
  await checkA11y(page);
  assert.equal(await page.locator('main .session-row').count(), 1);
  await otherPage.goto('/profile');
  await otherPage.waitForURL((u) => u.pathname === '/signin');
  await checkA11y(otherPage);
});
