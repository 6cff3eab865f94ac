// Phone numbers: an Admin creates an agent, buys a sandbox number through
// the search form and the confirm dialog (which shows the price and the
// balance), assigns it to the agent on the number's page, sees the credits
// go down by the price on the home page, and releases the number through
// the Danger Zone's confirmation.
import { assert, checkA11y, createWorkspace, newUser, scenario, signUp, submit, visible } from './helpers.mjs';

const s = scenario('phone_numbers');
const ada = newUser('ada');
let before;
let numberPath;

const balance = async (page) => {
  await page.goto('/');
  await checkA11y(page, { label: 'home' });
  return Number((await page.locator('#home-credit-balance').textContent()).replace(/,/g, ''));
};

s.step('an Admin creates an agent and sees the empty Phone Numbers page', async ({ page }) => {
  await page.goto('/signup');
  await signUp(page, ada);
  await createWorkspace(page, 'Acme Voice');
  before = await balance(page);
  await page.goto('/agents/new');
  await checkA11y(page, { label: 'new agent' });
  await visible(page.getByLabel('Name', { exact: true })).fill('Front desk');
  await submit(page, page.getByRole('button', { name: 'Create agent' }));
  await page.waitForURL((u) => u.pathname === '/agents');
  await checkA11y(page, { label: 'agents' });
  await page.goto('/settings/phone-numbers');
  await checkA11y(page, { label: 'empty numbers' });
  await page.getByText('No phone numbers yet').waitFor();
});

s.step('the search finds numbers with their monthly price and the dialog shows price and balance', async ({ page }) => {
  await page.getByRole('link', { name: 'Buy a number' }).click();
  await page.waitForURL((u) => u.pathname === '/settings/phone-numbers/buy');
  await checkA11y(page, { label: 'buy' });
  await page.getByLabel('Country').selectOption('US');
  await page.getByLabel('Area code').fill('415');
  await Promise.all([
    page.waitForURL((u) => u.searchParams.get('area_code') === '415'),
    page.getByRole('button', { name: 'Search numbers' }).click(),
  ]);
  await checkA11y(page, { label: 'results' });
  const row = page.locator('table.number-offers tbody tr').filter({ hasText: '+1 415 555 0100' });
  await row.waitFor();
  assert.match(await row.textContent(), /150/);
  await row.getByRole('button', { name: /Buy/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Buy +1 415 555 0100?' });
  await dialog.waitFor();
  await checkA11y(page, { label: 'buy dialog' });
  const text = await dialog.textContent();
  assert.match(text, /150 credits a month/);
  assert.match(text, new RegExp(`${before.toLocaleString('en-US')} credits`));
  assert.match(text, new RegExp(`${(before - 150).toLocaleString('en-US')} credits`));
  await submit(page, dialog.getByRole('button', { name: 'Buy for 150 credits' }));
  await page.waitForURL((u) => /^\/settings\/phone-numbers\/pn_/.test(u.pathname));
  numberPath = new URL(page.url()).pathname;
  await checkA11y(page, { label: 'number page' });
  await page.getByRole('status').filter({ hasText: 'Bought +1 415 555 0100 for 150 credits.' }).waitFor();
  assert.equal((await page.locator('#number-status').textContent()).trim(), 'Active');
});

s.step('the Admin assigns it to the agent on the number page', async ({ page }) => {
  await page.getByLabel('Inbound calls').selectOption({ label: 'Front desk' });
  await page.getByLabel('SMS', { exact: true }).selectOption({ label: 'Front desk' });
  await submit(page, page.getByRole('button', { name: 'Save assignments' }));
  await page.waitForURL((u) => u.pathname === numberPath);
  await checkA11y(page, { label: 'assigned' });
  assert.equal(await page.getByLabel('Inbound calls').inputValue() !== '', true);
  await page.goto('/settings/phone-numbers');
  await checkA11y(page, { label: 'list' });
  const row = page.locator('table.phone-numbers tbody tr').filter({ hasText: '+1 415 555 0100' });
  assert.match(await row.textContent(), /Inbound calls: Front desk/);
  await page.goto('/agents');
  await checkA11y(page, { label: 'agents' });
  assert.match(await page.locator('table.agents tbody tr').filter({ hasText: 'Front desk' }).textContent(), /\+1 415 555 0100/);
});

s.step('the credits went down by the price', async ({ page }) => {
  assert.equal(await balance(page), before - 150);
});

s.step('the Admin releases the number through the Danger Zone', async ({ page }) => {
  await page.goto(numberPath);
  await checkA11y(page, { label: 'before release' });
  await page.getByRole('button', { name: 'Release number' }).click();
  const dialog = page.getByRole('dialog', { name: /Release \+1 415 555 0100\?/ });
  await dialog.waitFor();
  await checkA11y(page, { label: 'release dialog' });
  await submit(page, dialog.getByRole('button', { name: 'Release +1 415 555 0100' }));
  await page.waitForURL((u) => u.pathname === '/settings/phone-numbers');
  await checkA11y(page, { label: 'released' });
  await page.getByRole('status').filter({ hasText: 'released' }).waitFor();
  await page.goto('/settings/phone-numbers?status=RELEASED');
  await checkA11y(page, { label: 'released filter' });
  const row = page.locator('table.phone-numbers tbody tr').filter({ hasText: '+1 415 555 0100' });
  assert.equal((await row.locator('.status').textContent()).trim(), 'Released');
});
