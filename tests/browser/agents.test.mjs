// Agents: an Admin opens Agents from the top navigation, creates an agent
// with a default voice, sees it in the list as a Draft, edits it to Live and
// deletes it through the confirmation; a Viewer sees the list but no
// controls to change it.
import {
  assert, checkA11y, createWorkspace, eventually, newUser, runCli, scenario, signUp, submit, switchTo, toastTexts, visible,
} from './helpers.mjs';

const s = scenario('agents');
const ada = newUser('ada');
const vera = newUser('vera');
let wsId;
let veraPage;

const rowOf = (page, name) => page.locator('table.agents tbody tr').filter({ hasText: name });

s.step('an Admin opens Agents from the top navigation and sees what to do first', async ({ page }) => {
  await page.goto('/signup');
  await signUp(page, ada);
  await createWorkspace(page, 'Acme Voice');
  wsId = (await (await page.request.get('/api/v1/workspace')).json()).id;
  await checkA11y(page);
  const nav = page.getByRole('navigation', { name: 'Workspace' });
  await nav.getByRole('link', { name: 'Agents' }).click();
  await page.waitForURL((u) => u.pathname === '/agents');
  await checkA11y(page, { label: 'empty list' });
  assert.equal(await nav.getByRole('link', { name: 'Agents' }).getAttribute('aria-current'), 'page');
  await page.getByText('No agents yet').waitFor();
});

s.step('a name that is missing is shown by its field, with the other values kept', async ({ page }) => {
  await page.getByRole('link', { name: 'New agent' }).click();
  await page.waitForURL((u) => u.pathname === '/agents/new');
  await checkA11y(page, { label: 'new agent' });
  await page.getByLabel('Description').fill('Answers the main line.');
  await page.getByLabel('Default voice').selectOption('sbv_aria');
  const resp = await submit(page, page.getByRole('button', { name: 'Create agent' }));
  assert.equal(resp.status(), 422);
  await checkA11y(page, { label: 'refused form' });
  const name = visible(page.getByLabel('Name', { exact: true }));
  assert.equal(await name.getAttribute('aria-invalid'), 'true');
  await page.locator('#agent-name-error').getByText('Give the agent a name').waitFor();
  assert.equal(await page.getByLabel('Description').inputValue(), 'Answers the main line.');
  assert.equal(await page.getByLabel('Default voice').inputValue(), 'sbv_aria');
});

s.step('the agent is created with its voice and listed as a Draft', async ({ page }) => {
  await visible(page.getByLabel('Name', { exact: true })).fill('Front desk');
  await submit(page, page.getByRole('button', { name: 'Create agent' }));
  await page.waitForURL((u) => u.pathname === '/agents');
  await checkA11y(page, { label: 'list' });
  const row = rowOf(page, 'Front desk');
  await row.waitFor();
  assert.equal((await row.locator('.status').textContent()).trim(), 'Draft');
  assert.match(await row.textContent(), /Aria/);
  assert.match(await row.textContent(), /No phone numbers assigned/);
});

s.step('the Admin edits it to Live', async ({ page }) => {
  await rowOf(page, 'Front desk').getByRole('link', { name: 'Front desk' }).click();
  await page.waitForURL((u) => /^\/agents\/agt_/.test(u.pathname));
  await checkA11y(page, { label: 'edit' });
  await page.getByLabel('Status').selectOption('LIVE');
  await submit(page, page.getByRole('button', { name: 'Save agent' }));
  await page.waitForURL((u) => u.pathname === '/agents');
  await checkA11y(page);
  assert.equal((await rowOf(page, 'Front desk').locator('.status').textContent()).trim(), 'Live');
});

s.step('a Viewer sees the list but no New agent button and no edit controls', async ({ s: sc }) => {
  veraPage = await sc.newPage();
  await veraPage.goto('/signup');
  await signUp(veraPage, vera);
  await createWorkspace(veraPage, 'Vera Home');
  runCli(sc.server, ['members', 'add', '--workspace', wsId, '--email', vera.email, '--role', 'viewer']);
  await veraPage.goto('/');
  await switchTo(veraPage, 'Acme Voice');
  await checkA11y(veraPage);
  await veraPage.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Agents' }).click();
  await veraPage.waitForURL((u) => u.pathname === '/agents');
  await checkA11y(veraPage, { label: 'viewer list' });
  await rowOf(veraPage, 'Front desk').waitFor();
  assert.equal(await veraPage.getByRole('link', { name: 'New agent' }).count(), 0);
  await rowOf(veraPage, 'Front desk').getByRole('link', { name: 'Front desk' }).click();
  await veraPage.waitForURL((u) => /^\/agents\/agt_/.test(u.pathname));
  await checkA11y(veraPage, { label: 'viewer agent' });
  assert.equal(await veraPage.getByRole('button', { name: 'Save agent' }).count(), 0);
  assert.equal(await veraPage.getByRole('button', { name: 'Delete agent' }).count(), 0);
  await veraPage.getByText('No phone numbers assigned.').waitFor();
  await veraPage.goto('/agents/new');
  await checkA11y(veraPage, { label: 'refused' });
  await eventually(async () => {
    const alerts = await toastTexts(veraPage, 'alert');
    assert.ok(alerts.some((t) => /permission/i.test(t)), `a permission toast: ${JSON.stringify(alerts)}`);
  });
});

s.step('the Admin deletes the agent through the confirmation', async ({ page }) => {
  await rowOf(page, 'Front desk').getByRole('link', { name: 'Front desk' }).click();
  await page.waitForURL((u) => /^\/agents\/agt_/.test(u.pathname));
  await checkA11y(page);
  await page.getByRole('button', { name: 'Delete agent' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete the agent' });
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /none get unassigned/);
  await checkA11y(page, { label: 'delete dialog' });
  await submit(page, dialog.getByRole('button', { name: 'Delete Front desk' }));
  await page.waitForURL((u) => u.pathname === '/agents');
  await checkA11y(page, { label: 'after delete' });
  await page.getByText('No agents yet').waitFor();
  const statuses = await toastTexts(page, 'status');
  assert.ok(statuses.some((t) => /Front desk/.test(t) && /deleted/.test(t)), JSON.stringify(statuses));
});
