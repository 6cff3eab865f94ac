// Settings → Subscription as an Admin on the trial uses it: the plan card
// with the trial's days left, the Monthly/Annual switch with the annual
// saving, a Change plan dialog that says what happens and needs a payment
// method first, then cancelling and resuming through their confirmations.
import { assert, checkA11y, createWorkspace, newUser, scenario, signUp, submit, toastTexts } from './helpers.mjs';

const s = scenario('subscription');
const admin = newUser('sub');

s.step('the admin sees the trial and the plans', async ({ page }) => {
  await page.goto('/signup');
  await signUp(page, admin);
  await createWorkspace(page, 'Acme Voice');
  await page.goto('/settings/subscription');
  await page.getByRole('heading', { name: 'Subscription', level: 1 }).waitFor();
  await checkA11y(page);
  const card = page.locator('#plan');
  assert.match(await card.innerText(), /Pro · Monthly · \$99\.00 a month/);
  assert.match(await card.innerText(), /14 days left/);
  await page.getByRole('navigation', { name: 'Billing cycle' }).getByRole('link', { name: 'Annual' }).click();
  await page.waitForURL((u) => u.searchParams.get('cycle') === 'annual');
  await checkA11y(page);
  assert.match(await page.locator('#plans').innerText(), /save \$58\.00/);
});

s.step('choosing a paid plan in the trial asks for a payment method first', async ({ page }) => {
  await page.getByRole('link', { name: 'Change plan to Basic (Annual)' }).click();
  const dialog = page.getByRole('dialog', { name: 'Change to Basic (Annual)?' });
  await dialog.waitFor();
  await checkA11y(page, { label: 'change plan dialog' });
  assert.match(await dialog.innerText(), /Your trial continues until/);
  assert.match(await dialog.innerText(), /Add a payment method below first/);
  assert.equal(await dialog.getByRole('button', { name: /Switch to Basic on/ }).isDisabled(), true);
  await dialog.getByRole('link', { name: 'Back' }).click();
});

s.step('the admin cancels, then resumes', async ({ page }) => {
  await page.goto('/settings/subscription');
  await page.getByRole('link', { name: 'Cancel subscription' }).click();
  const dialog = page.getByRole('dialog', { name: 'Cancel at the end of the period?' });
  await dialog.waitFor();
  await checkA11y(page, { label: 'cancel dialog' });
  await submit(page, dialog.getByRole('button', { name: /^Cancel on / }));
  assert.match((await toastTexts(page, 'status')).join(' '), /moves to the Free plan then/);
  await checkA11y(page);
  await page.getByRole('link', { name: 'Resume subscription' }).click();
  const resume = page.getByRole('dialog', { name: 'Keep Pro?' });
  await resume.waitFor();
  await submit(page, resume.getByRole('button', { name: 'Keep Pro' }));
  assert.match((await toastTexts(page, 'status')).join(' '), /You stay on Pro/);
  assert.equal(await page.getByRole('link', { name: 'Resume subscription' }).count(), 0);
});
