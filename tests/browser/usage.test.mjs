// Settings → Usage as an Admin uses it: create an agent and an API token,
// report usage with the token as a service would, open Usage, see the
// chart (an <svg> with a bar per day that has usage) and the credits by
// agent, then download the period's CSV and check its rows.
//
// Needs the agents API (POST /api/v1/agents) and the ingest API
// (POST /api/v1/usage/events) of the other halves of issue 14.
import fs from 'node:fs';
import {
  assert, checkA11y, createWorkspace, newUser, scenario, signUp, submit,
} from './helpers.mjs';

const s = scenario('usage');
const admin = newUser('usage');
let token;
let agentId;
const day = (t) => t.toISOString().slice(0, 10);
const now = new Date();
const yesterday = new Date(now.getTime() - 26 * 3600 * 1000);

s.step('the admin creates an API token on Settings → Developer', async ({ page }) => {
  await page.goto('/signup');
  await signUp(page, admin);
  await createWorkspace(page, 'Usage Co');
  await page.goto('/settings/developer');
  await checkA11y(page);
  await page.getByLabel('Token name').fill('Metering');
  await page.getByLabel('Role').selectOption({ label: 'Admin' });
  await submit(page, page.getByRole('button', { name: 'Create token' }));
  await checkA11y(page);
  token = (await page.locator('#new-token').innerText()).trim();
  assert.match(token, /^sbk_/);
});

s.step('a service creates an agent and reports usage with the token', async ({ server }) => {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const created = await fetch(`${server.url}/api/v1/agents`, {
    method: 'POST', headers, body: JSON.stringify({ name: 'Reception', status: 'DRAFT' }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  agentId = (await created.json()).id;
  const events = [
    { type: 'call_minutes', quantity: 90, occurred_at: yesterday.toISOString(), agent_id: agentId, idempotency_key: 'call-1' },
    { type: 'sms', quantity: 2, occurred_at: new Date(now.getTime() - 60_000).toISOString(), idempotency_key: 'sms-1' },
  ];
  const res = await fetch(`${server.url}/api/v1/usage/events`, { method: 'POST', headers, body: JSON.stringify({ events }) });
  assert.ok(res.ok, `ingest: ${res.status} ${await res.clone().text()}`);
});

s.step('Settings → Usage shows a bar per day with usage and the credits by agent', async ({ page }) => {
  await page.goto('/settings/usage');
  await checkA11y(page);
  await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
  await page.getByLabel('Show').selectOption('custom');
  await page.getByLabel('From', { exact: true }).fill(day(yesterday));
  await page.getByLabel('To', { exact: true }).fill(day(now));
  // The period form is a GET form (a link to the view): wait for its page, not a POST.
  await Promise.all([
    page.waitForURL(/\/settings\/usage\?.*period=custom/),
    page.getByRole('button', { name: 'Show usage' }).click(),
  ]);
  await checkA11y(page);
  const chart = page.locator('svg.usage-chart');
  assert.equal(await chart.count(), 1);
  assert.equal(await chart.getAttribute('role'), 'img');
  const days = new Set([day(yesterday), day(new Date(now.getTime() - 60_000))]);
  assert.equal(await chart.locator('g.bar').count(), days.size, 'one bar per day with usage');
  const agents = page.locator('table.usage-agents tbody tr');
  assert.equal(await agents.count(), 2);
  assert.equal((await agents.nth(0).locator('th').innerText()).trim(), 'Reception');
  assert.equal((await agents.nth(1).locator('th').innerText()).trim(), 'No agent');
  assert.match(await page.locator('table.usage-days').innerText(), /Total/);
});

s.step('the admin downloads the period as CSV', async ({ page }) => {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Export CSV' }).click(),
  ]);
  const text = fs.readFileSync(await download.path(), 'utf8');
  const lines = text.trim().split('\n');
  assert.equal(lines[0], 'id,occurred_at,occurred_at_local,type,quantity,unit,credits,agent_id,agent_name,idempotency_key,metadata');
  assert.equal(lines.length, 3, text);
  assert.match(lines[1], new RegExp(`,call_minutes,90,seconds,[0-9.]+,${agentId},Reception,call-1,`));
  assert.match(lines[2], /,sms,2,segments,[0-9.]+,,No agent,sms-1,/);
  await checkA11y(page);
});


s.step('the home page shows the credits left, the agent and this cycle\'s usage', async ({ page, server }) => {
  // The usage above happened before the workspace's trial began; a call now is in this cycle.
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const events = [{ type: 'call_minutes', quantity: 30, occurred_at: new Date().toISOString(), agent_id: agentId, idempotency_key: 'call-2' }];
  const res = await fetch(`${server.url}/api/v1/usage/events`, { method: 'POST', headers, body: JSON.stringify({ events }) });
  assert.ok(res.ok, `ingest: ${res.status} ${await res.clone().text()}`);
  await page.goto('/');
  await checkA11y(page);
  // 90 s + 30 s of calls (2 + 1 started minutes, 30 credits) and 2 SMS (2 credits) off the 1,000 trial credits.
  assert.equal((await page.locator('#home-credit-balance').innerText()).trim(), '968');
  // This cycle began when the workspace was created; its first hour counts whole (usage is kept
  // in hourly totals), so the SMS posted a minute before may be in it: the API says what is.
  const summary = await (await fetch(`${server.url}/api/v1/usage/summary`, { headers })).json();
  assert.ok([10_000, 12_000].includes(summary.credits), `this cycle: ${JSON.stringify(summary)}`);
  assert.equal((await page.locator('#home-usage-credits').innerText()).trim(), String(summary.credits / 1000));
  const chart = page.locator('#home-usage-heading ~ figure svg');
  assert.equal(await chart.getAttribute('role'), 'img');
  assert.equal(await chart.locator('g.bar').count(), 1, 'a bar for today');
  const agents = page.locator('section[aria-labelledby="home-agents-heading"]');
  await agents.getByRole('link', { name: 'Reception' }).waitFor();
  assert.match(await agents.innerText(), /Draft/);
});
