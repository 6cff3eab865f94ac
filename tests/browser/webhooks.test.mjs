// Settings → Developer → Webhooks as an Admin uses it: a receiver of the
// test's own on 127.0.0.1 (the server allows private targets for this
// file), an endpoint added through the form, a test event sent from the
// endpoint page and seen in the delivery log with 200, its request headers
// on the delivery page, then Resend: a second delivery with the same
// webhook-id. The endpoint page is checked with axe at each stage.
import http from 'node:http';
import { after } from 'node:test';
import {
  assert, checkA11y, createWorkspace, eventually, fieldError, newUser, scenario, signUp, submit, toastTexts,
} from './helpers.mjs';

const s = scenario('webhooks', { env: { SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
const admin = newUser('hooks');
/** What the receiver got: { headers, body } per request. */
const received = [];
let receiver;
let hookUrl;
let endpointPath;

after(() => new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve())));

/** Reloads the endpoint page until `count` deliveries succeeded with 200. */
async function succeededDeliveries(page, count) {
  return eventually(async () => {
    await page.reload();
    const rows = page.locator('#deliveries tbody tr[data-status="succeeded"]');
    assert.equal(await rows.count(), count, `${count} succeeded deliveries in the log`);
    for (const text of await rows.allInnerTexts()) assert.match(text, /Succeeded\s*200/);
    return rows;
  }, { timeout: 20_000, interval: 500 });
}

s.step('a receiver listens on 127.0.0.1', async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      received.push({ method: req.method, headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('received, thanks');
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;
});

s.step('the admin opens Settings → Developer → Add endpoint', async ({ page }) => {
  await page.goto('/signup');
  await signUp(page, admin);
  await createWorkspace(page, 'Acme Voice');
  await page.goto('/settings/developer');
  await checkA11y(page);
  const card = page.locator('#webhooks');
  await card.getByRole('heading', { name: 'Webhooks' }).waitFor();
  assert.match(await card.innerText(), /No endpoints yet/);
  await card.getByRole('link', { name: 'Add endpoint' }).click();
  await page.waitForURL((u) => u.pathname === '/settings/developer/webhooks/new');
  await checkA11y(page);
  // The catalogue, with descriptions.
  await page.getByText('A member left the workspace.').waitFor();
});

s.step('a URL is required, shown by the field', async ({ page }) => {
  await submit(page, page.getByRole('button', { name: 'Add endpoint' }));
  await checkA11y(page);
  assert.match(await fieldError(page.getByLabel('Endpoint URL')), /Enter the URL/);
});

s.step('the admin adds an endpoint for the receiver', async ({ page }) => {
  await page.getByLabel('Endpoint URL').fill(hookUrl);
  await page.getByLabel('Description').fill('Local receiver');
  // Checking a type chooses "Only the types checked below".
  await page.getByLabel('member.left').check();
  assert.ok(await page.getByLabel('Only the types checked below').isChecked());
  await submit(page, page.getByRole('button', { name: 'Add endpoint' }));
  await page.waitForURL((u) => /^\/settings\/developer\/webhooks\/[a-z]+_[0-9A-Z]{26}$/.test(u.pathname));
  endpointPath = new URL(page.url()).pathname;
  await checkA11y(page);
  assert.match(await page.locator('.lead').innerText(), /Enabled/);
  assert.match(await page.locator('main').innerText(), /Events: member\.left\./);
  assert.match(await page.locator('#deliveries').innerText(), /No deliveries yet/);
});

s.step('Send test event: the delivery shows 200 in the log', async ({ page }) => {
  await submit(page, page.getByRole('button', { name: 'Send test event' }));
  assert.ok((await toastTexts(page, 'status')).some((t) => /Test event queued/.test(t)));
  await succeededDeliveries(page, 1);
  await checkA11y(page, { label: 'with a delivery' });
  assert.equal(received.length, 1);
  assert.equal(JSON.parse(received[0].body).type, 'webhook.test');
});

s.step('the delivery page shows the payload and the request headers', async ({ page }) => {
  const row = page.locator('#deliveries tbody tr[data-status="succeeded"]').first();
  await row.getByRole('link').click();
  await page.waitForURL((u) => u.pathname.startsWith(`${endpointPath}/deliveries/`));
  await checkA11y(page);
  const headers = page.getByRole('table', { name: 'Request headers of attempt 1' });
  const text = await headers.innerText();
  for (const name of ['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    assert.match(text, new RegExp(name), `header ${name} shown`);
  }
  assert.ok(text.includes(received[0].headers['webhook-id']), 'the webhook-id sent is the one shown');
  assert.match(await page.locator('pre.payload').first().innerText(), /"type": "webhook.test"/);
  assert.match(await page.locator('main').innerText(), /received, thanks/);
});

s.step('Resend: a second delivery with 200 and the same webhook-id', async ({ page }) => {
  await submit(page, page.getByRole('button', { name: 'Resend', exact: true }));
  await page.waitForURL((u) => u.pathname === endpointPath);
  await checkA11y(page);
  assert.ok((await toastTexts(page, 'status')).some((t) => /queued again/.test(t)));
  await succeededDeliveries(page, 2);
  assert.equal(received.length, 2);
  assert.equal(received[1].headers['webhook-id'], received[0].headers['webhook-id']);
  assert.notEqual(received[0].headers['webhook-signature'], undefined);
});

s.step('the signing secret is revealed, then rotated through its dialog', async ({ page }) => {
  await submit(page, page.getByRole('button', { name: 'Reveal signing secret' }));
  await checkA11y(page, { label: 'secret revealed' });
  const first = (await page.locator('#signing-secret').innerText()).trim();
  assert.match(first, /^whsec_[A-Za-z0-9+/=]+$/);
  await page.getByRole('button', { name: 'Rotate secret' }).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Overlap (hours)').fill('2');
  await checkA11y(page, { label: 'rotate dialog' });
  await submit(page, dialog.getByRole('button', { name: 'Rotate secret' }));
  await page.getByRole('heading', { name: 'Copy the new signing secret now' }).waitFor();
  await checkA11y(page, { label: 'secret rotated' });
  const second = (await page.locator('#signing-secret').innerText()).trim();
  assert.match(second, /^whsec_/);
  assert.notEqual(second, first);
});
