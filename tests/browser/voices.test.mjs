// Settings → Voices, as an Admin does it: plays a library preview, filters
// the library, sets a default voice; connects the workspace's own
// ElevenLabs account (a mock: a wrong key is refused by the field, the
// right one shows only its account label); opens Clone a voice, checks a short
// upload (refused, the clone button disabled), records a take with
// Chromium's fake microphone (timer and level meter move, it stops itself
// at 20 s), records and removes a second take, uploads a longer file,
// checks quality again (numbers and verdict), is told by the field to
// confirm consent, clones in the sandbox, sees PROCESSING turn READY
// without a reload, plays the clone, reads the consent record, renames it,
// sets it as default, sees it offered on the agent form, deletes it (at
// ElevenLabs too) and removes the key. A Member cannot open Settings → Voices.
//
// The fake microphone plays a WAV written below: speech-like bursts
// (a gliding 100–170 Hz voice with harmonics shaped by two moving
// formants, in syllables and phrases with pauses), which the server's
// energy-based voice activity detector counts as speech.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { after } from 'node:test';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  assert, checkA11y, createWorkspace, eventually, fieldError, newUser, runCli, scenario, signUp, submit, switchTo,
  toastTexts, visible,
} from './helpers.mjs';
import { startElevenLabsMock } from './elevenlabs_mock.mjs';

/** Mono 16-bit PCM WAV of `seconds` of speech-like sound. */
function speechLikeWav(seconds, { rate = 16000, seed = 7 } = {}) {
  const n = Math.round(seconds * rate);
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + n * 2, 4);
  buf.write('WAVEfmt ', 8, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(n * 2, 40);
  let phase = 0;
  let noise = seed;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const inPhrase = t % 2.6 < 2.1; // phrases of 2.1 s, pauses of 0.5 s
    const syllable = t % 0.26;
    const voiced = inPhrase && syllable < 0.2;
    const env = voiced ? Math.sin((Math.PI * syllable) / 0.2) ** 0.6 : 0;
    const f0 = 135 + 25 * Math.sin(2 * Math.PI * 0.6 * t) + 10 * Math.sin(2 * Math.PI * 2.9 * t);
    phase += (2 * Math.PI * f0) / rate;
    const f1 = 500 + 250 * Math.sin(2 * Math.PI * 3.7 * t);
    const f2 = 1500 + 500 * Math.sin(2 * Math.PI * 2.3 * t + 1);
    let x = 0;
    for (let h = 1; h <= 20; h++) {
      const fh = f0 * h;
      const w = Math.exp(-(((fh - f1) / 180) ** 2)) + 0.6 * Math.exp(-(((fh - f2) / 250) ** 2)) + 0.05 / h;
      x += w * Math.sin(h * phase);
    }
    noise = (noise * 1103515245 + 12345) % 2147483648;
    const hiss = ((noise / 2147483648) - 0.5) * 0.002; // a quiet room, not digital silence
    const v = Math.max(-1, Math.min(1, x * env * 0.25 + hiss));
    buf.writeInt16LE(Math.round(v * 32767), 44 + i * 2);
  }
  return buf;
}

const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-voices-'));
const micFile = path.join(dir, 'microphone.wav');
writeFileSync(micFile, speechLikeWav(30, { rate: 48000 }));
const shortFile = { name: 'hello.wav', mimeType: 'audio/wav', buffer: speechLikeWav(3, { seed: 3 }) };
const longFile = { name: 'reading.wav', mimeType: 'audio/wav', buffer: speechLikeWav(16, { seed: 11 }) };

// The workspace brings its own ElevenLabs key; its clones go to this mock,
// which takes a few seconds to clone (so the page shows PROCESSING first).
const KEY = 'sk_acme_0123456789abcdef';
const mock = await startElevenLabsMock({ key: KEY, preview: speechLikeWav(2, { seed: 5 }), cloneDelayMs: 5000 });
after(() => mock.close());

const s = scenario('voices', {
  env: { SWITCHBOARD_ELEVENLABS_API_BASE: mock.url },
  browserArgs: [
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-audio-capture=${micFile}`,
    '--autoplay-policy=no-user-gesture-required',
  ],
});
const ada = newUser('ada');
const mo = newUser('mo');
let wsId;
let voicePath;

/** Waits until the <audio> has loaded its metadata and says how long it is. */
async function audioLoads(audio) {
  const info = await audio.evaluate((a) => new Promise((resolve) => {
    const done = () => resolve({ readyState: a.readyState, duration: a.duration, error: a.error && a.error.code });
    if (a.readyState >= 1) return done();
    a.addEventListener('loadedmetadata', done, { once: true });
    a.addEventListener('error', done, { once: true });
    a.preload = 'auto';
    a.load();
  }));
  assert.equal(info.error, null, `the audio failed to load (MediaError ${info.error})`);
  assert.ok(info.readyState >= 1 && info.duration > 0, `the audio should load: ${JSON.stringify(info)}`);
  return info;
}

/** The preview route answers audio. */
async function answersAudio(page, src) {
  const r = await page.request.get(src);
  assert.equal(r.status(), 200, `GET ${src}`);
  assert.match(r.headers()['content-type'] || '', /^audio\//, `content-type of ${src}`);
  assert.ok((await r.body()).length > 1000, `${src} should carry a real clip`);
}

s.step('an Admin opens Settings → Voices from the sidebar', async ({ page }) => {
  await page.goto('/signup');
  await signUp(page, ada);
  await createWorkspace(page, 'Acme Voice');
  wsId = (await (await page.request.get('/api/v1/workspace')).json()).id;
  await page.getByRole('link', { name: 'Settings', exact: true }).click();
  await page.waitForURL((u) => u.pathname.startsWith('/settings/'));
  await checkA11y(page, { label: 'settings' });
  await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Voices' }).click();
  await page.waitForURL((u) => u.pathname === '/settings/voices');
  await checkA11y(page, { label: 'voices' });
  assert.equal(await page.getByRole('link', { name: 'Voices', exact: true }).getAttribute('aria-current'), 'page');
  await page.getByText('No custom voices yet.').waitFor();
});

s.step('a library preview plays in the page', async ({ page }) => {
  const cards = page.locator('[data-library-voice]');
  assert.ok((await cards.count()) >= 8, 'the sandbox library lists its stock voices');
  const first = cards.first();
  const name = (await first.locator('h3').textContent()).trim();
  const audio = first.getByLabel(`Preview of ${name}`);
  await answersAudio(page, await audio.getAttribute('src'));
  await audioLoads(audio);
  await audio.evaluate((a) => a.play());
  await eventually(async () => assert.ok(await audio.evaluate((a) => !a.paused && a.currentTime > 0), 'the preview should be playing'));
  await audio.evaluate((a) => a.pause());
});

s.step('the library filters by language and gender, and a voice becomes the default', async ({ page }) => {
  const language = page.getByLabel('Language');
  const options = await language.locator('option').evaluateAll((os) => os.map((o) => ({ value: o.value, label: o.textContent.trim() })));
  assert.ok(options.length >= 3, `several languages to filter by: ${JSON.stringify(options)}`);
  const all = await page.locator('[data-library-voice]:visible').count();
  const pick = options.find((o) => o.value && o.value !== 'en') || options[1];
  await language.selectOption(pick.value);
  await eventually(async () => {
    const langs = await page.locator('[data-library-voice]:visible').evaluateAll((cs) => cs.map((c) => c.dataset.language));
    assert.ok(langs.length > 0 && langs.length < all, `some voices, not all (${langs.length} of ${all})`);
    assert.ok(langs.every((l) => l.toLowerCase().split('-')[0] === pick.value), `only ${pick.label}: ${langs}`);
  });
  assert.equal(new URL(page.url()).searchParams.get('language'), pick.value, 'the address keeps the filter');
  // The same filter without JavaScript: the GET form's page.
  await page.goto(`/settings/voices?language=en&gender=FEMALE`);
  await checkA11y(page, { label: 'filtered' });
  const shown = await page.locator('[data-library-voice]:visible').evaluateAll((cs) => cs.map((c) => [c.dataset.language, c.dataset.gender]));
  assert.ok(shown.length > 0, 'English female voices are listed');
  assert.ok(shown.every(([l, g]) => l.startsWith('en') && g === 'FEMALE'), JSON.stringify(shown));
  const card = page.locator('[data-library-voice]:visible').first();
  const name = (await card.locator('h3').textContent()).trim();
  await submit(page, card.getByRole('button', { name: /Set as default/ }));
  await page.waitForURL((u) => u.pathname === '/settings/voices');
  await checkA11y(page, { label: 'default set' });
  await page.getByRole('status').filter({ hasText: 'Default voice saved' }).waitFor();
  assert.match(await page.locator('#default-voice').textContent(), new RegExp(`Default voice: ${name}`));
});

s.step("the Admin connects the workspace's own ElevenLabs account", async ({ page }) => {
  const card = page.getByRole('region', { name: 'Your ElevenLabs account' });
  await card.getByLabel('ElevenLabs API key').fill('sk_wrong');
  await submit(page, card.getByRole('button', { name: 'Verify and save key' }));
  await checkA11y(page, { label: 'refused key' });
  assert.match(await fieldError(page.getByLabel('ElevenLabs API key')), /ElevenLabs refused this key/);
  await page.getByLabel('ElevenLabs API key').fill(KEY);
  await submit(page, page.getByRole('button', { name: 'Verify and save key' }));
  await page.waitForURL((u) => u.pathname === '/settings/voices');
  await checkA11y(page, { label: 'key saved' });
  await page.getByRole('status').filter({ hasText: 'ElevenLabs key verified and saved' }).waitFor();
  assert.match(await page.locator('#elevenlabs-account').textContent(), /Connected\s+Ada \(creator\)/);
  assert.ok(!(await page.content()).includes(KEY), 'the key is never shown again');
  assert.equal(await page.getByLabel('ElevenLabs API key').count(), 0);
});

s.step('Clone a voice: a short upload is refused by the quality check', async ({ page }) => {
  await page.getByRole('link', { name: 'Clone a voice' }).first().click();
  await page.waitForURL((u) => u.pathname === '/settings/voices/clone');
  await checkA11y(page, { label: 'clone' });
  await visible(page.getByLabel('Name', { exact: true })).fill('Support voice');
  await page.getByLabel('Language').selectOption({ label: 'English' });
  await page.getByLabel('Gender').selectOption({ label: 'Female' });
  await page.getByLabel('Description').fill('Warm and calm.');
  const clone = page.getByRole('button', { name: /^Clone voice/ });
  assert.ok(await clone.isDisabled(), 'nothing to clone yet');
  await page.getByLabel('Upload samples').setInputFiles([shortFile]);
  await page.getByRole('button', { name: 'Check quality' }).click();
  const report = page.locator('#quality-report[data-checked]');
  await report.waitFor();
  await checkA11y(page, { label: 'refused report' });
  assert.equal(await report.getAttribute('data-acceptable'), 'false');
  assert.match(await page.locator('#quality-verdict').textContent(), /Not enough speech/);
  assert.equal(await report.locator('tbody tr').count(), 1, 'one sample: the empty recorder input sends nothing');
  assert.match(await report.locator('tbody tr').first().textContent(), /hello\.wav.*16,000 Hz.*Mono/s);
  assert.ok(await clone.isDisabled(), 'the clone button is disabled for refused samples');
  assert.match(await page.locator('#clone-hint').textContent(), /cannot be cloned/);
  assert.equal(new URL(page.url()).pathname, '/settings/voices/clone', 'the check did not leave the page');
});

s.step('a take is recorded with a running timer and level meter and stops itself at 20 s', async ({ page }) => {
  await page.getByRole('button', { name: 'Record', exact: true }).click();
  const timer = page.getByRole('timer');
  await eventually(async () => {
    const secs = Number(await timer.getAttribute('data-seconds'));
    assert.ok(secs >= 1, `the timer runs (${secs} s)`);
  }, { timeout: 15_000 });
  await eventually(async () => {
    const level = await page.getByLabel('Level').evaluate((m) => m.value);
    assert.ok(level > 0.1, `the level meter moves (${level})`);
  });
  assert.match(await timer.textContent(), /^0:\d\d \/ 0:20$/);
  assert.ok(await page.getByRole('button', { name: 'Stop recording' }).isEnabled());
  await checkA11y(page, { label: 'recording' });
  await page.getByText('Stopped at 20 seconds.').waitFor({ timeout: 40_000 });
  const takes = page.getByRole('list', { name: 'Recorded takes' }).getByRole('listitem');
  assert.equal(await takes.count(), 1);
  assert.match(await takes.first().textContent(), /Take 1 · take-1\.wav · 0:(19|20)/);
  await audioLoads(takes.first().getByLabel('Play take 1'));
});

s.step('a second take can be recorded, stopped and removed', async ({ page }) => {
  await page.getByRole('button', { name: 'Record', exact: true }).click();
  await eventually(async () => assert.ok(Number(await page.getByRole('timer').getAttribute('data-seconds')) >= 1.5));
  await page.getByRole('button', { name: 'Stop recording' }).click();
  const takes = page.getByRole('list', { name: 'Recorded takes' }).getByRole('listitem');
  await eventually(async () => assert.equal(await takes.count(), 2));
  await takes.nth(1).getByRole('button', { name: 'Remove take 2' }).click();
  await eventually(async () => assert.equal(await takes.count(), 1));
});

s.step('with the take and a longer upload the report passes with a warning', async ({ page }) => {
  await page.getByLabel('Upload samples').setInputFiles([longFile]);
  await page.getByRole('button', { name: 'Check quality' }).click();
  const report = page.locator('#quality-report[data-checked][data-acceptable="true"]');
  await report.waitFor({ timeout: 30_000 });
  await checkA11y(page, { label: 'report' });
  const rows = report.locator('tbody tr');
  assert.equal(await rows.count(), 2);
  const take = await rows.filter({ hasText: 'take-1.wav' }).textContent();
  assert.match(take, /\d+\.\d s/, 'speech duration');
  assert.match(take, /\d\d,\d{3} Hz/, 'the take is PCM at the device rate');
  assert.match(take, /LUFS/, 'loudness');
  assert.match(take, /%/, 'clipping and silence shares');
  assert.match(await rows.filter({ hasText: 'reading.wav' }).textContent(), /16,000 Hz/);
  const speech = parseFloat(await page.locator('#report-speech').textContent());
  assert.ok(speech >= 10 && speech < 60, `total speech between 10 and 60 s: ${speech}`);
  assert.match(await page.locator('#quality-verdict').textContent(), /Enough, more is better/);
  assert.ok(await page.getByRole('button', { name: /^Clone voice/ }).isEnabled());
  assert.equal(await page.getByRole('list', { name: 'Recorded takes' }).getByRole('listitem').count(), 1, 'the take is still there');
});

s.step('cloning without consent is refused by the consent box', async ({ page }) => {
  await page.getByRole('button', { name: /^Clone voice/ }).click();
  const consent = page.getByRole('checkbox', { name: /I confirm that I have the right to clone this voice/ });
  assert.match(await fieldError(consent), /Confirm the consent statement/);
  assert.equal(new URL(page.url()).pathname, '/settings/voices/clone');
  await checkA11y(page, { label: 'consent error' });
});

s.step('with consent the clone is made: PROCESSING turns READY without a reload', async ({ page }) => {
  await page.getByRole('checkbox', { name: /I confirm that I have the right/ }).check();
  let loads = 0;
  await submit(page, page.getByRole('button', { name: /^Clone voice/ }));
  await page.waitForURL((u) => /^\/settings\/voices\/vce_/.test(u.pathname));
  voicePath = new URL(page.url()).pathname;
  page.on('load', () => { loads += 1; });
  await checkA11y(page, { label: 'voice page' });
  await page.getByRole('status').filter({ hasText: 'Cloning Support voice' }).waitFor();
  const badge = page.locator('#voice-badge');
  assert.equal((await badge.textContent()).trim(), 'Processing', 'a new clone is Processing');
  await page.locator('#voice-progress').waitFor();
  assert.equal(await page.getByLabel('Preview of Support voice').count(), 0, 'no player before it is ready');
  await eventually(async () => assert.equal((await badge.textContent()).trim(), 'Ready'), { timeout: 30_000 });
  await page.getByLabel('Preview of Support voice').waitFor();
  assert.match(await page.locator('#voice-details').textContent(), /ElevenLabs · Your ElevenLabs account/);
  assert.ok(mock.calls.includes('POST /v1/voices/add'), 'cloned in the workspace\'s own account');
  assert.equal(loads, 0, 'the page changed without a reload');
  await checkA11y(page, { label: 'ready' });
});

s.step('the clone plays and its consent record is on its page', async ({ page }) => {
  const audio = page.getByLabel('Preview of Support voice');
  await answersAudio(page, await audio.getAttribute('src'));
  await audioLoads(audio);
  assert.match(await page.locator('#consent-statement').textContent(), /I confirm that I have the right to clone this voice/);
  const facts = await page.locator('#consent-facts').textContent();
  assert.ok(facts.includes(ada.email), 'who confirmed');
  assert.match(facts, /127\.0\.0\.1|::1/, 'from which address');
  const rows = page.locator('table.consent-samples tbody tr');
  assert.equal(await rows.count(), 2);
  for (const text of await rows.allTextContents()) {
    assert.match(text, /[0-9a-f]{64}/, 'each sample has its SHA-256');
    assert.match(text, /Hz/, 'and its quality numbers');
  }
});

s.step('the Admin renames the clone and sets it as the default', async ({ page }) => {
  await visible(page.getByLabel('Name', { exact: true })).fill('Support voice v2');
  await submit(page, page.getByRole('button', { name: 'Save voice' }));
  await page.waitForURL((u) => u.pathname === voicePath);
  await checkA11y(page, { label: 'renamed' });
  await page.getByRole('status').filter({ hasText: 'Voice saved.' }).waitFor();
  assert.match(await page.getByRole('heading', { level: 1 }).textContent(), /Support voice v2/);
  assert.deepEqual([...mock.clones.values()].map((v) => v.name), ['Support voice v2'], 'renamed at ElevenLabs too');
  await submit(page, page.getByRole('button', { name: 'Set as default' }));
  await page.waitForURL((u) => u.pathname === voicePath);
  await checkA11y(page, { label: 'default' });
  await page.locator('#voice-default-badge').waitFor();
  await page.goto('/settings/voices');
  await checkA11y(page, { label: 'list with clone' });
  assert.match(await page.locator('#default-voice').textContent(), /Default voice: Support voice v2/);
  const row = page.locator('table.custom-voices tbody tr').filter({ hasText: 'Support voice v2' });
  assert.match(await row.textContent(), /Ready/);
  assert.match(await row.textContent(), /Default/);
});

s.step('the agent form offers the clone and names the workspace default', async ({ page }) => {
  await page.goto('/agents/new');
  await checkA11y(page, { label: 'new agent' });
  const select = page.getByLabel('Default voice');
  const groups = await select.locator('optgroup').evaluateAll((gs) => gs.map((g) => [g.label, [...g.children].map((o) => o.textContent.trim())]));
  const mine = groups.find(([label]) => label === 'Your voices');
  assert.ok(mine && mine[1].some((t) => t.startsWith('Support voice v2')), `the clone is offered: ${JSON.stringify(groups)}`);
  assert.ok(groups.some(([label, opts]) => label === 'Library' && opts.length >= 8), 'and the library');
  assert.equal((await select.locator('option[value=""]').textContent()).trim(), 'Workspace default (Support voice v2)');
});

s.step('the Admin deletes the clone through the confirmation', async ({ page }) => {
  await page.goto(voicePath);
  await checkA11y(page, { label: 'before delete' });
  await page.getByRole('button', { name: 'Delete voice' }).click();
  const dialog = page.getByRole('dialog', { name: /Delete Support voice v2\?/ });
  await dialog.waitFor();
  await checkA11y(page, { label: 'delete dialog' });
  await submit(page, dialog.getByRole('button', { name: 'Delete Support voice v2' }));
  await page.waitForURL((u) => u.pathname === '/settings/voices');
  await checkA11y(page, { label: 'deleted' });
  await page.getByRole('status').filter({ hasText: 'Support voice v2 deleted.' }).waitFor();
  await page.getByText('No custom voices yet.').waitFor();
  assert.match(await page.locator('#default-voice').textContent(), /No default voice/);
  await eventually(() => assert.equal(mock.clones.size, 0, 'deleted at ElevenLabs too'));
});

s.step("the Admin removes the workspace's ElevenLabs key through the confirmation", async ({ page }) => {
  await page.getByRole('button', { name: 'Remove key' }).click();
  const dialog = page.getByRole('dialog', { name: /Remove the ElevenLabs key\?/ });
  await dialog.waitFor();
  await checkA11y(page, { label: 'remove key dialog' });
  await submit(page, dialog.getByRole('button', { name: 'Remove key' }));
  await page.waitForURL((u) => u.pathname === '/settings/voices');
  await checkA11y(page, { label: 'key removed' });
  await page.getByRole('status').filter({ hasText: 'ElevenLabs key removed' }).waitFor();
  await page.getByLabel('ElevenLabs API key').waitFor();
});

s.step('a Member cannot reach Settings → Voices', async ({ s: sc }) => {
  const moPage = await sc.newPage();
  await moPage.goto('/signup');
  await signUp(moPage, mo);
  await createWorkspace(moPage, 'Mo Home');
  runCli(sc.server, ['members', 'add', '--workspace', wsId, '--email', mo.email, '--role', 'member']);
  await moPage.goto('/');
  await switchTo(moPage, 'Acme Voice');
  await checkA11y(moPage);
  for (const p of ['/settings/voices', '/settings/voices/clone']) {
    await moPage.goto(p);
    await eventually(() => assert.ok(!new URL(moPage.url()).pathname.startsWith('/settings'), `a Member should not stay on ${p}`));
    await checkA11y(moPage, { label: `refused ${p}` });
    await eventually(async () => {
      const alerts = await toastTexts(moPage, 'alert');
      assert.ok(alerts.some((t) => /permission/i.test(t)), `a permission toast: ${JSON.stringify(alerts)}`);
    });
  }
});
