// CSV import of contacts: an Admin adds a required enum attribute; a Member
// opens Contacts → Import CSV, uploads a file of a few thousand rows with a
// byte-order mark, semicolons and some bad rows, sees the columns mapped
// and the preview's errors by row, maps a column by hand, starts the
// import, watches the progress bar move to the end, downloads the failed
// rows as a CSV and finds the imported contacts listed. Then the Admin
// imports a suppression list and adds an entry by hand on the same tab.
import { readFile } from 'node:fs/promises';

import {
  assert, checkA11y, createWorkspace, eventually, newUser, runCli, scenario, signUp, submit, switchTo, toastTexts, visible,
} from './helpers.mjs';

const s = scenario('imports');
const ada = newUser('ada');
const mo = newUser('mo');
let wsId;
let moPage;

// 3,000 good rows (enough for several batches, so the bar moves), with a
// bad row of each kind among them.
const GOOD_ROWS = 3000;
function contactsCsv() {
  const lines = ['\ufeffPhone;Full name;Tier;Comment'];
  for (let i = 0; i < GOOD_ROWS; i += 1) {
    lines.push(`+1415550${String(i).padStart(4, '0')};Person ${i};${i % 2 ? 'Pro' : 'free'};"line one\nline two"`);
  }
  lines.splice(3, 0, 'not a phone;Bad Phone;Pro;x', '+14155559999;Bad Tier;Gold;x', '+14155559998;No Tier;;x');
  return lines.join('\r\n') + '\r\n';
}

s.step('an Admin adds a required Tier attribute', async ({ page }) => {
  await page.goto('/signup');
  await signUp(page, ada);
  await createWorkspace(page, 'Acme Voice');
  wsId = (await (await page.request.get('/api/v1/workspace')).json()).id;
  await page.goto('/settings/audiences/attributes');
  await checkA11y(page, { label: 'attributes tab' });
  await page.getByLabel('Key').fill('tier');
  await page.getByLabel('Label').fill('Tier');
  await page.getByLabel('Type').selectOption('enum');
  await page.getByLabel('Options').fill('Free, Pro');
  await page.getByLabel('Required').check();
  await submit(page, page.getByRole('button', { name: 'Add attribute' }));
  await page.locator('table.attributes tbody tr').filter({ hasText: 'Tier' }).waitFor();
});

s.step('a Member uploads a CSV and sees the columns mapped and the bad rows in the preview', async ({ s: sc }) => {
  moPage = await sc.newPage();
  await moPage.goto('/signup');
  await signUp(moPage, mo);
  await createWorkspace(moPage, 'Mo Home');
  runCli(sc.server, ['members', 'add', '--workspace', wsId, '--email', mo.email, '--role', 'member']);
  await moPage.goto('/');
  await switchTo(moPage, 'Acme Voice');
  await moPage.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Contacts' }).click();
  await moPage.waitForURL((u) => u.pathname === '/contacts');
  await checkA11y(moPage, { label: 'contacts' });
  await moPage.getByRole('link', { name: 'Import CSV' }).click();
  await moPage.waitForURL((u) => u.pathname === '/contacts/import');
  await checkA11y(moPage, { label: 'upload form' });
  await moPage.getByLabel('CSV file', { exact: true }).setInputFiles({ name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(contactsCsv()) });
  await submit(moPage, moPage.getByRole('button', { name: 'Upload and map columns' }));
  await moPage.waitForURL((u) => /^\/contacts\/import\/imp_/.test(u.pathname));
  await checkA11y(moPage, { label: 'mapping and preview' });
  // The separator was detected; Phone and Tier were matched by name.
  assert.equal(await moPage.getByLabel('Separator').inputValue(), ';');
  assert.equal(await moPage.getByLabel('Phone', { exact: true }).inputValue(), 'phone');
  assert.equal(await moPage.getByLabel('Tier', { exact: true }).inputValue(), 'tier');
  assert.equal(await moPage.getByLabel('Full name').inputValue(), '');
  const preview = moPage.locator('table.preview');
  assert.match(await moPage.locator('#preview-summary').textContent(), /3 with errors/);
  assert.match(await preview.locator('tr.has-error').first().textContent(), /Phone: Enter a phone number/);
  assert.match(await preview.textContent(), /Tier: Choose one of Free, Pro/);
  assert.match(await preview.textContent(), /Tier is required/);
});

s.step('maps “Full name” to Name, updates the preview and starts the import', async () => {
  await moPage.getByLabel('Full name').selectOption('name');
  await submit(moPage, moPage.getByRole('button', { name: 'Update preview' }));
  await checkA11y(moPage, { label: 'preview updated' });
  assert.match(await moPage.locator('table.preview thead').textContent(), /Name/);
  assert.match(await moPage.locator('table.preview').textContent(), /Person 0/);
  await moPage.getByLabel('Update that contact with the row’s values').check();
  await submit(moPage, moPage.getByRole('button', { name: 'Start import' }));
  await checkA11y(moPage, { label: 'import running' });
  assert.ok((await toastTexts(moPage, 'status')).some((t) => /Importing “customers\.csv”/.test(t)));
});

s.step('watches the progress bar reach the end, with the counts', async () => {
  const seen = [];
  await eventually(async () => {
    const value = await moPage.locator('#import-bar').evaluate((bar) => bar.value).catch(() => null);
    if (value !== null) seen.push(value);
    await moPage.getByRole('heading', { name: 'Import finished' }).waitFor({ timeout: 200 });
  }, { timeout: 60_000, interval: 150 });
  await checkA11y(moPage, { label: 'import finished' });
  assert.ok(seen.length > 0, 'the progress bar was on the page');
  for (let i = 1; i < seen.length; i += 1) assert.ok(seen[i] >= seen[i - 1], `the bar never goes back: ${seen}`);
  assert.equal(await moPage.locator('#import-bar').evaluate((bar) => bar.value), 100);
  assert.equal(await moPage.locator('#import-created').textContent(), String(GOOD_ROWS));
  assert.equal(await moPage.locator('#import-failed').textContent(), '3');
});

s.step('downloads the failed rows as a CSV', async () => {
  const [download] = await Promise.all([
    moPage.waitForEvent('download'),
    moPage.getByRole('link', { name: 'Download the rows that failed (CSV)' }).click(),
  ]);
  const text = await readFile(await download.path(), 'utf8');
  const lines = text.trim().split(/\r?\n/);
  assert.equal(lines[0], 'row,Phone,Full name,Tier,Comment,errors');
  assert.equal(lines.length, 4, text);
  assert.match(text, /not a phone,Bad Phone,Pro,x,"phone: /);
  assert.match(text, /Bad Tier,Gold/);
  assert.match(text, /No Tier,,x,attributes\.tier: Tier is required/);
});

s.step('finds the imported contacts on the Contacts page', async () => {
  await moPage.getByRole('link', { name: 'Back to contacts' }).click();
  await moPage.waitForURL((u) => u.pathname === '/contacts');
  await checkA11y(moPage, { label: 'contacts after import' });
  await visible(moPage.getByLabel('Search contacts')).fill('Person 2999');
  await visible(moPage.getByLabel('Search contacts')).press('Enter');
  await moPage.waitForURL((u) => u.searchParams.get('q') === 'Person 2999');
  await moPage.locator('table.contacts tbody tr').filter({ hasText: 'Person 2999' }).waitFor();
  await checkA11y(moPage, { label: 'search' });
});

s.step('the Admin imports a suppression list, then adds an entry by hand', async ({ page }) => {
  await page.goto('/settings/audiences/suppression');
  await checkA11y(page, { label: 'suppression tab' });
  await page.getByRole('link', { name: 'Import a CSV of entries' }).click();
  await page.waitForURL((u) => u.pathname === '/settings/audiences/suppression/import');
  await checkA11y(page, { label: 'suppression upload' });
  const csv = 'phone,email,channel,reason\n+14155550100,,SMS,Texted STOP\n,carol@example.com,ALL,Unsubscribed\n+14155550101,,FAX,Bad channel\n';
  await page.getByLabel('CSV file', { exact: true }).setInputFiles({ name: 'opt-outs.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await submit(page, page.getByRole('button', { name: 'Upload and map columns' }));
  await checkA11y(page, { label: 'suppression mapping' });
  assert.match(await page.locator('#preview-summary').textContent(), /1 with errors/);
  await submit(page, page.getByRole('button', { name: 'Start import' }));
  await checkA11y(page, { label: 'suppression import running' });
  await page.getByRole('heading', { name: 'Import finished' }).waitFor({ timeout: 30_000 });
  await checkA11y(page, { label: 'suppression import finished' });
  assert.equal(await page.locator('#import-created').textContent(), '2');
  await page.getByRole('link', { name: 'Back to suppression list' }).click();
  await page.waitForURL((u) => u.pathname === '/settings/audiences/suppression');
  await checkA11y(page, { label: 'suppression list after import' });
  const rows = page.locator('table.suppressions tbody tr');
  await rows.filter({ hasText: 'carol@example.com' }).waitFor();
  assert.match(await rows.filter({ hasText: 'carol@example.com' }).textContent(), /Import/);
  // By hand, beside the imported ones.
  await visible(page.getByLabel('Phone number')).fill('+1 415 555 0177');
  await page.getByLabel('Reason', { exact: true }).fill('Asked on a call');
  await submit(page, page.getByRole('button', { name: 'Add to list' }));
  await checkA11y(page, { label: 'added by hand' });
  await rows.filter({ hasText: 'Asked on a call' }).waitFor();
  assert.match(await rows.filter({ hasText: 'Asked on a call' }).textContent(), /Manual/);
});
