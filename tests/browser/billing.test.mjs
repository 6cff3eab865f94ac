// Settings → Subscription end to end, as issue 13 asks: an Admin whose
// trial has ended (the server runs with a zero-day trial, and one renewal
// pass moves the workspace to Free) saves a card, upgrades to Basic and
// sees it charged and its credits added, tops up with the succeeding
// sandbox card and sees the balance rise, then tries the declined card and
// sees a clear error with no credits added; the invoices table lists the
// charges, and one opens as a printable page without the app's chrome.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  assert, checkA11y, createWorkspace, fieldError, newUser, runCli, scenario, signUp, submit, toastTexts,
} from './helpers.mjs';

// The shipped plan table with a trial that ends at once.
const shipped = readFileSync(new URL('../../crates/app/src/subscription/default_plans.toml', import.meta.url), 'utf8');
assert.match(shipped, /^trial_days = 14$/m);
const plansFile = join(mkdtempSync(join(tmpdir(), 'sb-plans-')), 'plans.toml');
writeFileSync(plansFile, shipped.replace(/^trial_days = 14$/m, 'trial_days = 0'));

const s = scenario('billing', { env: { SWITCHBOARD_PLANS_FILE: plansFile } });
const admin = newUser('billing');

const number = (text) => Number(text.replace(/[^\d-]/g, ''));
const balance = async (page) => number(await page.locator('#credit-balance').innerText());
const topUp = (page) => page.locator('form.top-up-form');
const cardForm = (page) => page.locator('#payment-method');
let afterUpgrade;

s.step('the trial ends and the workspace is on Free', async ({ page, server }) => {
  await page.goto('/signup');
  await signUp(page, admin);
  await createWorkspace(page, 'Acme Billing');
  assert.match(runCli(server, ['subscription', 'renew']), /^1 subscription period\(s\) renewed\./m);
  await page.goto('/settings/subscription');
  await checkA11y(page);
  assert.match(await page.locator('#plan').innerText(), /Free · Monthly · \$0\.00 a month/);
});

s.step('the admin saves the succeeding card', async ({ page }) => {
  await cardForm(page).getByLabel('Card number').fill('4242 4242 4242 4242');
  await cardForm(page).getByLabel('Expiry (MM/YY)').fill('12/34');
  await cardForm(page).getByLabel('Security code (CVC)').fill('123');
  await submit(page, cardForm(page).getByRole('button', { name: 'Save card' }));
  await checkA11y(page);
  assert.equal((await page.locator('#payment-card').innerText()).trim(), 'Visa ending 4242');
});

s.step('the admin upgrades to Basic: charged at once, credits added', async ({ page }) => {
  const before = await balance(page);
  await page.getByRole('link', { name: 'Change plan to Basic (Monthly)' }).click();
  const dialog = page.getByRole('dialog', { name: 'Change to Basic (Monthly)?' });
  await dialog.waitFor();
  await checkA11y(page, { label: 'upgrade dialog' });
  const confirm = dialog.getByRole('button', { name: /^Upgrade for \$29\.00$/ });
  await submit(page, confirm);
  await checkA11y(page);
  assert.match((await toastTexts(page, 'status')).join(' '), /You are on Basic \(Monthly\) now; \$29\.00 was charged/);
  assert.match(await page.locator('#plan').innerText(), /Basic · Monthly · \$29\.00 a month/);
  afterUpgrade = await balance(page);
  assert.ok(afterUpgrade > before, `the plan's credits were added (${before} → ${afterUpgrade})`);
});

s.step('a top-up with the succeeding card raises the balance', async ({ page }) => {
  await topUp(page).getByLabel('Credits to buy', { exact: true }).fill('1000');
  await topUp(page).getByLabel('Card number').fill('4242 4242 4242 4242');
  await topUp(page).getByLabel('Expiry (MM/YY)').fill('12/34');
  await topUp(page).getByLabel('Security code').fill('123');
  // Basic's top-up price: $12.00 per 1,000 credits.
  await submit(page, topUp(page).getByRole('button', { name: 'Buy 1,000 credits for $12.00' }));
  await checkA11y(page);
  assert.match((await toastTexts(page, 'status')).join(' '), /1,000 credits added for \$12\.00/);
  assert.equal(await balance(page), afterUpgrade + 1000);
});

s.step('the declined card shows a clear error and adds no credits', async ({ page }) => {
  await topUp(page).getByLabel('Credits to buy', { exact: true }).fill('1000');
  await topUp(page).getByLabel('Card number').fill('4000 0000 0000 0002');
  await topUp(page).getByLabel('Expiry (MM/YY)').fill('12/34');
  await topUp(page).getByLabel('Security code').fill('123');
  await submit(page, topUp(page).getByRole('button', { name: 'Buy 1,000 credits for $12.00' }));
  await checkA11y(page);
  assert.match(await fieldError(topUp(page).getByLabel('Card number')), /declined/i);
  assert.equal(await balance(page), afterUpgrade + 1000, 'nothing added');
});

s.step('the invoices list the charges; one prints without the app chrome', async ({ page }) => {
  await page.goto('/settings/subscription');
  const table = page.getByRole('table', { name: 'Invoices' });
  const text = await table.innerText();
  assert.match(text, /\$29\.00/);
  assert.match(text, /\$12\.00/);
  const upgrade = table.getByRole('row').filter({ hasText: '$29.00' }).getByRole('link');
  const invoiceNumber = (await upgrade.innerText()).trim();
  await upgrade.click();
  await page.waitForURL((u) => u.pathname.startsWith('/settings/subscription/invoices/'));
  await checkA11y(page);
  await page.getByRole('heading', { name: `Invoice ${invoiceNumber}` }).waitFor();
  assert.match(await page.locator('.invoice-total').innerText(), /\$29\.00/);
  await page.emulateMedia({ media: 'print' });
  try {
    assert.ok(!(await page.locator('nav.settings-nav').isVisible()), 'no settings navigation on paper');
    assert.ok(!(await page.getByRole('button', { name: 'Print' }).isVisible()), 'no buttons on paper');
    assert.ok(await page.locator('.invoice-total').isVisible());
  } finally {
    await page.emulateMedia({ media: 'screen' });
  }
});
