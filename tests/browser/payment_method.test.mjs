// Settings → Subscription's payment method as an Admin uses it with the
// sandbox processor: a mistyped expiry is refused by its field, 4242 is
// saved and shown as "Visa ending 4242", then the declined test card
// 4000 0000 0000 0002 is refused with a clear alert while the saved card
// stays. (The printable invoice is opened in billing.test.mjs, where the
// workspace has invoices.)
import {
  assert, checkA11y, createWorkspace, fieldError, newUser, scenario, signUp, submit, toastTexts,
} from './helpers.mjs';

const s = scenario('payment_method');
const admin = newUser('payer');
// The Payment method card's form (the top-up form has card fields of the same names).
const cardForm = (page) => page.locator('#payment-method');

async function fillCard(page, number, expiry, cvc) {
  await cardForm(page).getByLabel('Card number').fill(number);
  await cardForm(page).getByLabel('Expiry (MM/YY)').fill(expiry);
  await cardForm(page).getByLabel('Security code (CVC)').fill(cvc);
}

s.step('the admin opens Settings → Subscription and sees the card form', async ({ page }) => {
  await page.goto('/signup');
  await signUp(page, admin);
  await createWorkspace(page, 'Acme Voice');
  await page.goto('/settings/general');
  await checkA11y(page);
  await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Subscription' }).click();
  await page.waitForURL((u) => u.pathname === '/settings/subscription');
  await checkA11y(page);
  assert.match(await page.locator('#payment-card').innerText(), /No payment method yet/);
  const number = cardForm(page).getByLabel('Card number');
  assert.equal(await number.getAttribute('autocomplete'), 'cc-number');
  assert.equal(await number.getAttribute('inputmode'), 'numeric');
  assert.equal(await cardForm(page).getByLabel('Expiry (MM/YY)').getAttribute('autocomplete'), 'cc-exp');
  assert.equal(await cardForm(page).getByLabel('Security code (CVC)').getAttribute('autocomplete'), 'cc-csc');
  assert.match(await page.locator('#payment-method').innerText(), /4242 4242 4242 4242 \(succeeds\)/);
});

s.step('a month that does not exist is refused by the expiry field', async ({ page }) => {
  await fillCard(page, '4242 4242 4242 4242', '13/34', '123');
  await submit(page, page.getByRole('button', { name: 'Save card' }));
  await checkA11y(page);
  assert.match(await fieldError(cardForm(page).getByLabel('Expiry (MM/YY)')), /month must be 01 to 12/);
  assert.equal(await cardForm(page).getByLabel('Card number').inputValue(), '', 'the number is not given back');
  assert.equal(await cardForm(page).getByLabel('Expiry (MM/YY)').inputValue(), '13/34', 'the expiry is kept to correct');
});

s.step('the admin saves 4242 and sees "Visa ending 4242"', async ({ page }) => {
  await fillCard(page, '4242 4242 4242 4242', '12 / 2034', '123');
  await submit(page, page.getByRole('button', { name: 'Save card' }));
  await page.waitForURL((u) => u.pathname === '/settings/subscription');
  await checkA11y(page);
  assert.ok((await toastTexts(page, 'status')).some((t) => t.includes('Visa ending 4242 saved')));
  assert.equal((await page.locator('#payment-card').innerText()).trim(), 'Visa ending 4242');
  assert.ok(!(await page.content()).includes('4242 4242 4242 4242"'), 'no number in a value');
});

s.step('the declined card shows a clear error and the saved card stays', async ({ page }) => {
  await page.locator('details.replace-card > summary').click();
  await fillCard(page, '4000 0000 0000 0002', '12/34', '123');
  await submit(page, page.getByRole('button', { name: 'Save new card' }));
  await checkA11y(page);
  const alert = page.locator('#payment-method [role="alert"]');
  assert.match(await alert.innerText(), /Your card was declined\. Nothing was saved/);
  assert.equal((await page.locator('#payment-card').innerText()).trim(), 'Visa ending 4242');
  assert.equal(await cardForm(page).getByLabel('Card number').inputValue(), '');
  // And after a reload, still the same card.
  await page.goto('/settings/subscription');
  await checkA11y(page);
  assert.equal((await page.locator('#payment-card').innerText()).trim(), 'Visa ending 4242');
});

s.step('printed, the page leaves out the app chrome', async ({ page }) => {
  await page.emulateMedia({ media: 'print' });
  try {
    assert.ok(!(await page.locator('header.topbar').isVisible()), 'no top bar on paper');
    assert.ok(!(await page.locator('nav.settings-nav').isVisible()), 'no settings navigation on paper');
    assert.ok(!(await page.locator('details.replace-card > summary').isVisible()), 'no buttons on paper');
    assert.ok(await page.locator('#payment-card').isVisible(), 'the content stays');
    const colour = await page.locator('#payment-card').evaluate((el) => getComputedStyle(el).color);
    assert.equal(colour, 'rgb(0, 0, 0)', 'black on white');
  } finally {
    await page.emulateMedia({ media: 'screen' });
  }
});
