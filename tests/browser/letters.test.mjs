// End-to-end test of outgoing documents in headless Chromium.
//
// Starts `serasi serve` on a free loopback port with an empty data folder
// and fills it with `serasi demo`. A staff member of Diskominfo drafts a
// nota dinas to the head of Dinas Kesehatan with one copy and one
// coordination initial; the Kepala Bidang and the Sekretaris Dinas initial
// it, the Kepala Dinas signs it with his password (the PDF then opens its
// public check page, and an altered copy is caught), the addressee finds it
// unread in the inbox and opens it, and the author finds it marked read. Each
// person works in a browser context of their own. After a failed step the
// later steps are skipped, a screenshot and the server output are saved,
// and the temporary folder is kept and its path printed.

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
  findFreePort,
  hasExited,
  runDemo,
  serverBin,
  startServer,
  stepper,
  stopServer,
  visibleText,
  waitUntilReady,
} from './harness.mjs';

const SUBJECT = 'Permintaan data kunjungan puskesmas triwulan IV';

describe('outgoing documents in the browser', { timeout: 6 * 60_000 }, () => {
  let tempDir;
  let server;
  let baseUrl;
  let browser;
  let password;
  // One page per demo login, each in its own browser context.
  const pages = new Map();
  let current = null;
  let letterPath = null;
  let signedNumber = null;

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
    tempDir = await mkdtemp(path.join(tmpdir(), 'serasi-letters-'));
    const dataDir = path.join(tempDir, 'data');
    await mkdir(dataDir);
    const port = await findFreePort();
    baseUrl = `http://127.0.0.1:${port}`;
    try {
      server = startServer({ dataDir, workDir: tempDir, port });
      await waitUntilReady(server, baseUrl);
      password = await runDemo({ dataDir, workDir: tempDir });
      browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    } catch (error) {
      run.failedStep = 'start the server, fill the demo data and start the browser';
      throw error;
    }
  }, { timeout: 2 * SERVER_READY_TIMEOUT_MS + ACTION_TIMEOUT_MS });

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

  const run = {
    failedStep: null,
    screenshotPath: null,
    page: () => current,
    dir: () => tempDir,
  };
  const step = stepper(it, run);

  // Returns the page of `username`, signing in on first use.
  async function as(username) {
    if (!pages.has(username)) {
      const context = await browser.newContext({ locale: 'id-ID' });
      const page = await context.newPage();
      page.setDefaultTimeout(ACTION_TIMEOUT_MS);
      current = page;
      await page.goto(`${baseUrl}/login`);
      const form = page.locator('form:has(input[name=password])');
      await form.locator('input[name=username]').fill(username);
      await form.locator('input[name=password]').fill(password);
      await clickAndWaitForLoad(page, form.locator('button[type=submit]'));
      assert.equal(new URL(page.url()).pathname, '/', `${username} lands on the home page after signing in`);
      pages.set(username, page);
    }
    current = pages.get(username);
    return current;
  }

  // Searches in one of the draft form's pickers and adds the first entry
  // whose text contains `label`.
  async function pick(page, field, query, label) {
    await page.locator(`#search-${field}`).fill(query);
    const button = page.locator(`#found-${field} button`, { hasText: label }).first();
    await button.waitFor({ state: 'visible' });
    await button.click();
    await page.locator(`#picked-${field} input[type=checkbox]:checked`).first().waitFor();
  }

  async function stateText(page) {
    return (await page.locator('#letter-state').innerText()).trim();
  }

  // Opens the letter from one of the queues of `page`'s user.
  async function openFromQueue(page, queue) {
    await page.goto(`${baseUrl}/letters?queue=${queue}`);
    const link = page.locator('a.letter-link', { hasText: SUBJECT });
    assert.equal(await link.count(), 1, `the ${queue} queue lists the letter once`);
    await clickAndWaitForLoad(page, link);
    assert.equal(new URL(page.url()).pathname, letterPath, 'the link opens the letter');
  }

  step('staff member drafts a nota dinas with a copy and a coordination initial', async () => {
    const page = await as('demo.staf.aptika');
    await clickAndWaitForLoad(page, page.locator('a#nav-letters'));
    await clickAndWaitForLoad(page, page.locator('a#new-letter'));
    await page.locator('#kind').selectOption('nota_dinas');
    await page.locator('#classification').fill('000.1.5');
    await page.locator('#subject').fill(SUBJECT);
    await pick(page, 'addressee', 'Kepala Dinas Kesehatan', 'Kepala Dinas Kesehatan —');
    await pick(page, 'copy', 'Kepala Bagian Umum', 'Kepala Bagian Umum —');
    await pick(page, 'coordinator', 'Sekretaris Dinas', 'Sekretaris Dinas —');
    await page.locator('#body').fill('Dengan hormat,\n\nmohon data kunjungan:\n\n1. rawat jalan\n2. rawat inap');
    await assertEventually(
      async () => /Tersimpan otomatis/.test(await page.locator('#autosave').innerText()),
      true,
      'the draft saves itself after a pause in typing',
    );
    await clickAndWaitForLoad(page, page.locator('#save-letter'));
    letterPath = new URL(page.url()).pathname;
    await page.goto(`${baseUrl}/letters?queue=drafts`);
    assert.equal(
      await page.locator('a.letter-link', { hasText: SUBJECT }).count(),
      1,
      'the autosave and the save button made one draft',
    );
    await page.goto(`${baseUrl}${letterPath}`);
    assert.match(letterPath, /^\/letters\/[0-9a-f-]{36}$/, 'saving opens the letter page');
    assert.equal(await stateText(page), 'Konsep', 'the new letter is a draft');
    const chain = await page.locator('ol.chain li').allInnerTexts();
    assert.equal(chain.length, 2, `the chain has two places (${JSON.stringify(chain)})`);
    assert.match(chain[0], /Kepala Bidang Aplikasi Informatika/, 'the Kepala Bidang initials first');
    assert.match(chain[1], /Sekretaris Dinas/, 'the Sekretaris Dinas gives the coordination initial');
  });

  step('staff member submits the draft', async () => {
    const page = await as('demo.staf.aptika');
    await clickAndWaitForLoad(page, page.locator('#submit-letter'));
    assert.equal(await stateText(page), 'Menunggu paraf', 'a submitted letter waits for initials');
    assert.equal(await page.locator('#initial-letter').count(), 0, 'the author gets no initial button');
  });

  step('Kepala Bidang initials', async () => {
    const page = await as('demo.kabid.aptika');
    await openFromQueue(page, 'to_initial');
    await clickAndWaitForLoad(page, page.locator('#initial-letter'));
    assert.equal(await stateText(page), 'Menunggu paraf', 'one initial is still missing');
  });

  step('Sekretaris Dinas initials', async () => {
    const page = await as('demo.sekdis.kominfo');
    await openFromQueue(page, 'to_initial');
    await clickAndWaitForLoad(page, page.locator('#initial-letter'));
    assert.equal(await stateText(page), 'Menunggu tanda tangan', 'with both initials it waits for the signer');
  });

  step('Kepala Dinas signs with his password', async () => {
    const page = await as('demo.kadis.kominfo');
    await openFromQueue(page, 'to_sign');
    await page.locator('#sign-password').fill('not-the-password');
    await clickAndWaitForLoad(page, page.locator('#sign-letter'));
    assert.ok(await page.locator('#action-error').isVisible(), 'a wrong password shows an error');
    assert.equal(await stateText(page), 'Menunggu tanda tangan', 'a wrong password signs nothing');
    await page.locator('#sign-password').fill(password);
    await clickAndWaitForLoad(page, page.locator('#sign-letter'));
    assert.equal(await stateText(page), 'Ditandatangani', 'the letter is signed');
    const number = (await page.locator('#letter-number').innerText()).trim();
    assert.match(number, /^000\.1\.5\/\d{3}\/ND\/DISKOMINFO\/\d{4}$/, `the number follows the series (${number})`);
    signedNumber = number;
  });

  step('the signed PDF downloads and its check page says it is genuine', async () => {
    const page = await as('demo.kadis.kominfo');
    const pdf = await page.request.get(`${baseUrl}${await page.locator('#letter-pdf').getAttribute('href')}`);
    assert.equal(pdf.status(), 200, 'the PDF downloads');
    assert.equal(pdf.headers()['content-type'], 'application/pdf');
    assert.ok((await pdf.body()).subarray(0, 5).toString() === '%PDF-', 'the body is a PDF');
    await clickAndWaitForLoad(page, page.locator('#letter-verify'));
    assert.match(new URL(page.url()).pathname, /^\/v\/[0-9A-Z]{26}$/, 'the check page has the code in its path');
    assert.match(await page.locator('#verdict-status').innerText(), /^Sah/, 'the check page says valid');
    assert.equal((await page.locator('#verify-number').innerText()).trim(), signedNumber, 'it shows the number');
    assert.match(await page.locator('#verify-subject').innerText(), new RegExp(SUBJECT.slice(0, 20)), 'it shows the subject');
  });

  step('anyone can upload the PDF on the check page without logging in', async () => {
    const page = await as('demo.kadis.kominfo');
    const pdf = await page.request.get(`${baseUrl}${letterPath}/pdf`);
    assert.equal(pdf.status(), 200, 'the signer downloads the PDF');
    const context = await browser.newContext({ locale: 'id-ID' });
    const guest = await context.newPage();
    await guest.goto(`${baseUrl}/v`);
    await guest.locator('#verify-file').setInputFiles({ name: 'naskah.pdf', mimeType: 'application/pdf', buffer: await pdf.body() });
    await clickAndWaitForLoad(guest, guest.locator('#verify-submit'));
    assert.match(await guest.locator('#file-status').innerText(), /^Sah/, 'the genuine file is valid');
    const altered = Buffer.from(await pdf.body());
    altered[Math.floor(altered.length / 3)] ^= 0x20;
    await guest.locator('#verify-file').setInputFiles({ name: 'ubah.pdf', mimeType: 'application/pdf', buffer: altered });
    await clickAndWaitForLoad(guest, guest.locator('#verify-submit'));
    assert.match(await guest.locator('#file-status').innerText(), /diubah/, 'a changed file is reported altered');
    await context.close();
  });

  step('addressee finds it unread and opens it', async () => {
    const page = await as('demo.kadinkes');
    await page.goto(`${baseUrl}/letters?queue=inbox`);
    const row = page.locator('tr', { has: page.locator('a.letter-link', { hasText: SUBJECT }) });
    assert.equal(await row.getAttribute('class'), 'unread', 'the inbox row is marked unread');
    assert.match(await row.innerText(), /Belum dibaca/, 'the row says it is unread');
    await clickAndWaitForLoad(page, row.locator('a.letter-link'));
    assert.match(await visibleText(page), /rawat inap/, 'the letter body is shown');
  });

  step('author finds it marked read', async () => {
    const page = await as('demo.staf.aptika');
    await page.goto(`${baseUrl}${letterPath}`);
    const addressee = page.locator('tr.delivery', { hasText: 'Kepala Dinas Kesehatan' });
    await assertEventually(
      async () => /^Dibaca /.test((await addressee.locator('.delivery-status').innerText()).trim()),
      true,
      'the addressee row says when it was read',
    );
    const copy = page.locator('tr.delivery', { hasText: 'Kepala Bagian Umum' });
    assert.match(await copy.innerText(), /Tembusan/, 'the copy holder is marked as tembusan');
    assert.match(await copy.locator('.delivery-status').innerText(), /belum dibaca/, 'the copy is not yet read');
  });
});
