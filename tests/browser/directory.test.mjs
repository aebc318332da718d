// End-to-end test of the directory pages in headless Chromium.
//
// Starts `serasi serve` on a free loopback port with an empty data folder,
// signs in with the one-time admin password that the first start prints,
// switches the interface to English, walks the organisation tree and adds an
// employee. Each step is one `it`. After a failed step the later steps are
// skipped, a screenshot and the server output are saved, and the temporary
// folder is kept and its path printed.
//
// Environment:
//   SERASI_BIN     the server binary (default: target/debug/serasi in the repository)
//   CHROMIUM_PATH  the browser binary (default: /usr/bin/chromium, Debian's package)

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { access, constants, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import {
  ACTION_TIMEOUT_MS,
  SERVER_READY_TIMEOUT_MS,
  assertEventually,
  chromiumArgs,
  chromiumPath,
  clickAndWaitForLoad,
  hasExited,
  headingText,
  serverBin,
  startServer,
  stepper,
  stopServer,
  visibleText,
  waitUntilReady,
  withTimeout,
  findFreePort,
} from './harness.mjs';

const VALID_NIP = '198609262015051001';
const FORMATTED_NIP = '19860926 201505 1 001';

describe('directory in the browser', { timeout: 5 * 60_000 }, () => {
  let tempDir;
  let server;
  let baseUrl;
  let browser;
  let page;
  let credentials;

  // Last resort for a test process that ends without running `after`.
  process.on('exit', () => {
    if (server && !hasExited(server.child)) {
      server.child.kill('SIGKILL');
    }
  });

  before(async () => {
    await access(serverBin, constants.X_OK).catch(() => {
      throw new Error(`server binary ${serverBin} not found: run \`cargo build -p serasi\` or set SERASI_BIN`);
    });
    await access(chromiumPath, constants.X_OK).catch(() => {
      throw new Error(`Chromium ${chromiumPath} not found: install Debian's chromium package or set CHROMIUM_PATH`);
    });

    tempDir = await mkdtemp(path.join(tmpdir(), 'serasi-browser-'));
    const dataDir = path.join(tempDir, 'data');
    await mkdir(dataDir);
    const port = await findFreePort();
    baseUrl = `http://127.0.0.1:${port}`;

    try {
      server = startServer({ dataDir, workDir: tempDir, port });
      await waitUntilReady(server, baseUrl);
      credentials = await withTimeout(
        server.credentials,
        ACTION_TIMEOUT_MS,
        'serasi serve is ready but printed no "username:" and "password:" lines on stdout',
      );

      browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
      // The context sends Accept-Language id-ID, so the interface starts in
      // Indonesian even if the server picks the language from that header.
      const context = await browser.newContext({ locale: 'id-ID' });
      page = await context.newPage();
      page.setDefaultTimeout(ACTION_TIMEOUT_MS);
    } catch (error) {
      run.failedStep = 'start the server and the browser';
      throw error;
    }
  }, { timeout: SERVER_READY_TIMEOUT_MS + 2 * ACTION_TIMEOUT_MS });

  after(async () => {
    try {
      await browser?.close();
    } finally {
      if (server) {
        await stopServer(server);
      }
    }
    if (!tempDir) {
      return;
    }
    if (run.failedStep === null) {
      await rm(tempDir, { recursive: true, force: true });
      return;
    }
    if (server) {
      await writeFile(path.join(tempDir, 'server-stdout.log'), server.stdout);
      await writeFile(path.join(tempDir, 'server-stderr.log'), server.stderr);
    }
    const files = run.screenshotPath
      ? 'server-stdout.log, server-stderr.log and failure.png'
      : 'server-stdout.log and server-stderr.log';
    console.error(`"${run.failedStep}" failed: ${files} are in ${tempDir}`);
  });

  // Declares one step of the walk-through. A step runs only if every earlier
  // step passed, because each one starts on the page where the last one ended.
  const run = {
    failedStep: null,
    screenshotPath: null,
    page: () => page,
    dir: () => tempDir,
  };
  const step = stepper(it, run);

  step('admin signs in with the one-time password', async () => {
    assert.equal(credentials.username, 'admin', 'the first start prints the admin username');
    assert.ok(credentials.password.length > 0, 'the first start prints a non-empty password');

    await page.goto(`${baseUrl}/login`);
    // The header also has submit buttons (the language forms), so the button
    // is looked up inside the login form.
    const form = page.locator('form:has(input[name=password])');
    await form.locator('input[name=username]').fill(credentials.username);
    await form.locator('input[name=password]').fill(credentials.password);
    await clickAndWaitForLoad(page, form.locator('button[type=submit]'));

    assert.equal(
      new URL(page.url()).pathname,
      '/account',
      'a one-time password leads to the account page to choose a new one',
    );
    assert.match(await page.locator('.flash').innerText(), /sekali pakai/, 'the page says why');
  });

  step('admin replaces the one-time password', async () => {
    const form = page.locator('form[action="/account/password"]');
    await form.locator('input[name=current]').fill(credentials.password);
    await form.locator('input[name=new_password]').fill('kata-sandi-baru-admin');
    await clickAndWaitForLoad(page, form.locator('button[type=submit]'));

    assert.equal(new URL(page.url()).pathname, '/', 'after the change the home page / opens');
    assert.ok((await headingText(page)).length > 0, 'the home page has a non-empty h1');
  });

  step('language switches from Indonesian to English', async () => {
    const html = page.locator('html');
    const navDirectory = page.locator('a#nav-directory');

    assert.equal(await html.getAttribute('lang'), 'id', 'the interface starts in Indonesian (html lang="id")');
    assert.equal((await navDirectory.innerText()).trim(), 'Direktori', 'the Indonesian nav link reads "Direktori"');

    await clickAndWaitForLoad(page, page.locator('button#lang-en'));

    await assertEventually(() => html.getAttribute('lang'), 'en', 'after the switch html lang is "en"');
    await assertEventually(
      async () => (await navDirectory.innerText()).trim(),
      'Directory',
      'after the switch the nav link reads "Directory"',
    );
  });

  step('directory leads to Desa Karangduren', async () => {
    await clickAndWaitForLoad(page, page.locator('a#nav-directory'));
    assert.equal(new URL(page.url()).pathname, '/directory', 'the nav link opens /directory');

    // The names match as substrings, so a link may add text such as a count.
    const district = page.getByRole('link', { name: 'Kecamatan Tengaran' }).first();
    await clickAndWaitForLoad(page, district);

    const village = page.getByRole('link', { name: 'Desa Karangduren' }).first();
    await clickAndWaitForLoad(page, village);

    assert.match(await headingText(page), /Desa Karangduren/, 'the organisation page h1 names Desa Karangduren');
  });

  step('employee form offers the expected fields', async () => {
    await clickAndWaitForLoad(page, page.locator('a#add-employee'));

    const form = page.locator('form:has(input[name=identifier])');
    await form.waitFor({ state: 'visible' });

    const kinds = await form.locator('select[name=identifier_kind] option').evaluateAll((options) =>
      options.map((option) => option.value),
    );
    assert.ok(kinds.includes('nip'), `identifier_kind offers "nip" (options: ${kinds.join(', ')})`);
    assert.ok(kinds.includes('village'), `identifier_kind offers "village" (options: ${kinds.join(', ')})`);

    const ranks = await form.locator('select[name=rank] option').evaluateAll((options) =>
      options.map((option) => option.value),
    );
    assert.ok(ranks.includes(''), 'rank has an empty option');
    assert.ok(ranks.includes('III/a'), 'rank offers "III/a"');

    for (const field of ['input[name=name]', 'input[name=identifier]', 'input[name=email]', 'input[name=phone]']) {
      assert.equal(await form.locator(field).count(), 1, `the form has one ${field}`);
    }
  });

  step('invalid NIP is rejected with a field error', async () => {
    const form = page.locator('form:has(input[name=identifier])');
    await form.locator('input[name=name]').fill('Siti Rahayu');
    await form.locator('select[name=identifier_kind]').selectOption('nip');
    await form.locator('input[name=identifier]').fill('123');
    await clickAndWaitForLoad(page, form.locator('button[type=submit]'));

    const errors = await page.locator('.field-error').allInnerTexts();
    assert.ok(errors.length > 0, 'submitting NIP "123" shows a .field-error');
    assert.ok(
      errors.some((text) => text.includes('NIP')),
      `a .field-error mentions NIP (errors: ${JSON.stringify(errors)})`,
    );
    assert.equal(
      await page.locator('form:has(input[name=identifier])').count(),
      1,
      'the employee form is shown again after the rejected submit',
    );
  });

  step('valid NIP creates the person page', async () => {
    const form = page.locator('form:has(input[name=identifier])');
    await form.locator('input[name=name]').fill('Siti Rahayu');
    await form.locator('select[name=identifier_kind]').selectOption('nip');
    await form.locator('input[name=identifier]').fill(VALID_NIP);
    await form.locator('select[name=rank]').selectOption('III/a');
    await clickAndWaitForLoad(page, form.locator('button[type=submit]'));

    assert.equal(await headingText(page), 'Siti Rahayu', 'the person page h1 is the employee name');
    assert.ok(
      (await visibleText(page)).includes(FORMATTED_NIP),
      `the person page shows the NIP grouped as "${FORMATTED_NIP}"`,
    );
  });
});
