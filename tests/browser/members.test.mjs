// Members as people use them: an Admin invites a colleague, who joins from
// the email's link; roles change; a Member is refused Settings; a member is
// removed, another leaves; the Admin deletes the workspace by typing its name.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import {
  assert, checkA11y, createWorkspace, currentWorkspaceIs, eventually, newUser, scenario, screenshot, signUp, submit,
  toastTexts,
} from './helpers.mjs';

const s = scenario('members');
const admin = newUser('admin');
const colleague = newUser('colleague');
const third = newUser('third');
let colleaguePage;
let thirdPage;
const seenEmails = new Set();

/** Waits for a new invitation email in the server's outbox and returns its link's path. */
async function nextInvitationLink(server, to) {
  const dir = path.join(server.dataDir, 'outbox');
  let link = null;
  await eventually(async () => {
    const files = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.eml') && !seenEmails.has(f)).sort();
    for (const file of files) {
      const raw = (await readFile(path.join(dir, file), 'utf8')).replace(/=\r?\n/g, '');
      if (!raw.toLowerCase().includes(to.toLowerCase())) continue;
      seenEmails.add(file);
      const m = raw.match(/\/invite\/([A-Za-z0-9_-]+)/);
      assert.ok(m, `the email ${file} has an invitation link`);
      link = `/invite/${m[1]}`;
      return;
    }
    assert.fail(`no invitation email to ${to} yet in ${dir}`);
  }, { timeout: 15_000 });
  return link;
}

const membersTable = (page) => page.getByRole('table', { name: 'Members' });
const rowOf = (page, email) => membersTable(page).getByRole('row').filter({ hasText: email });

async function openGeneral(page) {
  await page.goto('/settings/general');
  await checkA11y(page);
}

async function invite(page, email, role) {
  await page.getByLabel('Invite Member').fill(email);
  await page.getByLabel('Role', { exact: true }).selectOption({ label: role });
  await submit(page, page.getByRole('button', { name: 'Send invitation' }));
  await checkA11y(page);
}

async function joinFromLink(server, page, user) {
  const link = await nextInvitationLink(server, user.email);
  await page.goto(link);
  await checkA11y(page);
  await page.getByRole('link', { name: 'Create account and join' }).click();
  await page.waitForURL((u) => u.pathname === '/signup' && u.searchParams.has('invite'));
  await checkA11y(page);
  const email = page.getByLabel('Email', { exact: true });
  assert.equal(await email.inputValue(), user.email, 'the invited address is filled in');
  assert.ok(await email.evaluate((el) => el.readOnly), 'and locked');
  await page.getByLabel('Name', { exact: true }).fill(user.name);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await submit(page, page.getByRole('button', { name: 'Create account' }));
  await page.waitForURL((u) => u.pathname === '/');
  await currentWorkspaceIs(page, 'Acme Voice');
  await checkA11y(page);
}

s.step('an Admin creates "Acme Voice" and opens Settings → General', async ({ page }) => {
  await signUp(page, admin);
  await createWorkspace(page, 'Acme Voice');
  await openGeneral(page);
  assert.ok(await membersTable(page).isVisible(), 'a Members table');
  for (const col of ['Name', 'Email', 'Role', 'Status', 'Actions']) {
    assert.equal(await membersTable(page).getByRole('columnheader', { name: col }).count(), 1, `column ${col}`);
  }
});

s.step('invites a colleague with the keyboard; the row says Invited', async ({ page }) => {
  await page.getByLabel('Invite Member').focus();
  await page.keyboard.type(colleague.email);
  await submit(page, () => page.keyboard.press('Enter'));
  await checkA11y(page);
  const toasts = await toastTexts(page, 'status');
  assert.ok(toasts.some((t) => t.includes(`Invitation sent to ${colleague.email}`)), `toast: ${toasts}`);
  assert.ok(await rowOf(page, colleague.email).getByText('Invited').isVisible(), 'an Invited row');
});

s.step('the colleague opens the link from the email, signs up and is in', async ({ server }) => {
  colleaguePage = await s.newPage();
  await joinFromLink(server, colleaguePage, colleague);
});

s.step('the Admin sees the colleague Active and makes them Admin, then Member', async ({ page }) => {
  await openGeneral(page);
  const row = rowOf(page, colleague.email);
  assert.ok(await row.getByText('Active').isVisible(), 'Active');
  for (const role of ['Admin', 'Member']) {
    const select = page.getByLabel(`Role of ${colleague.name}`);
    await submit(page, () => select.selectOption({ label: role }));
    await eventually(async () => {
      const toasts = await toastTexts(page, 'status');
      assert.ok(toasts.some((t) => t.includes(`is now ${role}`)), `toast after ${role}: ${toasts}`);
    });
    await checkA11y(page);
  }
});

s.step('the Member opening /settings is sent back with a permissions toast', async () => {
  await colleaguePage.goto('/settings');
  await colleaguePage.waitForURL((u) => !u.pathname.startsWith('/settings'));
  await checkA11y(colleaguePage);
  const alerts = await toastTexts(colleaguePage, 'alert');
  assert.ok(alerts.some((t) => /permission/i.test(t)), `alert toast: ${alerts}`);
});

s.step('a third person joins as Viewer and is removed; their next click fails', async ({ page, server }) => {
  await openGeneral(page);
  await invite(page, third.email, 'Viewer');
  thirdPage = await s.newPage();
  await joinFromLink(server, thirdPage, third);

  await openGeneral(page);
  const row = rowOf(page, third.email);
  await row.getByText(`Remove ${third.name}`, { exact: false }).first().click();
  await submit(page, row.getByRole('button', { name: `Remove ${third.name}` }));
  await checkA11y(page);
  assert.ok(await rowOf(page, third.email).getByText('Removed').isVisible(), 'Removed');

  await thirdPage.reload();
  await thirdPage.waitForURL((u) => u.pathname === '/workspaces/new');
  await checkA11y(thirdPage);
});

s.step('the colleague leaves the workspace and loses access', async () => {
  await colleaguePage.goto('/');
  await checkA11y(colleaguePage);
  await colleaguePage.getByText('Leave Workspace', { exact: true }).last().click();
  await submit(colleaguePage, colleaguePage.getByRole('button', { name: 'Leave workspace' }));
  await colleaguePage.waitForURL((u) => u.pathname === '/workspaces/new');
  await checkA11y(colleaguePage);
  assert.equal(await colleaguePage.locator('details.switcher').count(), 0, 'no workspace left in the switcher');
  const resp = await colleaguePage.request.get('/api/v1/workspace');
  assert.equal(resp.status(), 409, 'no current workspace any more');
});

s.step('the Admin finds members by search and sees every status', async ({ page }) => {
  await openGeneral(page);
  await page.getByLabel('Search members by name or email').fill('third');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL((u) => u.searchParams.get('search') === 'third');
  await checkA11y(page);
  assert.ok(await rowOf(page, third.email).isVisible(), 'the search finds them');
  assert.equal(await rowOf(page, admin.email).count(), 0, 'and only them');
  await openGeneral(page);
  assert.ok(await rowOf(page, colleague.email).getByText('Left').isVisible(), 'Left');
  await screenshot(page, 'members');
});

s.step('deleting needs the exact name, then removes the workspace', async ({ page }) => {
  const confirm = page.getByLabel('Type the workspace name to confirm');
  await confirm.fill('Acme');
  await submit(page, page.getByRole('button', { name: 'Delete workspace' }));
  await checkA11y(page);
  assert.ok(await page.locator('.field-error').filter({ hasText: 'exactly to confirm' }).isVisible(), 'error by the field');
  await page.goto('/settings/general');
  await checkA11y(page);
  await page.getByLabel('Type the workspace name to confirm').fill('Acme Voice');
  await submit(page, page.getByRole('button', { name: 'Delete workspace' }));
  await page.waitForURL((u) => u.pathname === '/workspaces/new');
  await checkA11y(page);
  const toasts = await toastTexts(page, 'status');
  assert.ok(toasts.some((t) => t.includes('Workspace Acme Voice was deleted')), `toast: ${toasts}`);
});
