// The suppression list by hand: an Admin opens Settings → Audiences →
// Suppression, sees a bad phone number refused by its field (the other
// values kept), adds a number, sees it listed with its channel, reason,
// source and who added it, finds it by searching, and removes it through
// the confirmation dialog.
import {
  assert, checkA11y, createWorkspace, fieldError, newUser, scenario, signUp, submit, toastTexts, visible,
} from './helpers.mjs';

const s = scenario('suppressions');
const ada = newUser('ada');
// The Profile dialog (in every page's frame) has a Phone number field too.
const phoneField = (page) => visible(page.getByLabel('Phone number'));
const rowOf = (page, text) => page.locator('table.suppressions tbody tr').filter({ hasText: text });

s.step('an Admin opens the Suppression tab and sees what to do first', async ({ page }) => {
  await page.goto('/signup');
  await signUp(page, ada);
  await createWorkspace(page, 'Acme Voice');
  await page.goto('/settings/audiences/suppression');
  await checkA11y(page, { label: 'empty list' });
  const tabs = page.getByRole('navigation', { name: 'Audiences' });
  assert.equal(await tabs.getByRole('link', { name: 'Suppression' }).getAttribute('aria-current'), 'page');
  await page.getByText('The list is empty').waitFor();
});

s.step('a bad phone number is refused by its field, with the other values kept', async ({ page }) => {
  await phoneField(page).fill('555-CALL-NOW');
  await page.getByLabel('Channel').selectOption('CALLS');
  await page.getByLabel('Reason', { exact: true }).fill('Asked not to be called');
  const resp = await submit(page, page.getByRole('button', { name: 'Add to list' }));
  assert.equal(resp.status(), 422);
  await checkA11y(page, { label: 'refused form' });
  const phone = phoneField(page);
  assert.equal(await phone.getAttribute('aria-invalid'), 'true');
  assert.match(await fieldError(phone), /phone number/i);
  assert.equal(await page.getByLabel('Channel').inputValue(), 'CALLS');
  assert.equal(await page.getByLabel('Reason', { exact: true }).inputValue(), 'Asked not to be called');
});

s.step('a valid number is added and listed with who, why and when', async ({ page }) => {
  await phoneField(page).fill('+1 (415) 555-0170');
  await submit(page, page.getByRole('button', { name: 'Add to list' }));
  await page.waitForURL((u) => u.pathname === '/settings/audiences/suppression');
  await checkA11y(page, { label: 'listed' });
  const row = rowOf(page, '+1 415 555 0170');
  await row.waitFor();
  const text = await row.textContent();
  for (const expected of ['Calls', 'Asked not to be called', 'Manual', ada.name]) {
    assert.ok(text.includes(expected), `${expected} in ${text}`);
  }
  const statuses = await toastTexts(page, 'status');
  assert.ok(statuses.some((t) => /added to the suppression list/.test(t)), JSON.stringify(statuses));
});

s.step('the list is searched by reason', async ({ page }) => {
  // A GET form: click and wait for the page with the search in its URL.
  await page.getByLabel('Phone, email or reason').fill('not to be called');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.waitForURL((u) => u.searchParams.get('search') === 'not to be called');
  await checkA11y(page, { label: 'search' });
  await rowOf(page, '+1 415 555 0170').waitFor();
  await page.getByLabel('Phone, email or reason').fill('nobody');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.waitForURL((u) => u.searchParams.get('search') === 'nobody');
  await page.getByText('Nothing matches').waitFor();
  await page.goto('/settings/audiences/suppression');
  await checkA11y(page);
});

s.step('the Admin removes it through the confirmation', async ({ page }) => {
  await rowOf(page, '+1 415 555 0170').getByRole('button', { name: /Remove/ }).click();
  const dialog = page.getByRole('dialog', { name: /Remove \+1 415 555 0170 from the suppression list/ });
  await dialog.waitFor();
  await checkA11y(page, { label: 'remove dialog' });
  await submit(page, dialog.getByRole('button', { name: 'Remove from list' }));
  await page.waitForURL((u) => u.pathname === '/settings/audiences/suppression');
  await checkA11y(page, { label: 'after remove' });
  await page.getByText('The list is empty').waitFor();
  const statuses = await toastTexts(page, 'status');
  assert.ok(statuses.some((t) => /removed from the suppression list/.test(t)), JSON.stringify(statuses));
});
