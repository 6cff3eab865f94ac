// Settings → Audit Log as an Admin uses it: rename the workspace in
// General, find the change in the Audit Log by filtering on its action,
// open the entry to see the old and the new name, and export the filtered
// log as CSV through the page's streamed download.
import { readFile } from 'node:fs/promises';
import {
  assert, checkA11y, createWorkspace, eventually, newUser, scenario, screenshot, signUp, submit,
} from './helpers.mjs';

const s = scenario('audit_log');
const admin = newUser('audit');

const entriesTable = (page) => page.getByRole('table', { name: /Audit log entries/ });
const entryRows = (page) => entriesTable(page).locator('tbody tr[data-entry-id]');

s.step('the admin renames the workspace in Settings → General', async ({ page }) => {
  await page.goto('/signup');
  await signUp(page, admin);
  await createWorkspace(page, 'Acme Voice');
  await page.goto('/settings/general');
  await checkA11y(page);
  await page.getByLabel('Workspace Name').fill('Acme Voice Europe');
  await submit(page, page.getByRole('button', { name: 'Save changes' }));
  await checkA11y(page);
});

s.step('the Audit Log lists the change, newest first', async ({ page }) => {
  await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Audit Log' }).click();
  await page.waitForURL((u) => u.pathname === '/settings/audit-log');
  await checkA11y(page);
  await page.getByRole('heading', { name: 'Audit Log', level: 1 }).waitFor();
  const first = (await entryRows(page).first().innerText()).replace(/\s+/g, ' ');
  assert.match(first, /Workspace updated/, `the newest entry is the rename: ${first}`);
  assert.match(first, /Audit Tester/, 'by the admin');
  assert.match(first, /Acme Voice Europe/, 'on the workspace');
  const time = entryRows(page).first().locator('time');
  assert.match(await time.getAttribute('datetime'), /^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
  assert.match(await time.getAttribute('title'), /UTC$/);
  assert.ok((await entryRows(page).count()) >= 2, 'workspace.created is there too');
});

s.step('filtering by action through the form narrows the list', async ({ page }) => {
  await page.getByLabel('Action').selectOption('workspace.updated');
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/settings/audit-log' && u.searchParams.get('action') === 'workspace.updated'),
    page.getByRole('button', { name: 'Apply filters' }).click(),
  ]);
  await checkA11y(page);
  assert.equal(await entryRows(page).count(), 1);
  assert.equal(await page.getByLabel('Action').inputValue(), 'workspace.updated', 'the form keeps the filter');
  await screenshot(page, 'audit-log-filtered');
});

s.step('the entry shows the old and the new name', async ({ page }) => {
  await entriesTable(page).getByRole('link', { name: /Workspace updated/ }).click();
  await page.waitForURL((u) => /^\/settings\/audit-log\/aud_/.test(u.pathname));
  await checkA11y(page);
  await page.getByRole('heading', { name: 'Workspace updated', level: 1 }).waitFor();
  const diff = page.getByRole('table', { name: /Changed fields/ });
  const row = diff.getByRole('row').filter({ hasText: 'name' });
  assert.equal((await row.locator('del').innerText()).trim(), 'Acme Voice', 'before');
  assert.equal((await row.locator('ins').innerText()).trim(), 'Acme Voice Europe', 'after');
  const facts = (await page.locator('dl.facts').innerText()).replace(/\s+/g, ' ');
  assert.match(facts, /IP address 127\.0\.0\.1/);
  assert.match(facts, /User agent Mozilla/);
  assert.match(facts, /Sequence number 2/);
  await screenshot(page, 'audit-log-entry');
  await page.getByRole('link', { name: /Audit Log/ }).filter({ hasText: '←' }).click();
  await page.waitForURL((u) => u.pathname === '/settings/audit-log' && u.searchParams.get('action') === 'workspace.updated');
  await checkA11y(page);
});

s.step('Export CSV streams the current filter to a file', async ({ page }) => {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Export CSV' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^audit-log-ws_[0-9A-Z]{26}\.csv$/);
  const text = await readFile(await download.path(), 'utf8');
  const lines = text.trim().split('\n');
  assert.equal(lines[0], 'time_utc,time_local,action,actor_type,actor_id,actor_name,target_type,target_id,target_name,changes,ip,user_agent,id');
  assert.equal(lines.length, 2, `the header and the one filtered row:\n${text}`);
  assert.match(lines[1], /,workspace\.updated,user,usr_\w+,Audit Tester,workspace,ws_\w+,Acme Voice Europe,/);
  assert.match(lines[1], /""before"":""Acme Voice""/);
  await eventually(async () => {
    const status = await page.getByRole('status').filter({ hasText: /Export finished/ }).innerText();
    assert.match(status, /1 row saved as audit-log-ws_\w+\.csv/);
  });
  assert.ok(await page.locator('#export-progress').isHidden(), 'the progress bar is gone');
  await checkA11y(page, { label: 'after export' });
});

s.step('Load more appends the next page in place', async ({ page }) => {
  // More than a page of entries: 50 renames through the API, with the session.
  const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
  for (let i = 0; i < 50; i++) {
    const res = await page.request.patch('/api/v1/workspace', { headers: { 'x-csrf-token': csrf }, data: { name: `Acme Voice ${i}` } });
    assert.equal(res.status(), 200, await res.text());
  }
  await page.goto('/settings/audit-log');
  await checkA11y(page);
  assert.equal(await entryRows(page).count(), 50, 'one page');
  const before = page.url();
  await page.getByRole('link', { name: 'Load more' }).click();
  await eventually(async () => assert.ok((await entryRows(page).count()) > 50, 'the next page was appended'));
  assert.equal(page.url(), before, 'no navigation');
  assert.equal(await page.getByRole('link', { name: 'Load more' }).count(), 0, 'nothing more to load');
  const ids = await entryRows(page).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-entry-id')));
  assert.equal(new Set(ids).size, ids.length, 'no entry twice');
  const last = (await entryRows(page).last().innerText()).replace(/\s+/g, ' ');
  assert.match(last, /Workspace created/, 'the oldest entry comes last');
  await checkA11y(page, { label: 'after Load more' });
});
