// Settings → Subscription, the credits part, as an Admin uses it: the
// top-up slider and number box stay in step and the confirm button names
// the credits and the price; a top-up with the succeeding sandbox card
// raises the balance; the declined card shows a clear error by the card
// number and adds nothing; auto-recharge is switched on.
import {
  assert, checkA11y, createWorkspace, fieldError, newUser, scenario, signUp, submit, toastTexts,
} from './helpers.mjs';

const s = scenario('credits');
const admin = newUser('credits');

// The top-up form's own card fields (the Payment method card has fields of the same names).
const topUp = (page) => page.locator('form.top-up-form');
const credits = (text) => Number(text.replace(/[^\d-]/g, ''));
const balance = async (page) => credits(await page.locator('#credit-balance').innerText());
let before;

s.step('the admin opens Settings → Subscription and sizes a top-up', async ({ page }) => {
  await page.goto('/signup');
  await signUp(page, admin);
  await createWorkspace(page, 'Acme Voice');
  await page.goto('/settings/subscription');
  await checkA11y(page);
  before = await balance(page);
  const confirm = page.locator('[data-top-up-confirm]');
  assert.equal((await confirm.innerText()).trim(), 'Buy 1,000 credits for $10.00');

  // The number box moves the slider and the price.
  await page.getByLabel('Credits to buy', { exact: true }).fill('2500');
  assert.equal(await page.locator('#top-up-slider').inputValue(), '2500');
  assert.equal((await confirm.innerText()).trim(), 'Buy 2,500 credits for $25.00');
  // The slider moves the number box (keyboard: one step of 100).
  await page.locator('#top-up-slider').focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getByLabel('Credits to buy', { exact: true }).inputValue(), '2600');
  assert.equal((await confirm.innerText()).trim(), 'Buy 2,600 credits for $26.00');
});

s.step('a top-up with the succeeding card raises the balance', async ({ page }) => {
  await topUp(page).getByLabel('Card number').fill('4242 4242 4242 4242');
  await topUp(page).getByLabel('Expiry (MM/YY)').fill('12/30');
  await topUp(page).getByLabel('Security code').fill('123');
  await submit(page, page.locator('[data-top-up-confirm]'));
  await checkA11y(page);
  const toasts = (await toastTexts(page, 'status')).join(' ');
  assert.match(toasts, /2,600 credits added for \$26\.00/);
  assert.equal(await balance(page), before + 2600);
  assert.match(await page.locator('#credit-top-up').innerText(), /2,600/);
});

s.step('the declined card shows a clear error and adds no credits', async ({ page }) => {
  await page.getByLabel('Credits to buy', { exact: true }).fill('1000');
  await topUp(page).getByLabel('Card number').fill('4000 0000 0000 0002');
  await topUp(page).getByLabel('Expiry (MM/YY)').fill('12/30');
  await topUp(page).getByLabel('Security code').fill('123');
  await submit(page, page.locator('[data-top-up-confirm]'));
  await checkA11y(page);
  const error = await fieldError(topUp(page).getByLabel('Card number'));
  assert.match(error, /declined/i);
  assert.equal(await balance(page), before + 2600, 'nothing added');
  assert.equal(await topUp(page).getByLabel('Card number').inputValue(), '', 'the card number is not sent back');
});

s.step('the admin switches auto-recharge on', async ({ page }) => {
  await page.getByLabel('Buy credits automatically when the balance runs low').check();
  await page.getByLabel('When the balance drops below (credits)').fill('500');
  await page.getByLabel('Buy this many credits').fill('2000');
  await page.getByLabel('At most this many credits a month').fill('1000');
  await submit(page, page.getByRole('button', { name: 'Save auto-recharge' }));
  await checkA11y(page);
  assert.match(await fieldError(page.getByLabel('At most this many credits a month')), /at least the recharge amount/);
  await page.getByLabel('At most this many credits a month').fill('6000');
  await submit(page, page.getByRole('button', { name: 'Save auto-recharge' }));
  await checkA11y(page);
  assert.match((await toastTexts(page, 'status')).join(' '), /Auto-recharge is on: 2,000 credits/);
  assert.ok(await page.getByLabel('Buy credits automatically when the balance runs low').isChecked());
});
