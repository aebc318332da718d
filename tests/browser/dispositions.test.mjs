// End-to-end test of incoming letters and their dispositions in headless
// Chromium.
//
// Starts `serasi serve` on a free loopback port with an empty data folder
// and fills it with `serasi demo`. The clerk of Diskominfo registers a
// letter addressed to the Kepala Dinas and uploads a PDF scan. The Kepala
// Dinas refers it to the Sekretaris Dinas and the Kepala Bidang, and
// refers it to a third post and cancels that referral before it is read.
// The Kepala Bidang receives it and passes it on to his staff member. The
// staff member, the Kepala Bidang and the Sekretaris Dinas report done,
// each opening the letter from their list of referrals. At the end the
// Kepala Dinas sees the whole tree done with the reports, the staff
// referral indented under the Kepala Bidang's, and the disposition sheet
// downloads as a PDF. Each person works in a browser
// context of their own. After a failed step the later steps are skipped,
// a screenshot and the server output are saved, and the temporary folder
// is kept and its path printed.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { access, constants, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import {
  ACTION_TIMEOUT_MS,
  SERVER_READY_TIMEOUT_MS,
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
  waitUntilReady,
} from './harness.mjs';

const SUBJECT = 'Permohonan integrasi aplikasi perizinan dengan SPBE';
const SCAN_NAME = 'pindaian-permohonan.pdf';

const HEAD_POST = 'Kepala Dinas Komunikasi dan Informatika';
const SECRETARY_POST = 'Sekretaris Dinas';
const DIVISION_POST = 'Kepala Bidang Aplikasi Informatika';
const STAFF_POST = 'Pranata Komputer Ahli Pertama';
// The post the head refers the letter to by mistake and then cancels.
const CANCELLED_POST = 'Pengadministrasi Persuratan';

const REPORTS = {
  staff: 'Draf jawaban dan data integrasi sudah disusun.',
  division: 'Jawaban teknis dikirim ke pemohon.',
  secretary: 'Surat sudah dicatat dan diarsipkan.',
};

const MS_PER_DAY = 24 * 60 * 60 * 1000;
const WIB_OFFSET_MS = 7 * 60 * 60 * 1000;

// Returns the date in Western Indonesian Time (UTC+7, no daylight saving)
// `days` days from now, as YYYY-MM-DD.
function wibDate(days = 0) {
  return new Date(Date.now() + WIB_OFFSET_MS + days * MS_PER_DAY).toISOString().slice(0, 10);
}

// Builds a one-page PDF with a correct cross-reference table, so the scan
// is a valid PDF and not only bytes that start with %PDF-.
function minimalPdf(text) {
  const stream = `BT /F1 12 Tf 72 770 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets = [];
  objects.forEach((object, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) {
    body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  }
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

describe('dispositions in the browser', { timeout: 6 * 60_000 }, () => {
  let tempDir;
  let server;
  let baseUrl;
  let browser;
  let password;
  // One page per demo login, each in its own browser context.
  const pages = new Map();
  // Console messages of each page about styles or scripts that the Content
  // Security Policy blocked, to explain a failed layout check.
  const cspViolations = new Map();
  let current = null;
  let letterPath = null;

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
    tempDir = await mkdtemp(path.join(tmpdir(), 'serasi-dispositions-'));
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
      cspViolations.set(page, []);
      page.on('console', (message) => {
        if (message.type() === 'error' && message.text().includes('Content Security Policy')) {
          cspViolations.get(page).push(message.text());
        }
      });
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

  // Returns the tree node of the referral to the post named `post`.
  function node(page, post) {
    const recipient = page.locator('.dnode-to', { hasText: new RegExp(`^${post}$`) });
    return page.locator('#disposition-tree > li.dnode', { has: recipient });
  }

  async function statusOf(page, post) {
    return node(page, post).getAttribute('data-status');
  }

  async function statusLabel(page, post) {
    return (await node(page, post).locator('.dstatus').innerText()).trim();
  }

  // Fails with the page's error message when the last action showed one.
  async function assertNoError(page, action) {
    const error = page.locator('#letter-error');
    if ((await error.count()) > 0) {
      assert.fail(`${action} failed: ${(await error.innerText()).trim()}`);
    }
  }

  // Fills a `.dispose-form` and sends it. Each of `recipients` is a post
  // name, ticked by its label, which reads "post · holder".
  async function refer(page, form, { recipients, instructions, note, deadline, urgency }) {
    for (const post of recipients) {
      const choice = form.locator('fieldset label', { hasText: new RegExp(`^\\s*${post} · `) });
      assert.equal(await choice.count(), 1, `the form offers ${post} once`);
      await choice.locator('input[name=recipients]').check();
    }
    for (const instruction of instructions) {
      await form.locator(`input[name=instructions][value="${instruction}"]`).check();
    }
    await form.locator('textarea[name=note]').fill(note);
    await form.locator('input[name=deadline]').fill(deadline);
    await form.locator('select[name=urgency]').selectOption(urgency);
    await clickAndWaitForLoad(page, form.locator('button.dispose-button'));
    await assertNoError(page, `referring the letter to ${recipients.join(' and ')}`);
    assert.equal(new URL(page.url()).pathname, letterPath, 'referring returns to the letter page');
  }

  // Opens the letter from the received referrals at /dispositions.
  async function openFromDispositions(page) {
    await clickAndWaitForLoad(page, page.locator('a#nav-dispositions'));
    const link = page.locator('#disposition-table a', { hasText: SUBJECT });
    assert.equal(await link.count(), 1, 'the list of received referrals shows the letter once');
    const href = await link.getAttribute('href');
    assert.match(href, /#d-[0-9a-f-]{36}$/, 'the link points at the referral in the tree');
    await clickAndWaitForLoad(page, link);
    assert.equal(new URL(page.url()).pathname, letterPath, 'the link opens the letter page');
  }

  // Writes a report into the done box of the node of `post` and sends it.
  async function reportDone(page, post, report) {
    const own = node(page, post);
    await own.locator('details.done-box > summary').click();
    await own.locator('textarea.report-text').fill(report);
    await clickAndWaitForLoad(page, own.locator('button.done-button'));
    await assertNoError(page, `reporting the referral to ${post} done`);
    assert.equal(await statusOf(page, post), 'done', `the referral to ${post} is done`);
    assert.equal(await statusLabel(page, post), 'Selesai', `the referral to ${post} says done`);
    const reportText = await node(page, post).locator('.report').innerText();
    assert.ok(reportText.includes(report), `the report is shown (${reportText})`);
    assert.equal(await node(page, post).locator('details.done-box').count(), 0, 'a done referral has no done box');
  }

  step('clerk registers a letter to the Kepala Dinas', async () => {
    const page = await as('demo.operator.kominfo');
    await page.goto(`${baseUrl}/letters/incoming`);
    await page.locator('#incoming-sender').fill('Kepala Dinas Penanaman Modal dan PTSP');
    await page.locator('#incoming-number').fill('503/118/DPMPTSP/2026');
    await page.locator('#incoming-date').fill(wibDate());
    await page.locator('#incoming-received').fill(wibDate());
    await page.locator('#incoming-subject').fill(SUBJECT);
    await page.locator('#incoming-code').fill('000.1.2');
    await page.locator('select[name=security]').selectOption('biasa');
    await page.locator('select[name=urgency]').selectOption('segera');
    const addressee = page.locator('#incoming-addressee option', { hasText: new RegExp(`^${HEAD_POST} · `) });
    assert.equal(await addressee.count(), 1, 'the head of the agency can be picked as addressee');
    await page.locator('#incoming-addressee').selectOption(await addressee.getAttribute('value'));
    await clickAndWaitForLoad(page, page.locator('#incoming-register'));
    const error = page.locator('#incoming-error');
    if ((await error.count()) > 0) {
      assert.fail(`registering failed: ${(await error.innerText()).trim()}`);
    }
    const url = new URL(page.url());
    assert.match(url.pathname, /^\/letters\/incoming\/[0-9a-f-]{36}$/, 'registering opens the letter page');
    assert.equal(url.hash, '#scans', 'the letter page opens at the scans');
    letterPath = url.pathname;
    assert.equal((await page.locator('#letter-subject').innerText()).trim(), SUBJECT);
    assert.match(
      (await page.locator('#letter-agenda').innerText()).trim(),
      /^\d+\/\d{4} · Dinas Komunikasi dan Informatika$/,
      'the letter has an agenda number of Diskominfo',
    );
    assert.equal(await page.locator('#scan-list').count(), 0, 'a new letter has no scans');
  });

  step('clerk uploads a PDF scan', async () => {
    const page = await as('demo.operator.kominfo');
    const scan = minimalPdf('Permohonan integrasi aplikasi perizinan');
    await page.locator('#scan-file').setInputFiles({ name: SCAN_NAME, mimeType: 'application/pdf', buffer: scan });
    await clickAndWaitForLoad(page, page.locator('#scan-upload'));
    await assertNoError(page, 'uploading the scan');
    assert.equal(new URL(page.url()).pathname, letterPath, 'uploading returns to the letter page');
    const items = page.locator('#scan-list li');
    assert.equal(await items.count(), 1, 'the letter lists one scan');
    assert.match(await items.innerText(), new RegExp(`${SCAN_NAME} application/pdf · ${scan.length} B`));
    const download = await page.request.get(`${baseUrl}${await items.locator('a').getAttribute('href')}`);
    assert.equal(download.status(), 200, 'the scan downloads');
    assert.equal(download.headers()['content-type'], 'application/pdf');
    assert.ok(scan.equals(await download.body()), 'the scan comes back byte for byte');
  });

  step('Kepala Dinas refers the letter to two units', async () => {
    const page = await as('demo.kadis.kominfo');
    await page.goto(`${baseUrl}${letterPath}`);
    assert.equal(await page.locator('#scan-list li').count(), 1, 'the head sees the scan');
    assert.equal(await page.locator('#disposition-tree').count(), 0, 'the letter has no referrals yet');
    const box = page.locator('details#dispose-box');
    assert.equal(await box.getAttribute('open'), '', 'the form is open while there are no referrals');
    await refer(page, box.locator('form.dispose-form'), {
      recipients: [SECRETARY_POST, DIVISION_POST],
      instructions: ['Tindak lanjuti', 'Koordinasikan'],
      note: 'Mohon dikaji kesiapan integrasinya.',
      deadline: wibDate(7),
      urgency: 'segera',
    });
    assert.equal(await page.locator('#disposition-tree > li.dnode').count(), 2, 'the tree has two referrals');
    for (const post of [SECRETARY_POST, DIVISION_POST]) {
      assert.equal(await statusOf(page, post), 'unread', `the referral to ${post} is unread`);
      assert.equal(await statusLabel(page, post), 'Belum dibaca');
      assert.equal(await node(page, post).locator('.cancel-button').count(), 1, 'the sender may cancel an unread referral');
      assert.match(await node(page, post).innerText(), /Tindak lanjuti, Koordinasikan/, 'the instructions are shown');
      assert.match(await node(page, post).innerText(), /Mohon dikaji kesiapan integrasinya\./, 'the note is shown');
    }
  });

  step('Kepala Dinas cancels an unread referral', async () => {
    const page = await as('demo.kadis.kominfo');
    const box = page.locator('details#dispose-box');
    assert.equal(await box.getAttribute('open'), null, 'the form is folded once there are referrals');
    await box.locator('summary').click();
    await refer(page, box.locator('form.dispose-form'), {
      recipients: [CANCELLED_POST],
      instructions: ['Arsipkan'],
      note: '',
      deadline: wibDate(7),
      urgency: 'biasa',
    });
    assert.equal(await statusOf(page, CANCELLED_POST), 'unread', 'the third referral is unread');
    await clickAndWaitForLoad(page, node(page, CANCELLED_POST).locator('.cancel-button'));
    await assertNoError(page, 'cancelling the referral');
    assert.equal(await statusOf(page, CANCELLED_POST), 'cancelled', 'the referral is cancelled');
    assert.equal(await statusLabel(page, CANCELLED_POST), 'Dibatalkan');
    assert.equal(await node(page, CANCELLED_POST).locator('.cancel-button').count(), 0, 'a cancelled referral has no cancel button');
    assert.equal(await statusOf(page, SECRETARY_POST), 'unread', 'cancelling leaves the other referrals alone');
  });

  step('Kepala Bidang receives the referral and passes it to staff', async () => {
    const page = await as('demo.kabid.aptika');
    await openFromDispositions(page);
    const own = node(page, DIVISION_POST);
    assert.equal(await own.locator('.cancel-button').count(), 0, 'the recipient cannot cancel the referral');
    assert.equal(await node(page, SECRETARY_POST).locator('.receive-button').count(), 0, 'no receive button on the referrals of others');
    await clickAndWaitForLoad(page, own.locator('.receive-button'));
    await assertNoError(page, 'receiving the referral');
    assert.equal(await statusOf(page, DIVISION_POST), 'read', 'the received referral is read');
    assert.equal(await statusLabel(page, DIVISION_POST), 'Dibaca');
    assert.equal(await node(page, DIVISION_POST).locator('.receive-button').count(), 0, 'a read referral has no receive button');

    await node(page, DIVISION_POST).locator('details.forward-box > summary').click();
    await refer(page, node(page, DIVISION_POST).locator('details.forward-box form.dispose-form'), {
      recipients: [STAFF_POST],
      instructions: ['Siapkan jawaban'],
      note: 'Siapkan draf jawaban teknis.',
      deadline: wibDate(5),
      urgency: 'segera',
    });
    assert.equal(await statusOf(page, STAFF_POST), 'unread', 'the staff referral is unread');
    assert.match(await node(page, STAFF_POST).innerText(), /Siapkan draf jawaban teknis\./, 'the note is shown');
    assert.equal(await node(page, STAFF_POST).locator('.cancel-button').count(), 1, 'the Kepala Bidang may cancel his own unread referral');
  });

  step('Kepala Dinas can no longer cancel a read referral', async () => {
    const page = await as('demo.kadis.kominfo');
    await page.reload();
    assert.equal(await statusOf(page, DIVISION_POST), 'read', 'the head sees the referral read');
    assert.equal(await node(page, DIVISION_POST).locator('.cancel-button').count(), 0, 'a read referral has no cancel button');
    assert.equal(await node(page, STAFF_POST).locator('.cancel-button').count(), 0, 'the head cannot cancel the referral of the Kepala Bidang');
  });

  step('staff member starts work and reports done', async () => {
    const page = await as('demo.staf.aptika');
    await openFromDispositions(page);
    await clickAndWaitForLoad(page, node(page, STAFF_POST).locator('.start-button'));
    await assertNoError(page, 'starting work on the referral');
    assert.equal(await statusOf(page, STAFF_POST), 'in_progress', 'the referral is in progress');
    assert.equal(await statusLabel(page, STAFF_POST), 'Diproses');
    assert.equal(await node(page, STAFF_POST).locator('.start-button').count(), 0, 'a referral in progress has no start button');
    await reportDone(page, STAFF_POST, REPORTS.staff);
  });

  step('Kepala Bidang reports done', async () => {
    const page = await as('demo.kabid.aptika');
    await openFromDispositions(page);
    assert.equal(await statusOf(page, STAFF_POST), 'done', 'the Kepala Bidang sees the staff report');
    await reportDone(page, DIVISION_POST, REPORTS.division);
  });

  step('Sekretaris Dinas reports done', async () => {
    const page = await as('demo.sekdis.kominfo');
    await openFromDispositions(page);
    assert.equal(await statusOf(page, SECRETARY_POST), 'unread', 'the referral is still unread');
    await reportDone(page, SECRETARY_POST, REPORTS.secretary);
  });

  step('Kepala Dinas sees the completed tree', async () => {
    const page = await as('demo.kadis.kominfo');
    await page.reload();
    const nodes = page.locator('#disposition-tree > li.dnode');
    assert.equal(await nodes.count(), 4, 'the tree has four referrals, one of them cancelled');
    const statuses = await nodes.evaluateAll((items) =>
      items.map((item) => [item.querySelector('.dnode-to').textContent.trim(), item.dataset.status]),
    );
    assert.deepEqual(
      Object.fromEntries(statuses),
      {
        [SECRETARY_POST]: 'done',
        [DIVISION_POST]: 'done',
        [STAFF_POST]: 'done',
        [CANCELLED_POST]: 'cancelled',
      },
      'every referral but the cancelled one is done',
    );
    for (const [post, report] of [
      [SECRETARY_POST, REPORTS.secretary],
      [DIVISION_POST, REPORTS.division],
      [STAFF_POST, REPORTS.staff],
    ]) {
      const reportText = await node(page, post).locator('.report').innerText();
      assert.ok(reportText.includes(report), `the head reads the report of ${post} (${reportText})`);
    }
    assert.equal(await node(page, CANCELLED_POST).locator('.report').count(), 0, 'the cancelled referral has no report');

    const order = statuses.map(([post]) => post);
    assert.equal(
      order.indexOf(STAFF_POST),
      order.indexOf(DIVISION_POST) + 1,
      `the staff referral follows the referral to the Kepala Bidang (${JSON.stringify(order)})`,
    );
    assert.equal(await page.locator('#disposition-tree .cancel-button').count(), 0, 'nothing is left to cancel');
  });

  step('disposition sheet downloads as a PDF', async () => {
    const page = await as('demo.kadis.kominfo');
    const href = await page.locator('#sheet-link').getAttribute('href');
    assert.equal(href, `${letterPath}/sheet.pdf`);
    const sheet = await page.request.get(`${baseUrl}${href}`);
    assert.equal(sheet.status(), 200, 'the sheet downloads');
    assert.equal(sheet.headers()['content-type'], 'application/pdf');
    assert.equal((await sheet.body()).subarray(0, 5).toString(), '%PDF-', 'the body is a PDF');
  });

  // The page indents each referral by its depth in the tree, so the head can
  // tell which referral was passed on by whom.
  step('tree indents the passed-on referral', async () => {
    const page = await as('demo.kadis.kominfo');
    const indent = (post) => node(page, post).evaluate((item) => parseFloat(getComputedStyle(item).marginLeft));
    const blocked = cspViolations.get(page) ?? [];
    const cause = blocked.length > 0 ? `, and the browser logged: ${blocked[0]}` : '';
    assert.equal(await indent(SECRETARY_POST), await indent(DIVISION_POST), 'both first referrals are on one level');
    assert.ok(
      (await indent(STAFF_POST)) > (await indent(DIVISION_POST)),
      `the staff referral is indented more than the referral to the Kepala Bidang${cause}`,
    );
  });
});
