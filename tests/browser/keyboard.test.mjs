// The sign-in form and Settings → General work with the keyboard alone, and
// every focused element is visibly focused.
import { assert, checkA11y, createWorkspace, newUser, scenario, signUp, submit } from './helpers.mjs';

const s = scenario('keyboard');
const user = newUser('kay');
let kb; // the keyboard-only browser context's page

/** Describes the focused element: what it is, whether a focus indicator is drawn, whether it is on screen. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const cs = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
    const shadow = Boolean(cs.boxShadow) && cs.boxShadow !== 'none';
    const label = el.getAttribute('aria-label') || el.labels?.[0]?.textContent || el.textContent || el.name || '';
    return {
      what: `<${el.tagName.toLowerCase()}> "${label.replace(/\s+/g, ' ').trim().slice(0, 40)}"`,
      indicator: outline || shadow,
      onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth,
    };
  });
}

async function assertVisiblyFocused(page) {
  const f = await focused(page);
  assert.ok(f, 'something has focus');
  assert.ok(f.onScreen, `${f.what} has focus but is off screen`);
  assert.ok(f.indicator, `${f.what} has focus but no visible focus indicator (outline or box-shadow)`);
  return f;
}

/** Presses Tab until the locator's element has focus, checking each stop on the way is visibly focused. */
async function tabTo(page, locator, max = 60) {
  const stops = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await assertVisiblyFocused(page);
    stops.push(f.what);
    if (await locator.evaluate((el) => el === document.activeElement)) return stops;
  }
  assert.fail(`did not reach the field with Tab in ${max} presses; stops: ${stops.join(', ')}`);
}

async function selectAllAndType(page, text) {
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Backspace');
  await page.keyboard.type(text);
}

s.step('setup: a user with a workspace exists', async ({ page }) => {
  await page.goto('/signup');
  await signUp(page, user);
  await createWorkspace(page, 'Keyboard Works');
});

s.step('the sign-in form is completed with Tab, typing and Enter', async ({ s: sc }) => {
  kb = await sc.newPage();
  await kb.goto('/signin');
  await checkA11y(kb);
  await tabTo(kb, kb.getByLabel('Email', { exact: true }));
  await kb.keyboard.type(user.email);
  await kb.keyboard.press('Tab');
  assert.ok(await kb.getByLabel('Password', { exact: true }).evaluate((el) => el === document.activeElement), 'Tab from Email goes to Password');
  await assertVisiblyFocused(kb);
  await kb.keyboard.type(user.password);
  await submit(kb, () => kb.keyboard.press('Enter'));
  await kb.waitForURL((u) => u.pathname !== '/signin');
  await checkA11y(kb);
});

s.step('the General settings form is edited and saved with the keyboard', async () => {
  await kb.goto('/settings/general');
  await checkA11y(kb);
  const name = kb.getByLabel('Workspace Name');
  await tabTo(kb, name);
  await selectAllAndType(kb, 'Keyboard Co');
  await submit(kb, () => kb.keyboard.press('Enter'));
  await checkA11y(kb);
  await kb.goto('/settings/general');
  await checkA11y(kb);
  assert.equal(await name.inputValue(), 'Keyboard Co', 'Enter in Workspace Name saved it');

  const website = kb.getByLabel('Company Website');
  await tabTo(kb, website);
  await selectAllAndType(kb, 'keyboard.example');
  await tabTo(kb, kb.getByRole('button', { name: 'Save changes' }), 10);
  await submit(kb, () => kb.keyboard.press('Enter'));
  await checkA11y(kb);
  await kb.goto('/settings/general');
  await checkA11y(kb);
  assert.equal(await website.inputValue(), 'https://keyboard.example', 'the Save changes button, pressed with Enter, saved it');
  assert.equal(await name.inputValue(), 'Keyboard Co');
});

s.step('the Workspace Switcher and User Menu open with the keyboard', async () => {
  await kb.goto('/');
  await checkA11y(kb);
  await tabTo(kb, kb.locator('details.switcher > summary'));
  await kb.keyboard.press('Enter');
  assert.ok(await kb.locator('details.switcher').evaluate((d) => d.open), 'Enter opens the switcher');
  await kb.keyboard.press('Enter'); // closes it again
  await tabTo(kb, kb.locator('details.user-menu > summary'));
  await kb.keyboard.press('Enter');
  assert.ok(await kb.locator('details.user-menu').evaluate((d) => d.open), 'Enter opens the User Menu');
  await checkA11y(kb, { label: 'user menu open' });
});
