// Two workspaces and the switcher; the User Menu's Profile dialog; sign out and in.
import {
  accessibleName, assert, checkA11y, createWorkspace, currentWorkspaceIs, eventually, fieldError,
  makePng, newUser, openSwitcher, openUserMenu, scenario, screenshot, signIn, signUp, submit,
  switcher, switchTo, userMenu, verifyEmail, visible,
} from './helpers.mjs';

const s = scenario('workspaces_profile');
const user = newUser('grace');

/** The open Profile dialog (a <dialog> with heading "Profile"). */
const profileDialog = (page) =>
  page.locator('dialog[open]').filter({ has: page.getByRole('heading', { name: 'Profile', exact: true }) });

async function openProfile(page) {
  const menu = await openUserMenu(page);
  await menu.getByRole('button', { name: 'Profile', exact: true }).click();
  const dialog = profileDialog(page);
  await dialog.waitFor({ state: 'visible' });
  await checkA11y(page, { label: 'profile dialog' });
  return dialog;
}

const avatarImg = (page) => userMenu(page).locator(':scope > summary img');

s.step('signs up with a first workspace "Acme Voice" and verifies the address', async ({ page, server }) => {
  await page.goto('/');
  await page.waitForURL((u) => u.pathname === '/signup');
  await signUp(page, user);
  await createWorkspace(page, 'Acme Voice');
  await verifyEmail(page, server, user);
});

s.step('creates a second workspace from the switcher', async ({ page }) => {
  const d = await openSwitcher(page);
  await d.getByRole('link', { name: 'Create workspace' }).click();
  await page.waitForURL((u) => u.pathname === '/workspaces/new');
  await checkA11y(page);
  await createWorkspace(page, 'Globex Support');
});

s.step('switches between the two and the top bar follows', async ({ page }) => {
  const d = await openSwitcher(page);
  await checkA11y(page, { label: 'switcher open' });
  const names = (await d.getByRole('button').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  assert.ok(names.some((n) => n.includes('Acme Voice')), `switcher lists Acme Voice: ${JSON.stringify(names)}`);
  assert.ok(names.some((n) => n.includes('Globex Support')), `switcher lists Globex Support: ${JSON.stringify(names)}`);
  await switchTo(page, 'Acme Voice');
  await checkA11y(page);
  await page.goto('/settings/general');
  await checkA11y(page);
  assert.equal(await page.getByLabel('Workspace Name').inputValue(), 'Acme Voice', 'Settings shows the current workspace');
  await switchTo(page, 'Globex Support');
  await checkA11y(page);
  await page.goto('/settings/general');
  await checkA11y(page);
  assert.equal(await page.getByLabel('Workspace Name').inputValue(), 'Globex Support');
  await currentWorkspaceIs(page, 'Globex Support');
});

s.step('the User Menu\'s "Profile" opens a dialog titled "Profile"', async ({ page }) => {
  await page.goto('/');
  await checkA11y(page);
  assert.equal(await accessibleName(userMenu(page).locator(':scope > summary')), 'User menu');
  const menu = await openUserMenu(page);
  await checkA11y(page, { label: 'user menu open' });
  assert.ok(await menu.getByRole('button', { name: 'Sign out' }).isVisible(), 'the menu offers "Sign out"');
  await menu.getByRole('button', { name: 'Profile', exact: true }).click();
  const dialog = profileDialog(page);
  await dialog.waitFor({ state: 'visible' });
  await checkA11y(page, { label: 'profile dialog' });
  assert.equal(await dialog.getByLabel('Name', { exact: true }).inputValue(), user.name, 'the dialog shows the current name');
  await screenshot(page, 'profile');
});

s.step('an invalid phone number is refused next to the field', async ({ page }) => {
  const phone = visible(page.getByLabel('Phone number'));
  await visible(page.getByLabel('Name', { exact: true })).fill('Grace Hopper');
  await phone.fill('12345');
  await phone.evaluate((el) => { el.form.noValidate = true; });
  await submit(page, visible(page.getByRole('button', { name: 'Save profile' })));
  await checkA11y(page, { label: 'phone error' });
  await fieldError(visible(page.getByLabel('Phone number')));
});

s.step('a valid phone number is stored as E.164 and the name is saved', async ({ page }) => {
  await visible(page.getByLabel('Name', { exact: true })).fill('Grace Hopper');
  await visible(page.getByLabel('Phone number')).fill('+44 20 7946 0958');
  await submit(page, visible(page.getByRole('button', { name: 'Save profile' })));
  await checkA11y(page);
  await page.goto('/');
  await checkA11y(page);
  const dialog = await openProfile(page);
  assert.equal(await dialog.getByLabel('Phone number').inputValue(), '+442079460958');
  assert.equal(await dialog.getByLabel('Name', { exact: true }).inputValue(), 'Grace Hopper');
});

s.step('uploads an avatar and sees it in the User Menu; removes it', async ({ page }) => {
  const dialog = profileDialog(page);
  await dialog.getByLabel('Avatar').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: makePng(80, 80, [0x10, 0x80, 0x40], [0xee, 0xee, 0xee]) });
  await submit(page, dialog.getByRole('button', { name: 'Upload avatar' }));
  await checkA11y(page);
  await page.goto('/');
  await checkA11y(page);
  await eventually(async () => {
    assert.equal(await avatarImg(page).count(), 1, 'the User Menu shows the avatar <img>');
    assert.ok(await avatarImg(page).evaluate((i) => i.complete && i.naturalWidth > 0), 'the avatar loads');
  });
  const again = await openProfile(page);
  await submit(page, again.getByRole('button', { name: 'Remove avatar' }));
  await checkA11y(page);
  await page.goto('/');
  await checkA11y(page);
  await eventually(async () => assert.equal(await avatarImg(page).count(), 0, 'avatar removed'));
});

s.step('signs out, cannot open Settings, and signs in again', async ({ page }) => {
  const menu = await openUserMenu(page);
  await submit(page, menu.getByRole('button', { name: 'Sign out' }));
  await page.waitForURL((u) => u.pathname === '/signin' || u.pathname === '/');
  if (new URL(page.url()).pathname !== '/signin') await page.waitForURL((u) => u.pathname === '/signin');
  await checkA11y(page);

  await page.goto('/settings/general');
  await page.waitForURL((u) => u.pathname === '/signin');
  await checkA11y(page);

  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill('wrong password!!');
  await submit(page, page.getByRole('button', { name: 'Sign in' }));
  assert.equal(new URL(page.url()).pathname, '/signin', 'a wrong password stays on sign-in');
  await checkA11y(page, { label: 'wrong password' });

  await signIn(page, { ...user, email: user.email.toUpperCase() });
  await switcher(page).waitFor();
  const name = await accessibleName(page.locator('details.switcher > summary'));
  assert.match(name, /^Workspace: (Acme Voice|Globex Support)/, `signed in with a current workspace, switcher says "${name}"`);
});
