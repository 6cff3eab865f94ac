// Settings → Developer as an Admin uses it: copy the Team ID, create an API
// token, copy it from the page, call the API with it as a developer would
// (curl-style, from this test), revoke it in the UI, and see the next call
// fail. Then switch an experimental feature on and see the tables change.
import {
  assert, checkA11y, createWorkspace, eventually, fieldError, newUser, scenario, signUp, submit, toastTexts,
} from './helpers.mjs';

const s = scenario('developer');
const admin = newUser('dev');
let token;
let teamId;

async function apiCall(server, path, headers) {
  return fetch(`${server.url}${path}`, { headers });
}

s.step('the admin opens Settings → Developer and copies the Team ID', async ({ page, server }) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  await page.goto('/signup');
  await signUp(page, admin);
  await createWorkspace(page, 'Acme Voice');
  await page.getByRole('link', { name: 'Settings', exact: true }).click();
  await page.waitForURL((u) => u.pathname === '/settings/general');
  await checkA11y(page);
  await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Developer' }).click();
  await page.waitForURL((u) => u.pathname === '/settings/developer');
  await checkA11y(page);
  await page.getByRole('heading', { name: 'Developer', level: 1 }).waitFor();
  teamId = (await page.locator('#team-id').innerText()).trim();
  assert.match(teamId, /^ws_[0-9A-Z]{26}$/);
  await page.getByRole('button', { name: 'Copy Team ID' }).click();
  await eventually(async () => assert.equal(await page.evaluate(() => navigator.clipboard.readText()), teamId));
  assert.match((await page.locator('#user-id').innerText()).trim(), /^usr_[0-9A-Z]{26}$/);
});

s.step('a token without a name is refused by the field', async ({ page }) => {
  await submit(page, page.getByRole('button', { name: 'Create token' }));
  await checkA11y(page);
  const error = await fieldError(page.getByLabel('Token name'));
  assert.match(error, /Give the token a name/);
});

s.step('the admin creates a token, sees it once and copies it', async ({ page }) => {
  await page.getByLabel('Token name').fill('Production server');
  await page.getByLabel('Role').selectOption({ label: 'Member' });
  await page.getByLabel('Expires').selectOption({ label: '30 days' });
  await submit(page, page.getByRole('button', { name: 'Create token' }));
  await checkA11y(page);
  await page.getByRole('heading', { name: /Copy your new token “Production server” now/ }).waitFor();
  const shown = (await page.locator('#new-token').innerText()).trim();
  assert.match(shown, /^sbk_[0-9A-Za-z]{36}$/);
  await page.getByRole('button', { name: 'Copy token' }).click();
  token = await eventually(async () => {
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, shown, 'the clipboard holds the whole token');
    return copied;
  });
  const row = page.getByRole('table', { name: 'API tokens' }).locator('tbody tr').filter({ hasText: 'Production server' });
  assert.equal(await row.count(), 1);
  const text = (await row.innerText()).replace(/\s+/g, ' ');
  assert.match(text, /sbk_\w{8}…/);
  assert.match(text, /Member/);
  assert.match(text, /Never/, 'not used yet');
  assert.match(text, /Active/);
  assert.ok(!text.includes(token), 'the table shows only the prefix');
});

s.step('a developer calls the API with the copied token', async ({ page, server }) => {
  const bearer = await apiCall(server, '/api/v1/workspace', { authorization: `Bearer ${token}` });
  assert.equal(bearer.status, 200);
  assert.equal((await bearer.json()).name, 'Acme Voice');
  const pair = await apiCall(server, '/api/v1/workspace', { 'x-api-token': token, team_id: teamId });
  assert.equal(pair.status, 200);
  // The page now shows when and from where it was used, and no longer the secret.
  await page.goto('/settings/developer');
  await checkA11y(page);
  const row = page.getByRole('table', { name: 'API tokens' }).locator('tbody tr').filter({ hasText: 'Production server' });
  const text = (await row.innerText()).replace(/\s+/g, ' ');
  assert.match(text, /just now/);
  assert.match(text, /from 127\.0\.0\.1/);
  assert.equal(await page.locator('#new-token').count(), 0, 'the token is shown only once');
});

s.step('the admin revokes the token in the UI and the next call fails', async ({ page, server }) => {
  const row = page.getByRole('table', { name: 'API tokens' }).locator('tbody tr').filter({ hasText: 'Production server' });
  await row.getByRole('button', { name: 'Revoke Production server' }).click();
  const dialog = page.getByRole('dialog', { name: /Revoke the token Production server\?/ });
  await dialog.waitFor();
  await submit(page, dialog.getByRole('button', { name: 'Revoke Production server' }));
  await page.waitForURL((u) => u.pathname === '/settings/developer');
  await checkA11y(page);
  await eventually(async () => {
    const texts = await toastTexts(page, 'status');
    assert.ok(texts.some((t) => /was revoked/.test(t)), JSON.stringify(texts));
  });
  assert.match((await row.innerText()).replace(/\s+/g, ' '), /Revoked/);
  const res = await apiCall(server, '/api/v1/workspace', { authorization: `Bearer ${token}` });
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
  assert.match((await res.json()).detail, /revoked/);
});

s.step('the API reference opens from the page and documents tokens', async ({ page }) => {
  await page.getByRole('link', { name: 'API reference' }).click();
  await page.waitForURL((u) => u.pathname === '/docs/api');
  await checkA11y(page);
  await page.getByRole('heading', { name: 'Authentication' }).first().waitFor();
  const text = await page.locator('main').innerText();
  for (const needle of ['Authorization: Bearer', 'x-api-token', 'team_id', 'Idempotency-Key', '/api/v1/tokens']) {
    assert.ok(text.includes(needle), `the reference mentions ${needle}`);
  }
  await page.goBack();
  await page.waitForURL((u) => u.pathname === '/settings/developer');
  await checkA11y(page);
});

s.step('turning on Compact tables makes the tables denser', async ({ page }) => {
  const cell = page.getByRole('table', { name: 'API tokens' }).locator('tbody td').first();
  const before = await cell.evaluate((el) => parseFloat(getComputedStyle(el).paddingTop));
  const feature = page.locator('#features');
  await submit(page, feature.getByRole('button', { name: 'Turn on Compact tables' }));
  await page.waitForURL((u) => u.pathname === '/settings/developer');
  await checkA11y(page);
  await feature.getByRole('button', { name: 'Turn off Compact tables' }).waitFor();
  const after = await page.getByRole('table', { name: 'API tokens' }).locator('tbody td').first()
    .evaluate((el) => parseFloat(getComputedStyle(el).paddingTop));
  assert.ok(after < before, `row padding shrinks: ${before}px → ${after}px`);
});
