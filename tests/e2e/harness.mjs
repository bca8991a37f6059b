// What the end-to-end tests share: starting corral-mock and corral as child processes (ports chosen
// by the OS, read from their "listening on" line), a configuration in a fresh directory, and the
// key digests tenants are configured with.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CORRAL = process.env.CORRAL_BIN;
export const MOCK = process.env.CORRAL_MOCK_BIN;
const children = [];
// The directories startCorral made, removed when the test run exits: it leaves nothing in /tmp.
const dirs = [];
process.on('exit', () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

// Starts a process and resolves with the port from its "listening on HOST:PORT" line.
export function start(bin, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let log = '';
    const timer = setTimeout(() => reject(new Error(`${bin} did not start: ${log}`)), 10000);
    child.stderr.on('data', (d) => {
      log += d;
      const m = log.match(/listening on 127\.0\.0\.1:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => reject(new Error(`${bin} exited ${code}: ${log}`)));
  });
}

export const startMock = (...extra) => start(MOCK, ['--listen', '127.0.0.1:0', '--threads', '1', ...extra]);

// Writes `body(dir)` as corral.yaml in a new directory, starts corral on it, resolves with its port.
export function startCorral(body) {
  const dir = mkdtempSync(join(tmpdir(), 'corral-e2e-'));
  dirs.push(dir);
  const config = join(dir, 'corral.yaml');
  writeFileSync(config, body(dir));
  return start(CORRAL, ['--config', config]);
}

export function stopAll() {
  for (const c of children) c.kill('SIGTERM');
}

// The first error `ask()` throws, asking up to `tries` times (a limit's refusal comes once the
// bucket is spent); null when every call succeeded.
export async function firstError(ask, tries = 200) {
  for (let i = 0; i < tries; i++) {
    try {
      await ask();
    } catch (err) {
      return err;
    }
  }
  return null;
}

export const sha = (k) => 'sha256:' + createHash('sha256').update(k).digest('hex');
