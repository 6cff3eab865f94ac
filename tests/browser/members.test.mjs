// Members as people use them: an Admin invites colleagues by email, they
// join from the link in the email, the Admin changes roles and removes
// people, a member leaves, the table is searched, and the workspace is
// deleted by typing its name.
import path from 'node:path';
import {
  ARTIFACTS, accessibleName, assert, checkA11y, createWorkspace, currentWorkspaceIs, eventually, fieldError,
  newUser, openSwitcher, scenario, signUp, submit, switchTo, toastTexts, verifyEmail,
} from './helpers.mjs';
import { waitForEmail } from './outbox.mjs';

const s = scenario('members');
const admin = newUser('admin');
const colleague = newUser('colleague');
const viewer = newUser('viewer');
const pending = newUser('pending');

let colleaguePage;
let viewerPage;
const seenEmails = new Set(); // outbox files already read

// ---------------------------------------------------------------------------
// Email (outbox.mjs reads the .eml files the server writes)

/**
 * Waits for a new email to `to` with an invitation link and returns
 * { file, text, link, path } with link the absolute /invite/<token> URL.
 */
async function waitForInvitation(server, to, { timeout = 15_000 } = {}) {
  const pattern = /(https?:\/\/[^\s"<>]+?)\/invite\/([A-Za-z0-9_-]+)/;
  const { file, text, match: m } = await waitForEmail(server, { to, pattern, seen: seenEmails, timeout });
  return { file, text, link: `${m[1]}/invite/${m[2]}`, path: `/invite/${m[2]}` };
}

// ---------------------------------------------------------------------------
// The Members card

const membersTable = (page) => page.getByRole('table', { name: 'Members' });
const rowOf = (page, text) => membersTable(page).locator('tbody tr').filter({ hasText: text });

/** { name, email, role, status } of the one row containing `text`. */
async function rowInfo(page, text) {
  const row = rowOf(page, text);
  assert.equal(await row.count(), 1, `exactly one row of the Members table should contain "${text}"`);
  const cells = row.getByRole('cell');
  const roleCell = cells.nth(2);
  const select = roleCell.locator('select');
  const role = (await select.count())
    ? await select.evaluate((el) => el.selectedOptions[0]?.textContent.trim())
    : (await roleCell.innerText()).trim();
  return {
    name: (await cells.nth(0).innerText()).trim(),
    email: (await cells.nth(1).innerText()).trim(),
    role,
    status: (await cells.nth(3).innerText()).trim(),
  };
}

async function allRows(page) {
  return (await membersTable(page).locator('tbody tr').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
}

async function expectToast(page, role, pattern) {
  await eventually(async () => {
    const texts = await toastTexts(page, role);
    assert.ok(texts.some((t) => pattern.test(t)), `a ${role} toast matching ${pattern}; toasts: ${JSON.stringify(texts)}`);
  });
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The Delete Workspace confirmation field ("Type the workspace name to confirm", or "Type Acme Voice to confirm"). */
const deleteConfirm = (page) => page.getByLabel(/^Type (the workspace name|Acme Voice) to confirm$/);

async function openGeneral(page) {
  await page.goto('/settings/general');
  await checkA11y(page);
}

/** Follows an invitation link as a signed-out new user, signs up and lands in the workspace. */
async function joinAsNewUser(page, invitation, user, workspace) {
  await page.goto(invitation.path);
  await checkA11y(page);
  await page.getByRole('heading', { name: `Join ${workspace}` }).waitFor();
  await page.getByRole('link', { name: 'Create account and join' }).click();
  await page.waitForURL((u) => u.pathname === '/signup' && u.searchParams.has('invite'));
  await checkA11y(page);
  const email = page.getByLabel('Email', { exact: true });
  assert.equal(await email.inputValue(), user.email, 'Email is prefilled with the invited address');
  assert.ok(await email.evaluate((el) => el.readOnly), 'Email is read-only');
  await page.getByLabel('Name', { exact: true }).fill(user.name);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await submit(page, page.getByRole('button', { name: 'Create account' }));
  await page.waitForURL((u) => u.pathname === '/');
  await expectToast(page, 'status', new RegExp(`Welcome! You joined ${escape(workspace)}`));
  await currentWorkspaceIs(page, workspace);
  await checkA11y(page);
}

// ---------------------------------------------------------------------------

s.step('the admin signs up, creates "Acme Voice" and verifies the address', async ({ page, server }) => {
  await page.goto('/signup');
  await signUp(page, admin);
  await createWorkspace(page, 'Acme Voice');
  await verifyEmail(page, server, admin);
});

s.step('Settings → General shows the Member management card', async ({ page }) => {
  await page.getByRole('link', { name: 'Settings', exact: true }).click();
  await page.waitForURL((u) => u.pathname === '/settings/general');
  await checkA11y(page);
  const card = page.locator('#members');
  await card.getByRole('heading', { name: 'Member management' }).waitFor();
  assert.equal(await card.getByLabel('Invite Member').getAttribute('type'), 'email');
  const role = card.getByLabel('Role', { exact: true });
  const options = (await role.locator('option').allInnerTexts()).map((t) => t.trim());
  assert.deepEqual(options, ['Admin', 'Member', 'Viewer']);
  assert.equal(await role.evaluate((el) => el.selectedOptions[0].textContent.trim()), 'Member', 'the default role is Member');
  await card.getByRole('button', { name: 'Send invitation' }).waitFor();
  await card.getByLabel('Search members by name or email').waitFor();
  await card.getByRole('button', { name: 'Search', exact: true }).waitFor();
  const headers = (await membersTable(page).getByRole('columnheader').allInnerTexts()).map((t) => t.trim());
  assert.deepEqual(headers, ['Name', 'Email', 'Role', 'Status', 'Actions']);
  const me = await rowInfo(page, admin.email);
  assert.match(me.name, new RegExp(escape(admin.name)));
  assert.equal(me.role, 'Admin');
  assert.equal(me.status, 'Active');
  assert.equal(await rowOf(page, admin.email).locator('select, button, summary').count(), 0, 'no actions on your own row');
});

let colleagueInvite;
s.step('the admin invites a colleague as Member: toast, "Invited" row, an email with a link', async ({ page, server }) => {
  await page.getByLabel('Invite Member').fill(colleague.email);
  await submit(page, page.getByRole('button', { name: 'Send invitation' }));
  await page.waitForURL((u) => u.pathname === '/settings/general');
  await expectToast(page, 'status', new RegExp(`Invitation sent to ${escape(colleague.email)}`));
  await checkA11y(page);
  const row = await rowInfo(page, colleague.email);
  assert.equal(row.status, 'Invited');
  assert.equal(row.role, 'Member');
  const r = rowOf(page, colleague.email);
  assert.equal(await accessibleName(r.getByRole('button', { name: /^Resend/ })), `Resend invitation to ${colleague.email}`);
  assert.equal(await accessibleName(r.getByRole('button', { name: /^Revoke/ })), `Revoke invitation to ${colleague.email}`);

  colleagueInvite = await waitForInvitation(server, colleague.email);
  assert.ok(colleagueInvite.link.startsWith(`${server.url}/invite/`), `the link ${colleagueInvite.link} points at the server ${server.url}`);
  assert.ok(colleagueInvite.text.includes('Acme Voice'), 'the email names the workspace');
});

s.step('the colleague opens the link, signs up and lands in Acme Voice', async ({ s: sc }) => {
  colleaguePage = await sc.newPage();
  await joinAsNewUser(colleaguePage, colleagueInvite, colleague, 'Acme Voice');
});

s.step('the admin sees the colleague as an Active Member', async ({ page }) => {
  await openGeneral(page);
  const row = await rowInfo(page, colleague.email);
  assert.equal(row.name, colleague.name);
  assert.equal(row.status, 'Active');
  assert.equal(row.role, 'Member');
  assert.equal(await page.getByLabel(`Role of ${colleague.name}`).count(), 1, 'a role dropdown labelled with the member name');
  await rowOf(page, colleague.email).getByRole('button', { name: 'Change', exact: true }).waitFor();
  assert.equal(await accessibleName(rowOf(page, colleague.email).locator('button[data-open-dialog]')), `Remove ${colleague.name}`);
});

s.step('the admin makes the colleague Admin, then Member again (the dropdown saves on change)', async ({ page }) => {
  for (const role of ['Admin', 'Member']) {
    await submit(page, () => page.getByLabel(`Role of ${colleague.name}`).selectOption({ label: role }));
    await page.waitForURL((u) => u.pathname === '/settings/general');
    await expectToast(page, 'status', new RegExp(`${escape(colleague.name)} is now ${role}\\.`));
    await checkA11y(page);
    assert.equal((await rowInfo(page, colleague.email)).role, role);
  }
});

s.step('the colleague (a Member) opening /settings is sent back with a permissions toast', async () => {
  await colleaguePage.goto('/settings');
  await eventually(() => assert.ok(!new URL(colleaguePage.url()).pathname.startsWith('/settings'), `should not stay on ${colleaguePage.url()}`));
  await expectToast(colleaguePage, 'alert', /permission/i);
  await checkA11y(colleaguePage, { label: 'permission toast' });
});

let viewerInvite;
s.step('a third person is invited as Viewer and joins', async ({ page, server, s: sc }) => {
  await openGeneral(page);
  await page.getByLabel('Invite Member').fill(viewer.email);
  await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Viewer' });
  await submit(page, page.getByRole('button', { name: 'Send invitation' }));
  await page.waitForURL((u) => u.pathname === '/settings/general');
  await expectToast(page, 'status', new RegExp(`Invitation sent to ${escape(viewer.email)}`));
  await checkA11y(page);
  const row = await rowInfo(page, viewer.email);
  assert.equal(row.status, 'Invited');
  assert.equal(row.role, 'Viewer');

  viewerInvite = await waitForInvitation(server, viewer.email);
  viewerPage = await sc.newPage();
  await joinAsNewUser(viewerPage, viewerInvite, viewer, 'Acme Voice');
});

s.step('the admin removes the Viewer (Remove → confirm): status "Removed"', async ({ page }) => {
  await openGeneral(page);
  assert.equal((await rowInfo(page, viewer.email)).status, 'Active');
  const row = rowOf(page, viewer.email);
  const dialog = page.getByRole('dialog', { name: new RegExp(`^Remove ${escape(viewer.name)}\\? They lose access`) });
  const confirm = dialog.getByRole('button', { name: `Remove ${viewer.name}`, exact: true });
  assert.equal(await confirm.isVisible(), false, 'the confirm button is hidden until "Remove" is opened');
  await row.getByRole('button', { name: `Remove ${viewer.name}`, exact: true }).click();
  await confirm.waitFor({ state: 'visible' });
  await checkA11y(page, { label: 'remove confirmation open' });
  await submit(page, confirm);
  await page.waitForURL((u) => u.pathname === '/settings/general');
  await expectToast(page, 'status', new RegExp(`${escape(viewer.name)} was removed`));
  await checkA11y(page);
  assert.equal((await rowInfo(page, viewer.email)).status, 'Removed');
  assert.equal(await rowOf(page, viewer.email).locator('select, summary, button').count(), 0, 'no actions on a removed member');
});

s.step('the removed person\'s next click no longer shows Acme Voice', async () => {
  await viewerPage.reload();
  await viewerPage.waitForURL((u) => u.pathname === '/workspaces/new');
  await checkA11y(viewerPage);
  await viewerPage.getByRole('heading', { name: 'Create a workspace' }).waitFor();
  const body = await viewerPage.locator('body').innerText();
  assert.ok(!body.includes('Acme Voice'), `the page should not mention Acme Voice any more:\n${body}`);
  const api = await viewerPage.request.get('/api/v1/workspace');
  assert.ok(api.status() >= 400, `GET /api/v1/workspace for the removed person: ${api.status()}`);
});

s.step('the colleague leaves Acme Voice and loses access to it', async () => {
  // A workspace of their own first, so the switcher has something left to show.
  await colleaguePage.goto('/workspaces/new');
  await checkA11y(colleaguePage);
  await createWorkspace(colleaguePage, 'Colleague Corp');
  await switchTo(colleaguePage, 'Acme Voice');
  await checkA11y(colleaguePage);

  const opener = colleaguePage.getByRole('button', { name: 'Leave Workspace', exact: true });
  const dialog = colleaguePage.getByRole('dialog', { name: 'Leave Acme Voice? You will need a new invitation to come back.' });
  const leaveButton = dialog.getByRole('button', { name: 'Leave workspace', exact: true });
  if (await opener.isVisible()) {
    await opener.click();
    await leaveButton.waitFor({ state: 'visible' });
    await checkA11y(colleaguePage, { label: 'leave confirmation open' });
    await submit(colleaguePage, leaveButton);
    await colleaguePage.waitForURL((u) => u.pathname === '/');
    await expectToast(colleaguePage, 'status', /You left Acme Voice/);
  } else {
    console.log('# no Leave Workspace form on the Member\'s home page: posting /workspace/leave directly');
    const csrf = await colleaguePage.locator('meta[name="csrf-token"]').getAttribute('content');
    const resp = await colleaguePage.request.post('/workspace/leave', { form: { _csrf: csrf } });
    assert.ok(resp.status() < 400, `POST /workspace/leave: ${resp.status()} ${await resp.text()}`);
    await colleaguePage.goto('/');
  }
  await checkA11y(colleaguePage);
  await currentWorkspaceIs(colleaguePage, 'Colleague Corp');
  const menu = await openSwitcher(colleaguePage);
  const listed = (await menu.locator('.ws-list').getByRole('button').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  assert.ok(!listed.some((t) => t.includes('Acme Voice')), `the switcher should no longer list Acme Voice: ${JSON.stringify(listed)}`);
  assert.ok(listed.some((t) => t.includes('Colleague Corp')), `the switcher still lists Colleague Corp: ${JSON.stringify(listed)}`);
  await checkA11y(colleaguePage, { label: 'switcher open' });
});

s.step('the admin invites someone with the keyboard alone (Tab, typing, Enter)', async ({ page }) => {
  await openGeneral(page);
  const email = page.getByLabel('Invite Member');
  const stops = [];
  for (let i = 0; i < 80 && !(await email.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press('Tab');
    stops.push(await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName));
  }
  assert.ok(await email.evaluate((el) => el === document.activeElement), `Tab should reach "Invite Member"; stops: ${stops.join(', ')}`);
  await page.keyboard.type(pending.email);
  await page.keyboard.press('Tab');
  const role = page.getByLabel('Role', { exact: true });
  assert.ok(await role.evaluate((el) => el === document.activeElement), 'Tab from Invite Member goes to Role');
  await page.keyboard.type('V'); // type-ahead picks Viewer
  assert.equal(await role.evaluate((el) => el.selectedOptions[0].textContent.trim()), 'Viewer', 'typing V on the Role dropdown picks Viewer');
  await page.keyboard.press('Tab');
  const send = page.getByRole('button', { name: 'Send invitation' });
  assert.ok(await send.evaluate((el) => el === document.activeElement), 'Tab from Role goes to Send invitation');
  await submit(page, () => page.keyboard.press('Enter'));
  await page.waitForURL((u) => u.pathname === '/settings/general');
  await expectToast(page, 'status', new RegExp(`Invitation sent to ${escape(pending.email)}`));
  await checkA11y(page);
  const row = await rowInfo(page, pending.email);
  assert.equal(row.status, 'Invited');
  assert.equal(row.role, 'Viewer');
});

s.step('the Members table shows Active, Invited, Removed and Left (screenshot members.png)', async ({ page }) => {
  await openGeneral(page);
  assert.equal((await rowInfo(page, admin.email)).status, 'Active');
  assert.equal((await rowInfo(page, pending.email)).status, 'Invited');
  assert.equal((await rowInfo(page, viewer.email)).status, 'Removed');
  assert.equal((await rowInfo(page, colleague.email)).status, 'Left');
  assert.equal(await rowOf(page, colleague.email).locator('select, summary, button').count(), 0, 'no actions on a member who left');
  await page.locator('#members').screenshot({ path: path.join(ARTIFACTS, 'members.png') });
});

s.step('the admin searches the members table for the colleague\'s name', async ({ page }) => {
  const search = page.getByLabel('Search members by name or email');
  await search.fill(colleague.name);
  let loaded = page.waitForEvent('load');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await loaded;
  await eventually(() => assert.equal(new URL(page.url()).searchParams.get('search'), colleague.name));
  await checkA11y(page, { label: 'search results' });
  const rows = await allRows(page);
  assert.equal(rows.length, 1, `only the colleague matches: ${JSON.stringify(rows)}`);
  assert.ok(rows[0].includes(colleague.email), `the match is the colleague: ${rows[0]}`);
  assert.equal(await search.inputValue(), colleague.name, 'the search box keeps the query');

  await search.fill('nobody-like-this');
  loaded = page.waitForEvent('load');
  await search.press('Enter');
  await loaded;
  await eventually(() => assert.equal(new URL(page.url()).searchParams.get('search'), 'nobody-like-this'));
  await checkA11y(page, { label: 'no search results' });
  const none = await allRows(page);
  assert.equal(none.length, 1);
  assert.match(none[0], /No member matches/);
});

s.step('a wrong name does not delete the workspace: an error by the field', async ({ page }) => {
  await openGeneral(page);
  await deleteConfirm(page).fill('Acme');
  await submit(page, page.getByRole('button', { name: 'Delete workspace', exact: true }));
  await checkA11y(page, { label: 'delete error' });
  const error = await fieldError(deleteConfirm(page));
  assert.match(error, /Acme Voice/, `the error names the workspace: ${error}`);
  await currentWorkspaceIs(page, 'Acme Voice');
  const ws = await page.request.get('/api/v1/workspace');
  assert.equal(ws.status(), 200, 'the workspace still exists');
  assert.equal((await ws.json()).name, 'Acme Voice');
  await openGeneral(page);
  assert.equal((await rowInfo(page, pending.email)).status, 'Invited', 'nothing was deleted');
});

s.step('typing the name deletes the workspace: "Create a workspace" with a toast', async ({ page }) => {
  await deleteConfirm(page).fill('Acme Voice');
  await submit(page, page.getByRole('button', { name: 'Delete workspace', exact: true }));
  await page.waitForURL((u) => u.pathname === '/workspaces/new');
  await expectToast(page, 'status', /Acme Voice was deleted/);
  await checkA11y(page);
  await page.getByRole('heading', { name: 'Create a workspace' }).waitFor();
  assert.equal(await page.locator('details.switcher').count(), 0, 'no workspace left to switch to');
  const ws = await page.request.get('/api/v1/workspace');
  assert.ok(ws.status() >= 400, `GET /api/v1/workspace after deletion: ${ws.status()}`);
});
