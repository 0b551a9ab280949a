// Drives the aperture dashboard in headless Chromium (run by
// browser_test.go, which starts the gateway and sets BASE_URL, CHROMIUM,
// SCREENSHOTS and USER_DATA_DIR). Every page is loaded at desktop and
// phone width, its key content checked and a screenshot written; a config
// change is saved through Settings; any console error fails the run.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const base = process.env.BASE_URL;
const shots = process.env.SCREENSHOTS || 'screenshots';
mkdirSync(shots, { recursive: true });

const context = await chromium.launchPersistentContext(process.env.USER_DATA_DIR, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
});

const failures = [];
const consoleErrors = [];
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) { failures.push(what); }
}

const page = context.pages()[0] || await context.newPage();
page.setDefaultTimeout(15000);
page.on('console', (m) => { if (m.type() === 'error') { consoleErrors.push(`${page.url()}: ${m.text()}`); } });
page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));

async function text(sel) { return (await page.locator(sel).first().innerText()).trim(); }
async function has(sel) { return (await page.locator(sel).count()) > 0; }

// visit loads path, runs checks, and screenshots it at both widths,
// checking the phone layout does not scroll sideways.
async function visit(name, path, checks) {
  await page.setViewportSize({ width: 1280, height: 900 });
  const res = await page.goto(base + path, { waitUntil: 'load' });
  check(res.status() === 200, `${name}: HTTP ${res.status()}`);
  await checks();
  await page.screenshot({ path: join(shots, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `${name}: no sideways scrolling on a phone (overflow ${overflow}px)`);
  await page.screenshot({ path: join(shots, `${name}-phone.png`), fullPage: true });
}

await visit('dashboard', '/ui/', async () => {
  check((await text('h1')) === 'Your usage', 'dashboard: heading');
  check(await has('svg.chart rect'), 'dashboard: chart has bars');
  check((await page.locator('.legend li').count()) >= 2, 'dashboard: legend lists models');
  check((await page.content()).includes('daily:(loopback)'), 'dashboard: quota balance shown');
  check(await has('a[href^="/ui/logs/"]'), 'dashboard: recent requests link to details');
  const limit = async (bucket) => {
    const card = page.locator(`.limits li.card[data-bucket="${bucket}"]`);
    if ((await card.count()) !== 1) { return {}; }
    const terms = await card.evaluate((el) => Object.fromEntries([...el.querySelectorAll('dt')].map(
      (dt) => [dt.textContent.trim(), dt.nextElementSibling.textContent.trim().replace(/\s+/g, ' ')])));
    console.log(`     ${bucket}: ${JSON.stringify(terms)}`);
    return terms;
  };
  const daily = await limit('daily:(loopback)');
  check(daily['Capacity'] === '$10.00' && daily['Refill rate'] === '$10.00/day', 'dashboard: limit capacity and rate');
  check(daily['In flight'] === '$0.50', 'dashboard: money held by the request in flight');
  check(/^in .+, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/.test(daily['Full again'] || ''), 'dashboard: when the limit is full again');
  check(daily['Applies to'] === 'every model you may use', 'dashboard: a limit on every model');
  const trial = await limit('openai-trial');
  check(trial['Full again'] === 'never refills' && trial['In flight'] === '$0', 'dashboard: a limit that never refills');
  check(trial['Applies to'] === 'gpt-4o, gpt-4o-mini', 'dashboard: a limit on some models');
  check(await page.locator('.limits meter').first().isVisible(), 'dashboard: balance meter visible');
});

// The spending limits on their own, at both widths, to look at.
for (const [width, height, name] of [[1280, 900, 'desktop'], [390, 844, 'phone']]) {
  await page.setViewportSize({ width, height });
  await page.locator('section.limits').screenshot({ path: join(shots, `limits-${name}.png`) });
}

await visit('dashboard-user', '/ui/dashboard/alice@example.com?days=30', async () => {
  check((await text('h1')) === 'Usage of alice@example.com', 'admin opens another user\'s dashboard');
});

await visit('logs', '/ui/logs', async () => {
  check((await page.locator('.sessions details').count()) >= 2, 'logs: sessions listed');
  const first = page.locator('.sessions details').filter({ hasText: 'sess-browser-1' });
  await first.locator('summary').click();
  check(await first.locator('table a').first().isVisible(), 'logs: a session expands to its requests');
});

await visit('logs-filtered', '/ui/logs?model=gpt-4o-mini&user=bob%40example.com', async () => {
  const body = await page.content();
  check(body.includes('bob@example.com') && !body.includes('sess-browser-1'), 'logs: filters by user and model');
});

// Open the detail of the browser's own first request.
await page.setViewportSize({ width: 1280, height: 900 });
await page.goto(base + '/ui/logs?session=sess-browser-1');
const detailPath = await page.locator('table a[href^="/ui/logs/"]').first().getAttribute('href');
await visit('request', detailPath, async () => {
  check((await text('h1')).startsWith('Request'), 'request: heading');
  const body = await page.content();
  check(body.includes('Tokens and cost') && body.includes('1,200'), 'request: tokens shown');
  check(body.includes('REDACTED') || !body.includes('sk-'), 'request: no secrets');
  check(body.includes('respond with:'), 'request: captured body shown');
});

await visit('tooluse', '/ui/tooluse', async () => {
  check((await text('h1')) === 'Tool use', 'tool use: heading');
  check((await text('#tooluse-scope')).includes('read from captured answers'), 'tool use: says it reads captures, and how many');
  check(await has('nav a[href="/ui/tooluse"][aria-current="page"]'), 'tool use: in the menu');
});

await visit('models', '/ui/models', async () => {
  const body = await page.content();
  check(body.includes('claude-sonnet-4-5') && body.includes('$3.00') && body.includes('$15.00'), 'models: prices per million');
  check(body.includes('/v1/chat/completions'), 'models: endpoints');
});

await visit('adoption', '/ui/adoption', async () => {
  check(await has('svg.chart rect'), 'adoption: active users chart');
  check((await page.content()).includes('alice@example.com'), 'adoption: top users');
  const href = await page.locator('a', { hasText: 'Download CSV' }).getAttribute('href');
  const csv = await (await page.request.get(base + href)).text();
  check(csv.startsWith('date,user,model'), 'adoption: CSV downloads');
});

await visit('connect', '/ui/connect', async () => {
  check((await text('#code-claude-code')).includes(`ANTHROPIC_BASE_URL=${base}`), 'connect: real base URL');
  check((await page.locator('button.copy').count()) >= 5, 'connect: copy buttons');
});

await visit('settings', '/ui/settings', async () => {
  const editor = page.locator('#config');
  const original = await editor.inputValue();
  check(original.includes('…(masked)') && !original.includes('browser-test-key'), 'settings: keys masked');
  await page.click('#validate');
  await page.locator('.notice.ok').waitFor();
  check((await text('#messages')).includes('No problems found'), 'settings: validates');
  // An error (a stray brace) is refused with its line number, and
  // nothing is saved. The browser logs the expected 422 answer as a
  // console error: drop exactly that one.
  await editor.fill(original + '\n}');
  const before = consoleErrors.length;
  await page.click('#save');
  await page.locator('.notice.error').waitFor();
  const expected = consoleErrors.splice(before).filter((e) => !e.includes('status of 422'));
  consoleErrors.push(...expected);
  const msg = await text('#messages');
  check(/line \d+/.test(msg) && msg.includes('error'), 'settings: a bad save lists problems by line');
  await page.screenshot({ path: join(shots, 'settings-error-desktop.png'), fullPage: true });
  // A warning alone (a typo) does not stop a save: it is saved, and
  // listed with its line.
  await editor.fill(original.replace('"providers"', '"provders_typo": {},\n  "providers"'));
  await page.click('#save');
  await page.locator('.notice.warn').waitFor();
  const warned = await text('#messages');
  check(warned.includes('Saved and applied, with 1 warning') && warned.includes('provders_typo'), 'settings: a save with warnings saves and lists them');
  // A good change saves.
  await editor.fill('// saved from the browser test\n' + original);
  await page.click('#save');
  await page.locator('.notice.ok').waitFor();
  check((await text('#messages')).includes('Saved and applied'), 'settings: saves');
});

await page.goto(base + '/ui/no-such-page');
check((await page.content()).includes('no such page'), 'unknown page: friendly 404');
consoleErrors.splice(0, consoleErrors.length, ...consoleErrors.filter((e) => !e.includes('/ui/no-such-page')));

await context.close();
for (const e of consoleErrors) { console.log(`console error: ${e}`); }
check(consoleErrors.length === 0, 'no console errors');
console.log(`${failures.length === 0 ? 'PASS' : 'FAIL'}: ${failures.length} failed checks`);
process.exit(failures.length === 0 ? 0 : 1);
