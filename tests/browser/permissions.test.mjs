// A Viewer cannot open Settings: sent back with a permissions toast; the API answers 403.
import {
  assert, checkA11y, createWorkspace, eventually, newUser, runCli, scenario, signUp, switchTo, toastTexts,
} from './helpers.mjs';

const s = scenario('permissions');
const alice = newUser('alice');
const bob = newUser('bob');
let bobPage;
let acmeId;

/**
 * A same-origin fetch from the page, as the app's own JavaScript would make
 * it: with the session's CSRF token from <meta name="csrf-token"> in the
 * x-csrf-token header.
 */
function pageFetch(page, method, url, body) {
  return page.evaluate(async ([method, url, body]) => {
    const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';
    const r = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
      body: body === null ? undefined : JSON.stringify(body),
    });
    return { status: r.status, contentType: r.headers.get('content-type'), text: await r.text() };
  }, [method, url, body ?? null]);
}

s.step('user A signs up and creates "Acme Voice"', async ({ page }) => {
  await page.goto('/signup');
  await signUp(page, alice);
  await createWorkspace(page, 'Acme Voice');
  const resp = await page.request.get('/api/v1/workspace');
  assert.equal(resp.status(), 200, `GET /api/v1/workspace as A: ${resp.status()} ${await resp.text()}`);
  const ws = await resp.json();
  assert.match(ws.id, /^ws_/, `workspace id is prefixed ws_: ${ws.id}`);
  assert.equal(ws.name, 'Acme Voice');
  acmeId = ws.id;
});

s.step('user B signs up in another browser and creates their own workspace', async ({ s: sc }) => {
  bobPage = await sc.newPage();
  await bobPage.goto('/');
  await bobPage.waitForURL((u) => u.pathname === '/signin', { timeout: 10_000 }).catch(() => {
    throw new Error(`a signed-out visitor on a server that has users should land on /signin, got ${bobPage.url()}`);
  });
  await checkA11y(bobPage);
  await signUp(bobPage, bob);
  await createWorkspace(bobPage, 'Bobcorp');
});

s.step('the CLI adds B to Acme Voice as a Viewer; B switches to it', async ({ server }) => {
  runCli(server, ['members', 'add', '--workspace', acmeId, '--email', bob.email, '--role', 'viewer']);
  await bobPage.goto('/');
  await checkA11y(bobPage);
  await switchTo(bobPage, 'Acme Voice');
  await checkA11y(bobPage);
});

s.step('B opening /settings directly is sent back with a permissions toast', async () => {
  await bobPage.goto('/settings');
  await eventually(() => assert.ok(!new URL(bobPage.url()).pathname.startsWith('/settings'), `B should not stay on ${bobPage.url()}`));
  await checkA11y(bobPage, { label: 'permission toast' });
  await eventually(async () => {
    const alerts = await toastTexts(bobPage, 'alert');
    assert.ok(alerts.some((t) => /permission/i.test(t)), `an alert toast about permission, toasts: ${JSON.stringify(alerts)}`);
  });
});

s.step('B clicking the gear icon stays where they were, with the toast', async () => {
  await bobPage.goto('/');
  await checkA11y(bobPage);
  const loaded = bobPage.waitForEvent('load');
  await bobPage.getByRole('link', { name: 'Settings', exact: true }).click();
  await loaded;
  await eventually(() => assert.equal(new URL(bobPage.url()).pathname, '/', 'sent back home'));
  await checkA11y(bobPage);
  await eventually(async () => {
    const alerts = await toastTexts(bobPage, 'alert');
    assert.ok(alerts.some((t) => /permission/i.test(t)), `an alert toast about permission, toasts: ${JSON.stringify(alerts)}`);
  });
  for (const p of ['/settings/general', '/settings/developer', '/settings/audit-log']) {
    await bobPage.goto(p);
    await eventually(() => assert.ok(!new URL(bobPage.url()).pathname.startsWith('/settings'), `B should not stay on ${p}`));
  }
  await checkA11y(bobPage);
});

s.step('the API answers B\'s admin call with 403 problem+json, A\'s with success', async ({ page }) => {
  // A, the Admin, may change the workspace through the same call (proves the
  // 403 below is about B's role, not about the way of calling).
  const ok = await pageFetch(page, 'PATCH', '/api/v1/workspace', { name: 'Acme Voice' });
  assert.ok(ok.status >= 200 && ok.status < 300, `A's PATCH /api/v1/workspace: ${ok.status} ${ok.text}`);

  const denied = await pageFetch(bobPage, 'PATCH', '/api/v1/workspace', { name: 'Hijacked' });
  assert.equal(denied.status, 403, `B's PATCH /api/v1/workspace: ${denied.status} ${denied.text}`);
  assert.match(denied.contentType || '', /^application\/problem\+json/, `content-type: ${denied.contentType}`);
  const problem = JSON.parse(denied.text);
  assert.equal(problem.status, 403, 'problem+json carries status 403');

  // Without the page's CSRF token (page.request): refused as well.
  const viaRequest = await bobPage.request.patch('/api/v1/workspace', { data: { name: 'Hijacked' } });
  assert.equal(viaRequest.status(), 403, `B's PATCH via page.request: ${viaRequest.status()}`);
  assert.match(viaRequest.headers()['content-type'] || '', /^application\/problem\+json/);

  const after = await (await page.request.get('/api/v1/workspace')).json();
  assert.equal(after.name, 'Acme Voice', 'the name did not change');
});

s.step('B is Admin of their own workspace and may open its Settings', async () => {
  await switchTo(bobPage, 'Bobcorp');
  await checkA11y(bobPage);
  await bobPage.getByRole('link', { name: 'Settings', exact: true }).click();
  await bobPage.waitForURL((u) => u.pathname === '/settings/general');
  await checkA11y(bobPage);
  assert.equal(await bobPage.getByLabel('Workspace Name').inputValue(), 'Bobcorp');
});
