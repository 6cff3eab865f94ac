// Contacts: an Admin adds an attribute in Settings → Audiences (Attributes
// tab); a Member opens Contacts from the top navigation, creates a contact
// filling that attribute — first seeing the field error for a bad phone —
// edits it and deletes it through the confirmation.
import {
  assert, checkA11y, createWorkspace, fieldError, newUser, runCli, scenario, signUp, submit, switchTo, toastTexts, visible,
} from './helpers.mjs';

const s = scenario('contacts');
const ada = newUser('ada');
const mo = newUser('mo');
let wsId;
let moPage;

const rowOf = (page, name) => page.locator('table.contacts tbody tr').filter({ hasText: name });

s.step('an Admin adds an enum attribute on the Attributes tab of Settings → Audiences', async ({ page }) => {
  await page.goto('/signup');
  await signUp(page, ada);
  await createWorkspace(page, 'Acme Voice');
  wsId = (await (await page.request.get('/api/v1/workspace')).json()).id;
  await page.goto('/settings/audiences');
  await page.waitForURL((u) => u.pathname === '/settings/audiences/attributes');
  await checkA11y(page, { label: 'attributes tab' });
  const tabs = page.getByRole('navigation', { name: 'Audiences' });
  assert.equal(await tabs.getByRole('link', { name: 'Attributes' }).getAttribute('aria-current'), 'page');
  assert.equal(await tabs.getByRole('link', { name: 'Contacts →' }).getAttribute('href'), '/contacts');
  await page.getByLabel('Key').fill('plan_tier');
  await page.getByLabel('Label').fill('Plan tier');
  await page.getByLabel('Type').selectOption('enum');
  await page.getByLabel('Options').fill('Free, Pro, Enterprise');
  await submit(page, page.getByRole('button', { name: 'Add attribute' }));
  await page.waitForURL((u) => u.pathname === '/settings/audiences/attributes');
  await checkA11y(page, { label: 'attribute added' });
  const row = page.locator('table.attributes tbody tr').filter({ hasText: 'Plan tier' });
  await row.waitFor();
  assert.match(await row.textContent(), /Free, Pro, Enterprise/);
});

s.step('a Member opens Contacts and a bad phone is shown by its field, with the values kept', async ({ s: sc }) => {
  moPage = await sc.newPage();
  await moPage.goto('/signup');
  await signUp(moPage, mo);
  await createWorkspace(moPage, 'Mo Home');
  runCli(sc.server, ['members', 'add', '--workspace', wsId, '--email', mo.email, '--role', 'member']);
  await moPage.goto('/');
  await switchTo(moPage, 'Acme Voice');
  const nav = moPage.getByRole('navigation', { name: 'Workspace' });
  await nav.getByRole('link', { name: 'Contacts' }).click();
  await moPage.waitForURL((u) => u.pathname === '/contacts');
  await checkA11y(moPage, { label: 'empty list' });
  assert.equal(await nav.getByRole('link', { name: 'Contacts' }).getAttribute('aria-current'), 'page');
  await moPage.getByText('No contacts yet').waitFor();
  await moPage.getByRole('link', { name: 'New contact' }).click();
  await moPage.waitForURL((u) => u.pathname === '/contacts/new');
  await checkA11y(moPage, { label: 'new contact' });
  await visible(moPage.getByLabel('Name', { exact: true })).fill('Grace Hopper');
  await visible(moPage.getByLabel('Phone', { exact: true })).fill('555');
  await moPage.getByLabel('Plan tier').selectOption('Pro');
  const resp = await submit(moPage, moPage.getByRole('button', { name: 'Create contact' }));
  assert.equal(resp.status(), 422);
  await checkA11y(moPage, { label: 'refused form' });
  const phone = visible(moPage.getByLabel('Phone', { exact: true }));
  assert.equal(await phone.getAttribute('aria-invalid'), 'true');
  assert.match(await fieldError(phone), /not a valid phone number/);
  assert.equal(await moPage.getByLabel('Plan tier').inputValue(), 'Pro');
});

s.step('the contact is created with a national number and its attribute', async () => {
  await visible(moPage.getByLabel('Phone', { exact: true })).fill('(415) 555-2671');
  await submit(moPage, moPage.getByRole('button', { name: 'Create contact' }));
  await moPage.waitForURL((u) => u.pathname === '/contacts');
  await checkA11y(moPage, { label: 'list' });
  const row = rowOf(moPage, 'Grace Hopper');
  await row.waitFor();
  assert.match(await row.textContent(), /\+1 415 555 2671/);
  assert.match(await row.textContent(), /Plan tier: Pro/);
});

s.step('the Member edits it', async () => {
  await rowOf(moPage, 'Grace Hopper').getByRole('link', { name: 'Grace Hopper' }).click();
  await moPage.waitForURL((u) => /^\/contacts\/con_/.test(u.pathname));
  await checkA11y(moPage, { label: 'edit' });
  await visible(moPage.getByLabel('Email', { exact: true })).fill('Grace@Example.com');
  await moPage.getByLabel('Plan tier').selectOption('Enterprise');
  await submit(moPage, moPage.getByRole('button', { name: 'Save contact' }));
  await moPage.waitForURL((u) => /^\/contacts\/con_/.test(u.pathname));
  assert.equal(await visible(moPage.getByLabel('Email', { exact: true })).inputValue(), 'grace@example.com');
  assert.equal(await moPage.getByLabel('Plan tier').inputValue(), 'Enterprise');
  await moPage.getByRole('link', { name: '← Contacts' }).click();
  await moPage.waitForURL((u) => u.pathname === '/contacts');
  await moPage.getByLabel('Search contacts').fill('hopper');
  await moPage.getByRole('button', { name: 'Search' }).click();
  await moPage.waitForURL((u) => u.searchParams.get('q') === 'hopper');
  assert.match(await rowOf(moPage, 'Grace Hopper').textContent(), /Plan tier: Enterprise/);
});

s.step('the Member deletes it through the confirmation', async () => {
  await rowOf(moPage, 'Grace Hopper').getByRole('link', { name: 'Grace Hopper' }).click();
  await moPage.waitForURL((u) => /^\/contacts\/con_/.test(u.pathname));
  await moPage.getByRole('button', { name: 'Delete contact' }).click();
  const dialog = moPage.getByRole('dialog', { name: 'Delete the contact' });
  await dialog.waitFor();
  await checkA11y(moPage, { label: 'delete dialog' });
  await submit(moPage, dialog.getByRole('button', { name: 'Delete Grace Hopper' }));
  await moPage.waitForURL((u) => u.pathname === '/contacts');
  await moPage.getByText('No contacts yet').waitFor();
  const statuses = await toastTexts(moPage, 'status');
  assert.ok(statuses.some((t) => /Grace Hopper/.test(t) && /deleted/.test(t)), JSON.stringify(statuses));
});
