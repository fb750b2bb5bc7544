// Browser tests of the Sharepack portal, in Debian's Chromium driven by playwright-core.
// The portal must already run at SHAREPACK_URL (scripts/test.sh starts it). Each test gets a
// fresh browser context; the script prints one line per test and closes with
// "N passed, N failed", exiting non-zero on any failure.
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const samples = join(here, '..', 'samples');
const results = join(here, 'results');
mkdirSync(results, { recursive: true });
const base = (process.env.SHAREPACK_URL || 'http://127.0.0.1:3000').replace(/\/$/, '');

const tests = [];
const test = (name, fn, options = {}) => tests.push({ name, fn, options });

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function waitForServer() {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${base}/workflow/health`);
      if (response.ok) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the portal did not answer at ${base}`);
}

/** Opens the home page and waits until the WASM has hydrated it. */
async function hydratedHome(page) {
  await page.goto(`${base}/`);
  await page.waitForSelector('.app[data-hydrated="true"]', { timeout: 20_000 });
}

/** Drags a file onto the drop zone, as a user dragging it from their desktop would. */
async function dropFile(page, relative, type = '') {
  await dropBytes(page, relative.split('/').pop(), readFileSync(join(samples, relative)), type);
}

/** A small valid pack with names of its own, so that runs of different tests never meet. */
function uniquePack(shareName, line = 'Testing') {
  const tag = Math.random().toString(36).slice(2, 8);
  const recipient = `e2e-partner-${tag}`;
  const share = `${shareName}_${tag}`;
  const yaml = `metadata:
  requestor: e2e@example.com
  project_name: E2E ${shareName} ${tag}
  business_line: ${line}
recipient:
  - name: ${recipient}
    type: D2O
    email: partner@example.org
share:
  - name: ${share}
    recipients: [${recipient}]
    data_objects: [catalog.schema.revenue_table]
`;
  return { name: `${share}.yaml`, bytes: Buffer.from(yaml), recipient, share };
}

/** Drops a unique pack and submits it from the preview; resolves on the run page. */
async function submitUniquePack(page, shareName, line = 'Testing') {
  const pack = uniquePack(shareName, line);
  await dropBytes(page, pack.name, pack.bytes);
  await waitForReport(page);
  await page.waitForSelector('#submit button:not([disabled])', { timeout: 20_000 });
  await page.click('#submit button');
  await page.waitForURL(/\/runs\/[0-9a-f-]{36}/, { timeout: 20_000 });
  await page.waitForSelector('#run', { timeout: 20_000 });
  await page.waitForSelector('.app[data-hydrated="true"]', { timeout: 20_000 });
  return pack;
}

async function dropBytes(page, name, bytes, type = '') {
  const dataTransfer = await page.evaluateHandle(({ name, b64, type }) => {
    const binary = atob(b64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name, { type }));
    return transfer;
  }, { name, b64: bytes.toString('base64'), type });
  await page.dispatchEvent('form.dropzone', 'dragenter', { dataTransfer });
  await page.dispatchEvent('form.dropzone', 'dragover', { dataTransfer });
  await page.dispatchEvent('form.dropzone', 'drop', { dataTransfer });
}

async function waitForReport(page) {
  await page.waitForURL(/\/uploads\/[0-9a-f-]{36}/, { timeout: 20_000 });
  await page.waitForSelector('#report', { timeout: 20_000 });
}

const text = async (page, selector) => (await page.locator(selector).allInnerTexts()).join('\n');

// Sign-in. The portal starts with no administrator and prints a one-time setup link to its log
// (SHAREPACK_LOG); the first tests make the administrator from it, who adds the people the
// other tests act as. Each person's signed-in browser state is kept for their tests.
const logFile = process.env.SHAREPACK_LOG;
const password = 'correct horse battery staple';
const states = {};
const tokens = {};
const runs = {};
const moments = {};
// Every secret the tests see, for the test command to look for in logs and the database.
const secrets = { password, tokens: [], sessions: [], invitations: [], setup: [] };
const requesters = ['john.doe@jll.com', 'ann@example.com', 'e2e@example.com'];

/** A browser context signed in as `email` (made by the sign-in tests below). */
async function signedIn(browser, email, options = {}) {
  assert(states[email], `${email} has not signed in yet`);
  return browser.newContext({ ...options, storageState: states[email] });
}

async function keepState(context, email) {
  states[email] = await context.storageState();
  for (const cookie of states[email].cookies) {
    if (cookie.name.includes('sharepack_session')) {
      secrets.sessions.push(cookie.value);
      assert(cookie.httpOnly && cookie.sameSite === 'Lax', `the session cookie is HttpOnly and SameSite=Lax: ${JSON.stringify(cookie)}`);
    }
  }
}

/** Opens a page on another origin whose form posts `fields` to `action`, as an attacker's site would. */
async function forgedPage(page, action, fields) {
  const inputs = Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`).join('');
  const html = `<!doctype html><form id="f" method="post" action="${action}">${inputs}</form><script>document.getElementById('f').submit()</script>`;
  const server = createServer((request, response) => { response.setHeader('content-type', 'text/html'); response.end(html); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const answer = page.waitForResponse((response) => response.url() === action, { timeout: 20_000 });
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const response = await answer;
    return { status: response.status(), text: await response.text() };
  } finally {
    server.close();
  }
}

test('without a session, pages lead to the sign-in page and the REST API answers 401', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/sharepacks`);
  assert(page.url() === `${base}/signin?next=%2Fsharepacks`, `sent to sign in: ${page.url()}`);
  assert(await page.locator('#sign-in input[name=password]').count() === 1, 'a sign-in form');
  const api = await fetch(`${base}/workflow/sharepack/${crypto.randomUUID()}`);
  assert(api.status === 401 && (await api.json()).Code === 'unauthenticated', `REST answers 401: ${api.status}`);
  await context.close();
});

test('the first administrator is made from the one-time link in the log, which then stops working', async ({ browser }) => {
  const found = readFileSync(logFile, 'utf8').match(/setup_link=(\S+)/);
  assert(found, 'the log has the setup link');
  const link = found[1];
  secrets.setup.push(link);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(link);
  await page.fill('#setup input[name=email]', 'admin@example.com');
  await page.fill('#setup input[name=display_name]', 'Ada Admin');
  await page.fill('#setup input[name=password]', password);
  await Promise.all([page.waitForURL(`${base}/admin/people`), page.click('#setup button[type=submit]')]);
  await page.waitForSelector('#people tr[data-email="admin@example.com"]');
  assert((await text(page, '#people')).includes('admin for every business line'), 'the administrator holds the admin role');
  await keepState(context, 'admin@example.com');
  const again = await (await browser.newContext()).newPage();
  const response = await again.goto(link);
  assert(response.status() === 404 && (await again.textContent('h1')).includes('no longer works'), 'the link works once');
  await again.context().close();
  await context.close();
});

/** The administrator adds `email` with `role` (for `line`, or every business line); the link they get. */
async function addPerson(page, email, role, line = '') {
  await page.fill('#add-person input[name=email]', email);
  await page.selectOption('#add-person select[name=role]', role);
  await page.fill('#add-person input[name=business_line]', line);
  await page.click('#add-person button[type=submit]');
  await page.waitForFunction((email) => document.querySelector('#added-person')?.innerText.includes(email), email, { timeout: 20_000 });
  const link = await page.getAttribute('#added-person [data-invitation]', 'data-invitation');
  secrets.invitations.push(link);
  return link;
}

test('the administrator adds requesters, who set a password from their invitation and submit', async ({ browser }) => {
  const admin = await signedIn(browser, 'admin@example.com');
  const page = await admin.newPage();
  await page.goto(`${base}/admin/people`);
  await page.waitForSelector('.app[data-hydrated="true"]', { timeout: 20_000 });
  const invitations = {};
  for (const email of requesters) invitations[email] = await addPerson(page, email, 'requester');
  invitations['legal@example.com'] = await addPerson(page, 'legal@example.com', 'requester', 'Legal');
  invitations['approver@example.com'] = await addPerson(page, 'approver@example.com', 'approver', 'Examples');
  await page.reload();
  assert((await text(page, 'tr[data-email="legal@example.com"]')).includes('requester for Legal'), 'roles per business line are listed');
  await admin.close();
  for (const [email, link] of Object.entries(invitations)) {
    const context = await browser.newContext();
    const person = await context.newPage();
    await person.goto(link);
    await person.fill('#invitation input[name=password]', password);
    await Promise.all([person.waitForURL(`${base}/`), person.click('#invitation button[type=submit]')]);
    await person.waitForSelector(`.who[data-email="${email}"]`);
    await keepState(context, email);
    await context.close();
  }
  // The new requester submits a pack of their own.
  const context = await signedIn(browser, 'e2e@example.com');
  const person = await context.newPage();
  await hydratedHome(person);
  await submitUniquePack(person, 'e2e_first');
  assert((await text(person, '#run')).includes('e2e@example.com'), 'the run is recorded as theirs');
  await context.close();
});

test('signing out ends the session: the old cookie leads to sign-in, and signing in again works', async ({ browser }) => {
  const context = await signedIn(browser, 'ann@example.com');
  const page = await context.newPage();
  await hydratedHome(page);
  await Promise.all([page.waitForURL(/\/signin/), page.click('.signed-in button')]);
  const stale = await signedIn(browser, 'ann@example.com');
  const again = await stale.newPage();
  await again.goto(`${base}/sharepacks`);
  assert(again.url().includes('/signin?expired=1&next=%2Fsharepacks'), `the ended session is not accepted: ${again.url()}`);
  assert((await text(again, '#sign-in')).includes('Your session ended'), 'and the page says so');
  await again.fill('#sign-in input[name=email]', 'ann@example.com');
  await again.fill('#sign-in input[name=password]', 'not the password');
  await Promise.all([again.waitForURL(/__err=/), again.click('#sign-in button[type=submit]')]);
  assert((await text(again, '#sign-in .form-error')).includes('do not match an account'), 'a wrong password is refused');
  await again.fill('#sign-in input[name=email]', 'ann@example.com');
  await again.fill('#sign-in input[name=password]', password);
  await Promise.all([again.waitForURL(`${base}/sharepacks`), again.click('#sign-in button[type=submit]')]);
  await again.waitForSelector('.who[data-email="ann@example.com"]');
  await keepState(stale, 'ann@example.com');
  await stale.close();
  await context.close();
});

/** Makes a token on the Tokens page; the value shown once. */
async function makeToken(page, name, scopes) {
  await page.fill('#new-token input[name=name]', name);
  for (const scope of ['read', 'submit', 'approve']) {
    await page.setChecked(`#new-token input[name=${scope}]`, scopes.includes(scope));
  }
  await page.click('#new-token button[type=submit]');
  // The box still shows the previous token until this one comes back: wait for a new one.
  await page.waitForFunction((known) => {
    const shown = document.querySelector('#created-token [data-token]');
    return shown && !known.includes(shown.dataset.token);
  }, secrets.tokens, { timeout: 20_000 });
  const token = await page.getAttribute('#created-token [data-token]', 'data-token');
  secrets.tokens.push(token);
  await page.waitForSelector(`tr[data-token-name="${name}"]`, { timeout: 20_000 });
  return token;
}

test('people sign in through the organisation\'s identity provider, and its groups become their roles', async ({ browser }) => {
  assert(process.env.SHAREPACK_TEST_OIDC, 'the test command starts an OIDC provider (SHAREPACK_TEST_OIDC)');
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/sharepacks`);
  await page.waitForSelector('.app[data-hydrated="true"]', { timeout: 20_000 });
  await Promise.all([page.waitForURL(/\/interaction\//), page.click('text=Sign in with your organisation')]);
  await page.fill('input[name=login]', 'olga@example.com');
  await page.fill('input[name=password]', 'anything');
  await page.click('button[type=submit]');
  // The provider asks to share the profile with Sharepack once.
  await page.waitForSelector('form button[type=submit]');
  await Promise.all([page.waitForURL(`${base}/sharepacks`, { timeout: 20_000 }), page.click('form button[type=submit]')]);
  await page.waitForSelector('.who[data-email="olga@example.com"]', { timeout: 20_000 });
  const roles = await page.getAttribute('.signed-in', 'title');
  assert(roles === 'requester for Legal', `the group sp-legal-requesters gives requester for Legal: ${roles}`);
  await keepState(context, 'olga@example.com');
  await Promise.all([page.waitForURL(/\/signin/), page.click('.signed-in button')]);
  await page.goto(`${base}/sharepacks`);
  assert(page.url().includes('/signin'), 'signed out');
  await context.close();
  // The provider breaks the signature of Mallory's ID tokens: Sharepack refuses them.
  const forged = await browser.newContext();
  const mallory = await forged.newPage();
  await mallory.goto(`${base}/signin`);
  await mallory.waitForSelector('.app[data-hydrated="true"]', { timeout: 20_000 });
  await Promise.all([mallory.waitForURL(/\/interaction\//), mallory.click('text=Sign in with your organisation')]);
  await mallory.fill('input[name=login]', 'mallory@example.com');
  await mallory.fill('input[name=password]', 'anything');
  await mallory.click('button[type=submit]');
  await mallory.waitForSelector('form button[type=submit]');
  await Promise.all([mallory.waitForURL(/\/signin\?__err=/, { timeout: 20_000 }), mallory.click('form button[type=submit]')]);
  assert((await text(mallory, '#sign-in .form-error')).includes('could not be verified'), 'a tampered ID token is refused, and the page says so');
  assert(await mallory.locator('.who').count() === 0, 'nobody is signed in');
  await forged.close();
});

test('API tokens are made on the Tokens page, shown once, and stop working when revoked', async ({ browser }) => {
  const context = await signedIn(browser, 'ann@example.com');
  const page = await context.newPage();
  await page.goto(`${base}/tokens`);
  await page.waitForSelector('.app[data-hydrated="true"]', { timeout: 20_000 });
  tokens.ui = await makeToken(page, 'seed client', ['read', 'submit']);
  writeFileSync(join(results, 'ui-token.txt'), tokens.ui);
  const doomed = await makeToken(page, 'to revoke', ['read']);
  const ask = (token) => fetch(`${base}/workflow/sharepack/${crypto.randomUUID()}`, { headers: { Authorization: `Bearer ${token}` } });
  assert((await ask(tokens.ui)).status === 404, 'a token works');
  assert((await ask(doomed)).status === 404, 'so does the other');
  await page.click('tr[data-token-name="to revoke"] button');
  await page.waitForSelector('tr[data-token-name="to revoke"][data-state="revoked"]', { timeout: 20_000 });
  const refused = await ask(doomed);
  assert(refused.status === 401 && (await refused.json()).Code === 'token_invalid', `a revoked token is refused: ${refused.status}`);
  await page.reload();
  assert(!(await text(page, 'body')).includes(tokens.ui), 'the token is not shown again');
  assert((await text(page, 'tr[data-token-name="seed client"]')).includes('read,submit'), 'its scopes are listed');
  await context.close();
});

test('the home page is complete without JavaScript', async ({ browser }) => {
  const context = await signedIn(browser, 'john.doe@jll.com', { javaScriptEnabled: false });
  const page = await context.newPage();
  const response = await page.goto(`${base}/`);
  assert(response.status() === 200, `status ${response.status()}`);
  assert((await page.textContent('h1')).includes('Validate a share pack'), 'heading');
  assert(await page.getAttribute('form.dropzone', 'action') === '/api/upload_pack', 'the drop zone is a real form');
  assert(await page.getAttribute('form.dropzone', 'enctype') === 'multipart/form-data', 'multipart form');
  assert(await page.locator('a[href="/templates/sharepack-template.xlsx"]').count() === 1, 'Excel template link');
  assert((await page.textContent('.workspace.sandbox')).includes('Sandbox workspace'), 'the sandbox is labelled as such');
  await context.close();
});

test('the portal runs on the expected database', async () => {
  const wanted = process.env.SHAREPACK_BACKEND;
  const health = await (await fetch(`${base}/workflow/health`)).json();
  assert(health.DatabaseConnected === true && health.TablesCount > 0, JSON.stringify(health));
  assert(!wanted || health.Database === wanted, `expected ${wanted}, got ${health.Database}`);
});

test('the page hydrates without console errors', async ({ browser }) => {
  const context = await signedIn(browser, 'john.doe@jll.com');
  const page = await context.newPage();
  const errors = [];
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  page.on('pageerror', (error) => errors.push(error.message));
  await hydratedHome(page);
  assert(await page.locator('.workspace.sandbox').count() === 1, 'the sandbox badge survives hydration');
  assert(errors.length === 0, `console errors: ${errors.join(' | ')}`);
  await context.close();
});

test('dragging the sample YAML shows the pack', async ({ browser }) => {
  const context = await signedIn(browser, 'john.doe@jll.com');
  const page = await context.newPage();
  await hydratedHome(page);
  await dropFile(page, 'valid/finance.yaml', 'application/yaml');
  await waitForReport(page);
  assert(await page.getAttribute('#report', 'data-errors') === '0', 'no errors');
  assert((await text(page, '.verdict')).includes('Valid'), 'valid verdict');
  assert((await text(page, '.verdict .badge')).includes('YAML'), 'format badge');
  const recipients = await text(page, '#recipients');
  assert(recipients.includes('external-auditor') && recipients.includes('internal-analyst'), 'recipients listed');
  assert(recipients.includes('203.0.113.0/24, 198.51.100.50'), 'allowed IPs listed');
  assert(recipients.includes('line 12, column 5'), 'recipient source line shown');
  const shares = await text(page, '#shares');
  assert(shares.includes('finance_q1_share') && shares.includes('audit_log_share'), 'shares listed');
  assert(shares.includes('catalog.schema.revenue_table') && shares.includes('catalog.audit_schema.activity_log'), 'objects listed');
  assert((await text(page, '#metadata')).includes('Corporate Finance Q1 Data Share'), 'metadata shown');
  await page.screenshot({ path: join(results, 'finance-yaml.png'), fullPage: true });
  await context.close();
});

test('dragging the sample Excel shows the same pack with cell locations', async ({ browser }) => {
  const context = await signedIn(browser, 'john.doe@jll.com');
  const page = await context.newPage();
  await hydratedHome(page);
  await dropFile(page, 'valid/finance.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  await waitForReport(page);
  assert(await page.getAttribute('#report', 'data-errors') === '0', 'no errors');
  assert((await text(page, '.verdict .badge')).includes('Excel'), 'format badge');
  const recipients = await text(page, '#recipients');
  assert(recipients.includes('external-auditor') && recipients.includes('Recipients!A2'), 'recipient with its row');
  const shares = await text(page, '#shares');
  assert(shares.includes('finance_q1_share') && shares.includes('Shares!A2'), 'share with its row');
  await context.close();
});

test('an invalid pack lists located findings, and the errors-only filter hides the rest', async ({ browser }) => {
  const context = await signedIn(browser, 'ann@example.com');
  const page = await context.newPage();
  await hydratedHome(page);
  await dropFile(page, 'invalid/recipients.yaml');
  await waitForReport(page);
  assert((await text(page, '.verdict')).includes('errors to fix'), 'error verdict');
  const email = page.locator('li.finding[data-code="invalid_email"]');
  assert(await email.count() === 1, 'invalid e-mail reported');
  const emailText = await email.innerText();
  assert(emailText.includes('line 11, column 12') && emailText.includes('not-an-address'), `located: ${emailText}`);
  assert(emailText.includes('email: not-an-address'), 'the offending line is shown');
  assert(await page.locator('li.finding[data-severity="warning"]').count() > 0, 'warnings shown by default');
  await page.click('text=Only errors');
  await page.waitForURL(/only=errors/);
  await page.waitForFunction(() => document.querySelectorAll('li.finding[data-severity="warning"]').length === 0);
  assert(await page.locator('li.finding[data-severity="error"]').count() >= 10, 'errors remain');
  await page.click('.filters >> text=All');
  await page.waitForFunction(() => document.querySelectorAll('li.finding[data-severity="warning"]').length > 0);
  await page.screenshot({ path: join(results, 'invalid-recipients.png'), fullPage: true });
  await context.close();
});

test('a pack whose resources partly exist shows the switch, the counts and the plan', async ({ browser }) => {
  const created = await fetch(`${base}/sandbox/api/2.1/unity-catalog/recipients`, {
    method: 'POST',
    headers: { Authorization: 'Bearer dapi-sandbox', 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'sales-analyst', authentication_type: 'TOKEN' }),
  });
  assert(created.status === 200 || created.status === 409, `sandbox recipient: ${created.status}`);
  const context = await signedIn(browser, 'john.doe@jll.com');
  const page = await context.newPage();
  await hydratedHome(page);
  await dropFile(page, 'valid/sales.yaml');
  await waitForReport(page);
  await page.waitForSelector('#plan');
  assert(await page.getAttribute('#plan', 'data-strategy') === 'UPDATE', 'switched to UPDATE');
  const plan = await text(page, '#plan');
  assert(plan.includes('Auto-switched from NEW to UPDATE: 1 recipient(s) and 0 share(s) already exist'), `switch warning: ${plan}`);
  assert(plan.includes('sandbox'), 'the workspace is labelled as the sandbox');
  const count = async (label) => Number(await page.textContent(`#plan [data-count="${label}"] .count-n`));
  assert(await count('to create') === 4 && await count('to update') === 1, `counts: ${await count('to create')} / ${await count('to update')}`);
  assert(plan.includes('sales-analyst gains read access to 2 objects through share sales_q1_share'), 'plain-language story');
  const update = await page.locator('#plan tr[data-action="update"]').innerText();
  assert(update.includes('allowed IPs') && update.includes('192.168.1.0/24'), `the update says what changes: ${update}`);
  await page.click('#plan .filters >> text=Create');
  await page.waitForURL(/plan=create/);
  await page.waitForFunction(() => document.querySelectorAll('#plan tr[data-action="update"]').length === 0);
  assert(await page.locator('#plan tr[data-action="add"]').count() === 2, 'the filter keeps the additions');
  await page.screenshot({ path: join(results, 'plan.png'), fullPage: true });
  await context.close();
});

test('a pack with errors gets no plan', async ({ browser }) => {
  const context = await signedIn(browser, 'ann@example.com');
  const page = await context.newPage();
  await hydratedHome(page);
  await dropFile(page, 'invalid/shares.yaml');
  await waitForReport(page);
  assert(await page.locator('#plan').count() === 0, 'no plan for an invalid pack');
  assert((await text(page, '.verdict')).includes('errors to fix before this pack can be provisioned'), 'the verdict says why');
  await context.close();
});

test('Excel problems point at sheet and cell', async ({ browser }) => {
  const context = await signedIn(browser, 'john.doe@jll.com');
  const page = await context.newPage();
  await hydratedHome(page);
  await dropFile(page, 'invalid/excel-problems.xlsx');
  await waitForReport(page);
  const merged = await page.locator('li.finding[data-code="merged_cells"]').innerText();
  assert(merged.includes('Recipients!B2') && merged.includes('B2:B3'), `merged cells: ${merged}`);
  const formula = await page.locator('li.finding[data-code="formula_cell"]').allInnerTexts();
  assert(formula.some((item) => item.includes('Metadata!B3')), 'formula cell located');
  assert((await text(page, 'li.finding[data-code="missing_sheet"]')).includes('Shares'), 'missing sheet named');
  await context.close();
});

test('the plain form works without JavaScript', async ({ browser }) => {
  const context = await signedIn(browser, 'ann@example.com', { javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.setInputFiles('#pack-file', join(samples, 'invalid/shares.yaml'));
  await Promise.all([page.waitForURL(/\/uploads\//), page.click('form.dropzone button[type="submit"]')]);
  const unknown = await page.locator('li.finding[data-code="unknown_recipient"]').innerText();
  assert(unknown.includes('partnr') && unknown.includes('Did you mean `partner`'), `suggestion: ${unknown}`);
  await page.click('text=Only errors');
  await page.waitForURL(/only=errors/);
  assert(await page.locator('li.finding[data-severity="warning"]').count() === 0, 'filter works without JS');
  await context.close();
});

test('a file that is not a share pack is refused with the reason', async ({ browser }) => {
  const context = await signedIn(browser, 'john.doe@jll.com');
  const page = await context.newPage();
  await hydratedHome(page);
  const dataTransfer = await page.evaluateHandle(() => {
    const transfer = new DataTransfer();
    transfer.items.add(new File(['%PDF-1.7 not a pack'], 'report.pdf', { type: 'application/pdf' }));
    return transfer;
  });
  await page.dispatchEvent('form.dropzone', 'drop', { dataTransfer });
  await waitForReport(page);
  assert(await page.getAttribute('#report', 'data-outcome') === 'refused', 'refused');
  assert((await text(page, '.refusal')).includes('PDF document'), 'says what the file is');
  await context.close();
});

test('template downloads open and read back as valid packs', async ({ browser }) => {
  const context = await signedIn(browser, 'john.doe@jll.com', { acceptDownloads: true });
  const page = await context.newPage();
  await hydratedHome(page);
  for (const [link, name, magic] of [
    ['a[href="/templates/sharepack-template.xlsx"]', 'sharepack-template.xlsx', 'PK'],
    ['a[href="/templates/sharepack-template.yaml"]', 'sharepack-template.yaml', '#'],
  ]) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(link)]);
    assert(download.suggestedFilename() === name, `file name ${download.suggestedFilename()}`);
    const path = join(results, name);
    await download.saveAs(path);
    const bytes = readFileSync(path);
    assert(bytes.subarray(0, magic.length).toString() === magic, `${name} starts with ${magic}`);
    const form = new FormData();
    form.append('file', new Blob([bytes]), name);
    const response = await fetch(`${base}/workflow/sharepack/validate`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${tokens.ui}` } });
    const body = await response.json();
    assert(response.status === 200 && body.Valid === true, `${name} validates: ${JSON.stringify(body.Summary)}`);
  }
  await context.close();
});

test('a pack with errors cannot be submitted', async ({ browser }) => {
  const context = await signedIn(browser, 'ann@example.com');
  const page = await context.newPage();
  await hydratedHome(page);
  await dropFile(page, 'invalid/recipients.yaml');
  await waitForReport(page);
  assert(await page.locator('#submit button[disabled]').count() === 1, 'the submit button is there and disabled');
  assert((await text(page, '#submit')).includes('cannot be submitted until the errors above are fixed'), 'it says why');
  await context.close();
});

test('submit, then watch every step reach DONE live; activation links are shown once', async ({ browser }) => {
  const context = await signedIn(browser, 'e2e@example.com');
  const page = await context.newPage();
  await hydratedHome(page);
  const pack = await submitUniquePack(page, 'e2e_ok');
  const runUrl = page.url();
  await page.waitForSelector('#run[data-status="COMPLETED"]', { timeout: 30_000 });
  const statuses = await page.locator('tr[data-step-status]').evaluateAll((rows) => rows.map((row) => row.dataset.stepStatus));
  assert(statuses.length >= 5 && statuses.every((status) => status === 'DONE'), `every step done: ${statuses}`);
  const steps = await text(page, '#steps');
  assert(steps.includes(`Create recipient ${pack.recipient}`) && steps.includes(`Create share ${pack.share}`), `steps in words: ${steps}`);
  await page.waitForSelector('#activation-links code.secret', { timeout: 10_000 });
  const link = await text(page, '#activation-links code.secret');
  assert(link.includes('/delta_sharing/'), `an activation link: ${link}`);
  assert((await text(page, '#run .progress')) === 'All resources provisioned successfully', 'progress in words');
  await page.screenshot({ path: join(results, 'run-completed.png'), fullPage: true });
  await page.reload();
  await page.waitForSelector('#run[data-status="COMPLETED"]');
  assert(await page.locator('#activation-links').count() === 0, 'the link is not shown a second time');
  // The share pack's page lists the run; the list of share packs lists the pack.
  await page.click('#run h1 a');
  await page.waitForSelector('#share-pack[data-status="COMPLETED"]', { timeout: 10_000 });
  assert(await page.locator('#runs tbody tr').count() === 1 && await page.locator('#uploads tbody tr').count() === 1, 'one run, one version');
  await page.goto(`${base}/sharepacks`);
  assert((await text(page, '#share-packs')).includes(`E2E e2e_ok`), 'the pack is listed');
  runs.ok = runUrl;
  await context.close();
});

test('submitting works without JavaScript, and a refresh shows progress', async ({ browser }) => {
  const context = await signedIn(browser, 'e2e@example.com', { javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  const pack = uniquePack('e2e_nojs');
  await page.setInputFiles('#pack-file', { name: pack.name, mimeType: 'application/yaml', buffer: pack.bytes });
  await Promise.all([page.waitForURL(/\/uploads\//), page.click('form.dropzone button[type="submit"]')]);
  await page.click('#submit button');
  await page.waitForURL(/\/runs\/[0-9a-f-]{36}/, { timeout: 20_000 });
  // The link appears on the first page served after the recipient exists (whatever step the
  // run is at by then), and on no page after it.
  const deadline = Date.now() + 30_000;
  let shown = await page.locator('#activation-links code.secret').count();
  while ((await page.getAttribute('#run', 'data-status')) !== 'COMPLETED') {
    assert(Date.now() < deadline, `still ${await page.getAttribute('#run', 'data-status')}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await page.reload();
    shown += await page.locator('#activation-links code.secret').count();
  }
  await page.reload();
  shown += await page.locator('#activation-links code.secret').count();
  assert(shown === 1, `the link is shown to the submitter without JavaScript too, exactly once (${shown} times)`);
  await context.close();
});

test('a failed run removes what it created and can be retried, with who and why recorded', async ({ browser }) => {
  const context = await signedIn(browser, 'e2e@example.com');
  const page = await context.newPage();
  await hydratedHome(page);
  await submitUniquePack(page, 'e2e_broken');
  await page.waitForSelector('#run[data-status="FAILED"]', { timeout: 30_000 });
  const error = await text(page, '#run .run-error');
  assert(error.includes('Removed again what this run had created'), `compensation is reported: ${error}`);
  assert(await page.locator('tr[data-step-status="UNDONE"]').count() >= 1, 'undone steps are marked');
  await page.fill('form.run-action.retry input[name=reason]', 'try once more');
  await page.click('form.run-action.retry button');
  await page.waitForSelector('#events', { timeout: 20_000 });
  await page.waitForSelector('.app[data-hydrated="true"]', { timeout: 20_000 });
  await page.waitForFunction(() => document.querySelector('#events')?.innerText.includes('run retried'), null, { timeout: 20_000 });
  await page.waitForSelector('#run[data-status="FAILED"]', { timeout: 30_000 });
  const events = await text(page, '#events');
  assert(events.includes('e2e@example.com') && events.includes('try once more'), `retry recorded with who (the signed-in person) and why: ${events}`);
  await context.close();
});

test('a run that keeps hitting an outage can be cancelled and the page follows it live', async ({ browser }) => {
  const context = await signedIn(browser, 'e2e@example.com');
  const page = await context.newPage();
  await hydratedHome(page);
  await submitUniquePack(page, 'e2e_stuck');
  await page.waitForSelector('form.run-action.cancel', { timeout: 20_000 });
  await page.waitForSelector('tr[data-step-status="FAILED"]', { timeout: 30_000 });
  assert((await text(page, '#run .progress')).includes('will be tried again'), 'the run says it retries');
  // A form on another site (another port of this host: the same *site*, so the session cookie
  // goes along) tries to cancel the run: refused, and the run goes on.
  const runId = page.url().split('/runs/')[1].split('?')[0];
  const forged = await forgedPage(page, `${base}/api/cancel_run`, { id: runId, reason: 'forged' });
  assert(forged.status === 403 && forged.text.includes('another site'), `the cross-site post is refused: ${forged.status} ${forged.text}`);
  await page.goto(`${base}/runs/${runId}`);
  await page.waitForSelector('form.run-action.cancel', { timeout: 20_000 });
  assert(await page.getAttribute('#run', 'data-status') !== 'CANCELLED', 'the forged cancel changed nothing');
  await page.fill('form.run-action.cancel input[name=reason]', 'outage');
  await page.click('form.run-action.cancel button');
  await page.waitForSelector('.app[data-hydrated="true"]', { timeout: 20_000 });
  // No reload from here: the status changes on the page as the worker stops.
  await page.waitForSelector('#run[data-status="CANCELLED"]', { timeout: 40_000 });
  assert((await text(page, '#events')).includes('run cancel requested'), 'the cancel is recorded');
  await context.close();
});

test('a run set to start later waits as scheduled, says when, and can be cancelled before its time', async ({ browser }) => {
  const context = await signedIn(browser, 'e2e@example.com');
  const page = await context.newPage();
  await hydratedHome(page);
  const pack = uniquePack('e2e_later');
  await dropBytes(page, pack.name, pack.bytes);
  await waitForReport(page);
  await page.waitForSelector('#submit button:not([disabled])', { timeout: 20_000 });
  // The form's time is UTC, as its label says: an hour from now, to the minute.
  const later = new Date(Date.now() + 3_600_000).toISOString().slice(0, 16);
  await page.fill('#submit input[name=start_at]', later);
  await page.click('#submit button');
  await page.waitForURL(/\/runs\/[0-9a-f-]{36}/, { timeout: 20_000 });
  await page.waitForSelector('#run[data-status="SCHEDULED"]', { timeout: 20_000 });
  const progress = await text(page, '#run .progress');
  assert(progress.includes(`Scheduled to start at ${later.replace('T', ' ')} UTC`), `the run says when it starts: ${progress}`);
  await page.waitForSelector('.app[data-hydrated="true"]', { timeout: 20_000 });
  await page.fill('form.run-action.cancel input[name=reason]', 'not today');
  await page.click('form.run-action.cancel button');
  await page.waitForSelector('#run[data-status="CANCELLED"]', { timeout: 20_000 });
  assert((await text(page, '#run .progress')).length > 0);
  await context.close();
});

test('removals happen only when the submitter ticks the confirmation', async ({ browser }) => {
  const tag = Math.random().toString(36).slice(2, 8);
  const share = `e2e_rm_${tag}`;
  const sandbox = `${base}/sandbox/api/2.1/unity-catalog`;
  const headers = { Authorization: 'Bearer dapi-sandbox', 'Content-Type': 'application/json' };
  const made = await fetch(`${sandbox}/shares`, { method: 'POST', headers, body: JSON.stringify({ name: share }) });
  assert(made.status === 200, `sandbox share: ${made.status}`);
  const updates = ['catalog.schema.revenue_table', 'catalog.schema.expense_table'].map((name) => ({ action: 'ADD', data_object: { name, data_object_type: 'TABLE' } }));
  const patched = await fetch(`${sandbox}/shares/${share}`, { method: 'PATCH', headers, body: JSON.stringify({ updates }) });
  assert(patched.status === 200, `sandbox objects: ${patched.status}`);
  const objects = async () => {
    const response = await fetch(`${sandbox}/shares/${share}?include_shared_data=true`, { headers });
    return (await response.json()).objects.map((object) => object.name).sort();
  };
  const yaml = `metadata:
  requestor: e2e@example.com
  project_name: E2E removals ${tag}
  business_line: Testing
recipient:
  - name: e2e-rm-${tag}
    type: D2O
    email: partner@example.org
share:
  - name: ${share}
    recipients: [e2e-rm-${tag}]
    data_objects: [catalog.schema.revenue_table]
`;
  const context = await signedIn(browser, 'e2e@example.com');
  const page = await context.newPage();
  for (const confirm of [false, true]) {
    await hydratedHome(page);
    await dropBytes(page, `${share}.yaml`, Buffer.from(yaml));
    await waitForReport(page);
    assert(await page.locator('#plan tr[data-action="remove"]').count() === 1, 'the plan lists the removal');
    const box = page.locator('#submit input[name=confirm_removals]');
    assert(await box.count() === 1 && !(await box.isChecked()), 'a confirmation box, unticked by default');
    if (confirm) await box.check();
    await page.click('#submit button');
    await page.waitForURL(/\/runs\//, { timeout: 20_000 });
    await page.waitForSelector('#run[data-status="COMPLETED"]', { timeout: 30_000 });
    const now = await objects();
    if (confirm) {
      assert(JSON.stringify(now) === JSON.stringify(['catalog.schema.revenue_table']), `removed once confirmed: ${now}`);
    } else {
      assert(now.length === 2, `kept without confirmation: ${now}`);
      assert((await text(page, '#run')).includes('kept (not confirmed)'), 'the run says removals were kept');
    }
  }
  await context.close();
});

test('when the workspace changes after the preview, the run says so and creates nothing twice', async ({ browser }) => {
  const context = await signedIn(browser, 'e2e@example.com');
  const page = await context.newPage();
  await hydratedHome(page);
  const pack = uniquePack('e2e_drift');
  await dropBytes(page, pack.name, pack.bytes);
  await waitForReport(page);
  await page.waitForSelector('#submit button:not([disabled])');
  // Someone creates the recipient by hand while the user reads the preview.
  const made = await fetch(`${base}/sandbox/api/2.1/unity-catalog/recipients`, {
    method: 'POST',
    headers: { Authorization: 'Bearer dapi-sandbox', 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: pack.recipient, authentication_type: 'TOKEN' }),
  });
  assert(made.status === 200, `sandbox recipient: ${made.status}`);
  await page.click('#submit button');
  await page.waitForURL(/\/runs\//, { timeout: 20_000 });
  await page.waitForSelector('#run[data-status="COMPLETED"]', { timeout: 30_000 });
  const events = await text(page, '#events');
  assert(events.includes('plan recomputed') && events.includes('the workspace changed since the preview'), `the difference is recorded: ${events}`);
  assert(events.includes(`no longer needed: Create Recipient ${pack.recipient}`), `and what it is: ${events}`);
  assert(!(await text(page, '#steps')).includes(`Create recipient ${pack.recipient}`), 'the recipient is not created again');
  await context.close();
});

test('the page fits a phone screen', async ({ browser }) => {
  const context = await signedIn(browser, 'ann@example.com', { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  const page = await context.newPage();
  await hydratedHome(page);
  await dropFile(page, 'invalid/recipients.yaml');
  await waitForReport(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 1, `the page is ${overflow}px wider than the screen`);
  await page.screenshot({ path: join(results, 'phone.png'), fullPage: false });
  // The plan of a valid pack fits without clipping a column or breaking names mid-word.
  await hydratedHome(page);
  await dropFile(page, 'valid/minimal.yaml');
  await waitForReport(page);
  await page.waitForSelector('.plan-table tr[data-action]', { timeout: 20_000 });
  const clipped = await page.evaluate(() => [...document.querySelectorAll('.plan-table, .plan-table td')]
    .filter((element) => element.scrollWidth > element.clientWidth + 1).length);
  assert(clipped === 0, `${clipped} plan cells are wider than their box`);
  const name = await page.evaluate(() => {
    const strong = document.querySelector('.plan-table tr[data-action] td[data-label="What"] strong');
    const range = document.createRange(); range.selectNodeContents(strong);
    return { lines: range.getClientRects().length, text: strong.innerText };
  });
  assert(name.lines <= 2, `an object name stays readable (${name.lines} lines for ${name.text})`);
  await page.screenshot({ path: join(results, 'phone-plan.png'), fullPage: true });
  // The run pages fit too: the share-pack list, a share pack, one of its runs.
  for (const step of [() => page.goto(`${base}/sharepacks`), () => page.click('#share-packs tbody tr[data-status="COMPLETED"] a'), () => page.click('#runs tbody tr:first-child a')]) {
    await step();
    await page.waitForLoadState('networkidle');
    const wider = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(wider <= 1, `${page.url()} is ${wider}px wider than the screen`);
  }
  const steps = await page.evaluate(() => [...document.querySelectorAll('.steps-table, .steps-table td')].filter((element) => element.scrollWidth > element.clientWidth + 1).length);
  assert(steps === 0, `${steps} step cells are clipped`);
  await page.screenshot({ path: join(results, 'phone-run.png'), fullPage: true });
  await context.close();
});

test('a plan waits for a second person, who finds it in their queue and approves it; both browsers follow it to the end', async ({ browser }) => {
  // The portal's policy asks one approval for the Examples business line.
  const requester = await signedIn(browser, 'e2e@example.com');
  const page = await requester.newPage();
  await hydratedHome(page);
  const pack = await submitUniquePack(page, 'e2e_approved', 'Examples');
  await page.waitForSelector('#run[data-status="AWAITING_APPROVAL"] ', { timeout: 20_000 });
  await page.waitForSelector('#approval[data-waiting="true"]');
  const waiting = await text(page, '#approval');
  assert(waiting.includes('0 of 1 approval') && waiting.includes('approver@example.com'), `the requester sees who must approve: ${waiting}`);
  assert(waiting.includes('someone else must approve'), `and that it cannot be them: ${waiting}`);
  assert(await page.locator('#decide').count() === 0, 'no decision form for the submitter');
  assert(await page.locator('#plan tr[data-action]').count() >= 3, 'the plan is on the page');
  const runUrl = page.url().replace(/\?.*$/, '');
  const runId = runUrl.split('/runs/')[1];

  const second = await signedIn(browser, 'approver@example.com');
  const approver = await second.newPage();
  await hydratedHome(approver);
  const count = Number(await text(approver, '#approvals-count'));
  assert(count >= 1, `the header counts the plans waiting for the approver: ${count}`);
  await Promise.all([approver.waitForURL(`${base}/approvals`), approver.click('a.approvals-link')]);
  await approver.waitForSelector(`#approvals-for-you tr[data-run="${runId}"]`, { timeout: 20_000 });
  const row = await text(approver, `#approvals-for-you tr[data-run="${runId}"]`);
  assert(row.includes('e2e@example.com') && row.includes('Examples') && row.includes('0 of 1') && row.includes('create'), `the queue row: ${row}`);
  await page.screenshot({ path: join(results, 'run-awaiting-approval.png'), fullPage: true });
  await approver.screenshot({ path: join(results, 'approvals.png'), fullPage: true });
  await Promise.all([approver.waitForURL(runUrl), approver.click(`#approvals-for-you tr[data-run="${runId}"] a`)]);
  await approver.waitForSelector('#decide');
  assert((await text(approver, '#plan')).includes(pack.share), 'the approver sees the plan itself');
  await approver.fill('#decide textarea[name=comment]', 'Checked with the partner');
  await Promise.all([approver.waitForURL(runUrl), approver.click('#decide button.approve')]);
  await approver.waitForSelector('#run[data-status="COMPLETED"]', { timeout: 30_000 });
  // The requester's page was open all along and follows the run live.
  await page.waitForSelector('#run[data-status="COMPLETED"]', { timeout: 30_000 });
  const decided = await text(page, '#approval');
  assert(decided.includes('approver@example.com') && decided.includes('approved') && decided.includes('Checked with the partner'), `who approved, and why: ${decided}`);
  assert((await text(page, '#events')).includes('run approved'), 'the approval is in the run\'s history');

  // A rejected plan never runs, and its requester reads why.
  await hydratedHome(page);
  await submitUniquePack(page, 'e2e_rejected', 'Examples');
  await page.waitForSelector('#run[data-status="AWAITING_APPROVAL"]', { timeout: 20_000 });
  const rejectedUrl = page.url().replace(/\?.*$/, '');
  await approver.goto(rejectedUrl);
  await approver.waitForSelector('#decide');
  await approver.fill('#decide textarea[name=comment]', 'Use the audited share instead');
  await Promise.all([approver.waitForURL(rejectedUrl), approver.click('#decide button.reject')]);
  await page.waitForSelector('#run[data-status="FAILED"]', { timeout: 20_000 });
  const error = await text(page, '#run .run-error');
  assert(error.includes('Rejected by approver@example.com') && error.includes('Use the audited share instead'), `the rejection: ${error}`);
  assert(await page.locator('tr[data-step-status]').count() === 0, 'no step ran');
  assert(await page.locator('form.run-action.retry').count() === 0, 'and it is not offered for retry');
  await second.close();
  await requester.close();
});

test('an administrator searches the audit trail for approvals, follows an entry to its run, and exports the filter in view', async ({ browser }) => {
  const context = await signedIn(browser, 'admin@example.com');
  const page = await context.newPage();
  await page.goto(`${base}/audit`);
  await page.waitForSelector('.app[data-hydrated="true"]', { timeout: 20_000 });
  await page.screenshot({ path: join(results, 'audit.png'), fullPage: false });
  await page.waitForSelector('#audit tr[data-action]', { timeout: 20_000 });
  await page.fill('#audit-filter input[name=action]', 'run_approved');
  await Promise.all([page.waitForURL(/action=run_approved/), page.click('#audit-filter button[type=submit]')]);
  await page.waitForSelector('#audit tr[data-action]', { timeout: 20_000 });
  const actions = await page.locator('#audit tr[data-action]').evaluateAll((rows) => rows.map((row) => row.dataset.action));
  assert(actions.length >= 1 && actions.every((action) => action === 'run_approved'), `only approvals: ${actions}`);
  assert((await text(page, '#audit')).includes('approver@example.com'), 'who approved');
  const href = await page.getAttribute('#export-csv', 'href');
  assert(href.includes('format=csv') && href.includes('action=run_approved'), `the export keeps the filter: ${href}`);
  const csv = await page.request.get(`${base}${href}`);
  assert(csv.status() === 200 && (csv.headers()['content-type'] || '').startsWith('text/csv'), `CSV: ${csv.status()}`);
  const lines = (await csv.text()).trim().split('\n');
  assert(lines[0].startsWith('At,Actor,Action') && lines.length === actions.length + 1 && lines.slice(1).every((line) => line.includes('run_approved')), `the CSV is the list in view: ${lines.length} lines`);
  await Promise.all([page.waitForURL(/\/runs\//), page.click('#audit tr[data-action] a')]);
  await page.waitForSelector('#run[data-status]');
  await context.close();
  // Someone of another business line sees none of Examples' approvals.
  const legal = await signedIn(browser, 'legal@example.com');
  const theirs = await legal.newPage();
  const response = await theirs.goto(`${base}/audit?action=run_approved`);
  assert(response.status() === 200 && await theirs.locator('#audit tr[data-action]').count() === 0, 'nothing of another business line');
  await legal.close();
});

test('an administrator walks a share\'s timeline after three runs, compares version 1 with version 3 and asks who could read the table it added', async ({ browser }) => {
  const tag = Math.random().toString(36).slice(2, 8);
  const share = `e2e_history_${tag}`;
  const version = (comment, tables) => Buffer.from(`metadata:
  requestor: e2e@example.com
  project_name: E2E history ${tag}
  business_line: Testing
recipient:
  - name: e2e-history-${tag}
    type: D2O
    email: partner@example.org
share:
  - name: ${share}
${comment ? `    comment: ${comment}\n` : ''}    recipients: [e2e-history-${tag}]
    data_objects: [${tables.join(', ')}]
`);
  const requester = await signedIn(browser, 'e2e@example.com');
  const page = await requester.newPage();
  for (const bytes of [version('', ['catalog.schema.revenue_table']), version('Quarterly figures', ['catalog.schema.revenue_table']),
    version('Quarterly figures', ['catalog.schema.revenue_table', 'catalog.schema.expense_table'])]) {
    await hydratedHome(page);
    await dropBytes(page, `${share}.yaml`, bytes);
    await waitForReport(page);
    await page.waitForSelector('#submit button:not([disabled])', { timeout: 20_000 });
    await Promise.all([page.waitForURL(/\/runs\//, { timeout: 20_000 }), page.click('#submit button')]);
    await page.waitForSelector('#run[data-status="COMPLETED"]', { timeout: 30_000 });
    moments.history ??= { at: new Date().toISOString(), share, project: `E2E history ${tag}` };
  }
  await page.click('#run h1 a');
  await page.waitForSelector('#pack-history');
  await requester.close();

  const admin = await signedIn(browser, 'admin@example.com');
  const history = await admin.newPage();
  await history.goto(`${base}/history/shares/${share}`);
  await history.waitForSelector('#timeline li[data-version]');
  const now = await text(history, '#current');
  assert(now.includes('Now: version 3') && now.includes('Quarterly figures') && now.includes('catalog.schema.expense_table'), `the share as it is now: ${now}`);
  const versions = await history.locator('#timeline li[data-version]').evaluateAll((items) => items.map((item) => Number(item.dataset.version)));
  assert(JSON.stringify(versions) === '[3,2,1]', `three versions, newest first: ${versions}`);
  const newest = await text(history, '#timeline li[data-version="3"]');
  assert(newest.includes('e2e@example.com') && newest.includes('catalog.schema.expense_table') && newest.includes('upload 3'), `who, what and which upload: ${newest}`);
  await history.selectOption('#compare select[name=from]', '1');
  await history.selectOption('#compare select[name=to]', '3');
  await Promise.all([history.waitForURL(/from=1&to=3/), history.click('#compare button')]);
  await history.waitForSelector('#comparison[data-from="1"][data-to="3"]');
  const fields = await history.locator('#comparison tr[data-field]').evaluateAll((rows) => rows.map((row) => row.dataset.field));
  assert(JSON.stringify(fields) === '["comment","objects"]', `the comment and the objects differ: ${fields}`);
  const objects = await text(history, '#comparison tr[data-field="objects"] td.after');
  assert(objects.includes('catalog.schema.expense_table') && !objects.includes('revenue_table'), `objects compared as a set: ${objects}`);
  await history.screenshot({ path: join(results, 'history.png'), fullPage: true });
  // Who could read the table the third version added: the pack's recipient, since that run.
  await history.goto(`${base}/access`);
  await history.fill('#access-question input[name=table]', 'catalog.schema.expense_table');
  await Promise.all([history.waitForURL(/table=catalog.schema.expense_table/), history.click('#access-question button[type=submit]')]);
  const row = await text(history, `#access-answer tr[data-recipient="e2e-history-${tag}"]`);
  assert(row.includes(share) && row.includes('upload 3'), `who could read it, through which share and since which run: ${row}`);
  const earlier = await history.request.get(`${base}/access?table=catalog.schema.expense_table&at=2000-01-01`);
  assert(earlier.status() === 200 && !(await earlier.text()).includes(`e2e-history-${tag}`), 'nobody could in 2000');
  await admin.close();
});

test('an administrator views the share pack list as of yesterday and as of a moment, and a share as it was then', async ({ browser }) => {
  assert(moments.history, 'the timeline test ran first');
  const context = await signedIn(browser, 'admin@example.com');
  const page = await context.newPage();
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  await page.goto(`${base}/sharepacks`);
  await page.waitForSelector('#share-packs tbody tr');
  assert((await text(page, '#share-packs')).includes(moments.history.project), 'now: the history pack is listed');
  // The plain form: As of yesterday, before this portal held anything.
  await page.fill('#browse-filter input[name=as_of]', yesterday);
  await Promise.all([page.waitForURL(new RegExp(`as_of=${yesterday}`)), page.click('#browse-filter button[type=submit]')]);
  await page.waitForSelector(`#share-packs h2`);
  assert((await text(page, '#share-packs h2')) === `As of ${yesterday}`, 'the list says which moment it shows');
  assert(await page.locator('#share-packs tbody tr').count() === 0, 'nothing existed yesterday');
  // As of the moment the history pack's first version completed: it was there, at its first share version.
  await page.goto(`${base}/browse/shares?q=${moments.history.share}&as_of=${encodeURIComponent(moments.history.at)}`);
  await page.waitForSelector(`#browse tr[data-id]`);
  const row = await text(page, '#browse tbody tr');
  assert(row.includes(moments.history.share) && row.includes('1 object'), `the share as it was then: ${row}`);
  await page.screenshot({ path: join(results, 'browse-as-of.png'), fullPage: true });
  await Promise.all([page.waitForURL(/\/history\/shares\/.*as_of=/), page.click('#browse tbody tr a')]);
  await page.waitForSelector('#as-of[data-version="1"]');
  const then = await text(page, '#current h2');
  assert(then === 'Version 1 as it was then', `the detail shows the version then: ${then}`);
  assert(await page.locator('#timeline li.in-effect[data-version="1"]').count() === 1, 'the version in effect then is marked');
  await context.close();
});

test('a requester rolls a pack back through approval, and the sandbox ends as the old version left it', async ({ browser }) => {
  const tag = Math.random().toString(36).slice(2, 8);
  const share = `e2e_rollback_${tag}`;
  const sandbox = `${base}/sandbox/api/2.1/unity-catalog`;
  const headers = { Authorization: 'Bearer dapi-sandbox' };
  const version = (comment, tables) => Buffer.from(`metadata:
  requestor: e2e@example.com
  project_name: E2E rollback ${tag}
  business_line: Examples
recipient:
  - name: e2e-rollback-${tag}
    type: D2O
    email: partner@example.org
share:
  - name: ${share}
    comment: ${comment}
    recipients: [e2e-rollback-${tag}]
    data_objects: [${tables.join(', ')}]
`);
  const requester = await signedIn(browser, 'e2e@example.com');
  const page = await requester.newPage();
  const second = await signedIn(browser, 'approver@example.com');
  const approver = await second.newPage();
  const approve = async () => {
    await page.waitForSelector('#run[data-status="AWAITING_APPROVAL"]', { timeout: 20_000 });
    const runUrl = page.url().replace(/\?.*$/, '');
    await approver.goto(runUrl);
    await approver.waitForSelector('#decide');
    await Promise.all([approver.waitForURL(runUrl), approver.click('#decide button.approve')]);
    await page.waitForSelector('#run[data-status="COMPLETED"]', { timeout: 30_000 });
  };
  for (const bytes of [version('First', ['catalog.schema.revenue_table']), version('Second', ['catalog.schema.revenue_table', 'catalog.schema.expense_table'])]) {
    await hydratedHome(page);
    await dropBytes(page, `${share}.yaml`, bytes);
    await waitForReport(page);
    await page.waitForSelector('#submit button:not([disabled])', { timeout: 20_000 });
    await Promise.all([page.waitForURL(/\/runs\//, { timeout: 20_000 }), page.click('#submit button')]);
    await approve();
  }
  const state = async () => {
    const response = await fetch(`${sandbox}/shares/${share}?include_shared_data=true`, { headers });
    const body = await response.json();
    return { comment: body.comment, objects: body.objects.map((object) => object.name).sort() };
  };
  assert(JSON.stringify((await state()).objects) === '["catalog.schema.expense_table","catalog.schema.revenue_table"]', 'version 2 is applied');
  // The share pack's page offers to go back to version 1 (not to 2, which is in effect).
  await page.click('#run h1 a');
  await page.waitForSelector('#uploads tr[data-version="1"] form.rollback-form');
  assert(await page.locator('#uploads tr[data-version="2"] form.rollback-form').count() === 0, 'no rollback to the version in effect');
  await Promise.all([page.waitForURL(/\/uploads\//, { timeout: 20_000 }), page.click('#uploads tr[data-version="1"] form.rollback-form button')]);
  await page.waitForSelector('#upload-note');
  assert((await text(page, '#upload-note')).includes('rollback to version 1'), 'the preview says it is a rollback');
  const plan = await text(page, '#plan');
  assert(plan.includes('catalog.schema.expense_table') && await page.locator('#plan tr[data-action="remove"]').count() === 1, `the plan takes the table back out: ${plan}`);
  await page.screenshot({ path: join(results, 'rollback-plan.png'), fullPage: true });
  await page.locator('#submit input[name=confirm_removals]').check();
  await Promise.all([page.waitForURL(/\/runs\//, { timeout: 20_000 }), page.click('#submit button')]);
  await approve();
  const now = await state();
  assert(now.comment === 'First' && JSON.stringify(now.objects) === '["catalog.schema.revenue_table"]', `the sandbox is as version 1 left it: ${JSON.stringify(now)}`);
  await page.click('#run h1 a');
  await page.waitForSelector('#uploads tr[data-version="3"]');
  await second.close();
  await requester.close();
});

test('a table dropped from a share by hand is found on the drift page, with who, and restoring the pack puts it back', async ({ browser }) => {
  const tag = Math.random().toString(36).slice(2, 8);
  const share = `e2e_drift_${tag}`;
  const sandbox = `${base}/sandbox/api/2.1/unity-catalog`;
  const headers = { Authorization: 'Bearer dapi-sandbox', 'Content-Type': 'application/json' };
  const bytes = Buffer.from(`metadata:
  requestor: e2e@example.com
  project_name: E2E drift ${tag}
  business_line: Examples
recipient:
  - name: e2e-drift-${tag}
    type: D2O
    email: partner@example.org
share:
  - name: ${share}
    recipients: [e2e-drift-${tag}]
    data_objects: [catalog.schema.revenue_table, catalog.schema.expense_table]
`);
  const requester = await signedIn(browser, 'e2e@example.com');
  const page = await requester.newPage();
  const second = await signedIn(browser, 'approver@example.com');
  const approver = await second.newPage();
  const approve = async () => {
    await page.waitForSelector('#run[data-status="AWAITING_APPROVAL"]', { timeout: 20_000 });
    const runUrl = page.url().replace(/\?.*$/, '');
    await approver.goto(runUrl);
    await approver.waitForSelector('#decide');
    await Promise.all([approver.waitForURL(runUrl), approver.click('#decide button.approve')]);
    await page.waitForSelector('#run[data-status="COMPLETED"]', { timeout: 30_000 });
  };
  await hydratedHome(page);
  await dropBytes(page, `${share}.yaml`, bytes);
  await waitForReport(page);
  await page.waitForSelector('#submit button:not([disabled])', { timeout: 20_000 });
  await Promise.all([page.waitForURL(/\/runs\//, { timeout: 20_000 }), page.click('#submit button')]);
  await approve();
  // Someone drops a table from the share in the workspace itself.
  const dropped = await fetch(`${sandbox}/shares/${share}`, {
    method: 'PATCH',
    headers,
    body: JSON.stringify({ updates: [{ action: 'REMOVE', data_object: { name: 'catalog.schema.expense_table' } }] }),
  });
  assert(dropped.ok, `the table is dropped by hand: ${dropped.status}`);
  // The drift page checks the workspace on demand; the check runs on a worker and the page shows it.
  const filtered = `${base}/drift?name=${share}`;
  await page.goto(filtered);
  await page.waitForSelector('.app[data-hydrated="true"]', { timeout: 20_000 });
  await Promise.all([page.waitForURL(/\/drift/, { timeout: 20_000 }), page.click('#check-drift')]);
  const row = 'tr[data-kind="REMOVED"]';
  for (let tries = 0; tries < 100 && await page.locator(row).count() === 0; tries++) {
    await page.goto(filtered);
  }
  const finding = await text(page, row);
  assert(finding.includes('catalog.schema.expense_table') && finding.includes(share), `the dropped table is the finding: ${finding}`);
  assert(finding.includes('sharepack-service-principal'), `the audit log names who dropped it: ${finding}`);
  await page.screenshot({ path: join(results, 'drift.png'), fullPage: true });
  // Restore: the pack's state again, previewed as an upload, approved and run.
  await Promise.all([page.waitForURL(/\/uploads\//, { timeout: 20_000 }), page.click('.drift-group button.restore')]);
  await page.waitForSelector('#upload-note');
  assert((await text(page, '#upload-note')).includes('restoring version 1'), 'the preview says it restores');
  assert((await text(page, '#plan')).includes('catalog.schema.expense_table'), 'the plan puts the table back');
  await page.waitForSelector('#submit button:not([disabled])', { timeout: 20_000 });
  await Promise.all([page.waitForURL(/\/runs\//, { timeout: 20_000 }), page.click('#submit button')]);
  await approve();
  const after = await (await fetch(`${sandbox}/shares/${share}?include_shared_data=true`, { headers })).json();
  assert(after.objects.map((object) => object.name).sort().join() === 'catalog.schema.expense_table,catalog.schema.revenue_table', `restored: ${JSON.stringify(after.objects)}`);
  // A second check finds nothing left.
  await page.goto(filtered);
  await page.waitForSelector('.app[data-hydrated="true"]', { timeout: 20_000 });
  await Promise.all([page.waitForURL(/\/drift/, { timeout: 20_000 }), page.click('#check-drift')]);
  for (let tries = 0; tries < 100 && await page.locator('#no-drift').count() === 0; tries++) {
    await page.goto(filtered);
  }
  assert(await page.locator('#no-drift').count() === 1, 'nothing is left to find once restored');
  await second.close();
  await requester.close();
});

test('a requester of another business line sees none of it', async ({ browser }) => {
  assert(runs.ok, 'an earlier test submitted a run');
  const context = await signedIn(browser, 'legal@example.com');
  const page = await context.newPage();
  await page.goto(`${base}/sharepacks`);
  await page.waitForSelector('#share-packs, .empty', { timeout: 20_000 });
  assert(!(await text(page, 'main')).includes('E2E'), 'no pack of the Testing business line is listed');
  const response = await page.goto(runs.ok);
  assert(response.status() === 404 && (await text(page, 'main')).includes('No such run'), `another line's run is not found: ${response.status()}`);
  const events = await page.request.get(`${runs.ok.replace(/\?.*$/, '')}/events`);
  assert(events.status() === 404, `nor its live events: ${events.status()}`);
  await context.close();
});

test('secrets seen in the browser are listed for the test command to look for', async () => {
  writeFileSync(join(results, 'secrets.json'), JSON.stringify(secrets));
  assert(secrets.tokens.length >= 2 && secrets.sessions.length >= 4 && secrets.invitations.length === 5, JSON.stringify(Object.keys(secrets)));
});

await waitForServer();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let passed = 0;
let failed = 0;
// SHAREPACK_TEST_E2E_ONLY=text|other runs the tests whose names contain one of them, after the sign-in tests every
// other test builds on (for working on one test locally; the test command runs them all).
const only = process.env.SHAREPACK_TEST_E2E_ONLY;
const setup = ['without a session', 'the first administrator', 'the administrator adds', 'API tokens are made'];
for (const { name, fn } of tests) {
  if (only && !only.split('|').some((part) => name.includes(part)) && !setup.some((start) => name.startsWith(start))) continue;
  const started = Date.now();
  try {
    await fn({ browser });
    passed++;
    console.log(`  ✓ ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    failed++;
    console.log(`  ✗ ${name}\n      ${String(error.stack || error).split('\n').slice(0, 4).join('\n      ')}`);
  }
}
await browser.close();
console.log(`end2end: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
