// Shared pieces of the browser tests: starting and stopping `serasi serve`
// on a free loopback port, launching Chromium, and waiting helpers.
//
// Environment:
//   SERASI_BIN     the server binary (default: target/debug/serasi in the repository)
//   CHROMIUM_PATH  the browser binary (default: /usr/bin/chromium, Debian's package)

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const serverBin = process.env.SERASI_BIN ?? path.join(repoRoot, 'target/debug/serasi');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Flags for a headless browser on a machine without outside network access:
// the background services would otherwise keep trying to reach Google's hosts.
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const SERVER_READY_TIMEOUT_MS = 60_000;
export const SERVER_STOP_TIMEOUT_MS = 10_000;
// Upper bound for one Playwright action or wait, such as a click or a page load.
export const ACTION_TIMEOUT_MS = 15_000;
export const STEP_TIMEOUT_MS = 60_000;

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Returns a TCP port that was free on 127.0.0.1 a moment ago. Another process
// could take it before the server binds it, which is unlikely on a test machine.
export function findFreePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

export function hasExited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

// Starts `serasi serve` and collects its output. `credentials` resolves with
// the admin username and password once both lines have appeared on stdout.
export function startServer({ dataDir, workDir, port }) {
  const child = spawn(serverBin, ['serve'], {
    cwd: workDir,
    env: {
      ...process.env,
      SERASI_DATA_DIR: dataDir,
      SERASI_BIND: `127.0.0.1:${port}`,
      SERASI_LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  const server = { child, stdout: '', stderr: '', startError: null };

  server.credentials = new Promise((resolve) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      server.stdout += chunk;
      // The password is the rest of its line, so it may contain any character
      // but a line break.
      const username = /^[ \t]*username:[ \t]*(.+?)[ \t]*$/m.exec(server.stdout);
      const password = /^[ \t]*password:[ \t]*(.+?)[ \t]*$/m.exec(server.stdout);
      if (username && password) {
        resolve({ username: username[1], password: password[1] });
      }
    });
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    server.stderr += chunk;
  });
  child.on('error', (error) => {
    server.startError = error;
  });

  return server;
}

// Polls GET /readyz until it returns 200, the server exits or the timeout passes.
export async function waitUntilReady(server, baseUrl) {
  const deadline = Date.now() + SERVER_READY_TIMEOUT_MS;
  let lastProblem = 'no request completed';
  while (Date.now() < deadline) {
    if (server.startError) {
      throw new Error(`failed to start ${serverBin}: ${server.startError.message}`);
    }
    if (hasExited(server.child)) {
      const { exitCode, signalCode } = server.child;
      const status = signalCode === null ? `code ${exitCode}` : `signal ${signalCode}`;
      throw new Error(`serasi serve exited with ${status} before it was ready`);
    }
    try {
      const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) {
        return;
      }
      lastProblem = `GET /readyz returned ${response.status}`;
    } catch (error) {
      lastProblem = `GET /readyz failed: ${error.cause?.code ?? error.message}`;
    }
    await sleep(100);
  }
  throw new Error(`serasi serve was not ready after ${SERVER_READY_TIMEOUT_MS} ms (${lastProblem})`);
}

// Rejects when `promise` has not settled within `ms`.
export async function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// Sends SIGTERM, then SIGKILL if the server has not exited after a grace period.
export async function stopServer(server) {
  const { child } = server;
  if (server.startError || hasExited(child)) {
    return;
  }
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const killTimer = setTimeout(() => child.kill('SIGKILL'), SERVER_STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(killTimer);
}

// Polls `read` until it returns `expected`, then asserts the last value, so a
// timeout fails with the actual value. Errors from `read` count as "not yet",
// because reading the DOM fails while the page is navigating.
export async function assertEventually(read, expected, message) {
  const deadline = Date.now() + ACTION_TIMEOUT_MS;
  let actual;
  while (true) {
    try {
      actual = await read();
    } catch (error) {
      actual = `<error: ${error.message.split('\n')[0]}>`;
    }
    if (actual === expected || Date.now() >= deadline) {
      break;
    }
    await sleep(100);
  }
  assert.equal(actual, expected, message);
}

// Clicks an element that leads to a new page (a link or a form's submit
// button) and waits until the new page has loaded.
export async function clickAndWaitForLoad(page, locator) {
  const loaded = page.waitForEvent('load');
  await locator.click();
  await loaded;
}

export async function headingText(page) {
  return (await page.locator('h1').first().innerText()).trim();
}

// Returns the visible text of the page with each run of white space, including
// no-break spaces, replaced by one space.
export async function visibleText(page) {
  return (await page.locator('body').innerText()).replace(/\s+/g, ' ');
}

// Runs `serasi demo` against the same data folder as a running server and
// returns the password it prints for every demo account.
export async function runDemo({ dataDir, workDir }) {
  const child = spawn(serverBin, ['demo'], {
    cwd: workDir,
    env: { ...process.env, SERASI_DATA_DIR: dataDir, SERASI_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const [code] = await withTimeout(once(child, 'exit'), SERVER_READY_TIMEOUT_MS, 'serasi demo did not finish');
  assert.equal(code, 0, `serasi demo failed: ${stderr}`);
  const match = /uses the password:\s*\n[ \t]*(\S+)/.exec(stdout);
  assert.ok(match, `serasi demo printed no password: ${stdout}`);
  return match[1];
}

// Returns a function that declares one step of a walk-through with `it`.
// A step runs only if every earlier step passed, because each one starts
// where the last one ended. After a failure, `run` records the step's name
// and saves a screenshot of `run.page()` into `run.dir()`.
export function stepper(it, run) {
  return function step(name, body) {
    it(name, { timeout: STEP_TIMEOUT_MS }, async (t) => {
      if (run.failedStep !== null) {
        t.skip(`skipped because "${run.failedStep}" failed`);
        return;
      }
      try {
        await body();
      } catch (error) {
        run.failedStep = name;
        const page = run.page();
        if (page) {
          const target = path.join(run.dir(), 'failure.png');
          try {
            await page.screenshot({ path: target, fullPage: true });
            run.screenshotPath = target;
          } catch (screenshotError) {
            console.error(`taking the failure screenshot failed: ${screenshotError.message}`);
          }
        }
        throw error;
      }
    });
  };
}
