/**
 * Misconfiguration must not look like success (issue 13): bad arguments end with exit code 2
 * before any work, an unreachable or refusing edge with exit code 3 unless --allow-local-only,
 * and named outputs and data folders are checked before the long work starts.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../cli/exit-codes.ts';
import { alexNetSpec } from '../../runtime/model/architecture.ts';
import type { ModelManifest } from '../../runtime/model/manifest.ts';
import { createRandomModelPackage } from '../../runtime/model/random-package.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
let root: string;
let pkgDir: string;
let manifest: ModelManifest;
let edge: ChildProcess;
let edgeUrl: string;
let deadUrl: string;
let trace: string;

interface Ran { readonly code: number; readonly stdout: string; readonly stderr: string }
/** Runs `coinfer …` and resolves with its exit code and output, whatever the code. */
const coinfer = (args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> =>
  new Promise((resolve) => {
    execFile(process.execPath, ['bin/coinfer.js', ...args], { cwd: repo, timeout: 90_000, env: { ...process.env, COINFER_TOKEN: undefined, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-cli-loud-'));
  pkgDir = join(root, 'pkg');
  manifest = (await createRandomModelPackage({ dir: pkgDir, spec: alexNetSpec({ channels: 1, size: 28, classes: 10 }), seed: 3, sampleCount: 2 })).manifest;
  trace = join(root, 'trace.csv');
  await writeFile(trace, 't_s,mbps\n0,50\n');
  await writeFile(join(root, 'a-file'), 'not a folder\n');
  // a port nothing listens on
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  deadUrl = `ws://127.0.0.1:${(probe.address() as { port: number }).port}`;
  probe.close();
  edge = spawn(process.execPath, ['bin/coinfer.js', 'edge', '--port', '0', '--model', pkgDir, '--token', 'right', '--json'], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: edge.stdout! }), 'line')) as [string];
  edgeUrl = (JSON.parse(line) as { url: string }).url;
}, 120_000);

afterAll(async () => {
  if (edge && edge.exitCode === null) {
    edge.kill('SIGTERM');
    await once(edge, 'exit');
  }
  await rm(root, { recursive: true, force: true });
});

const runArgs = (extra: readonly string[]) => ['run', '--model', pkgDir, '--requests', '1', '--deadline-ms', '5000', '--json', ...extra];

describe('bad arguments: exit code 2 whoever finds them (commander or coinfer)', () => {
  it.each([
    ['--deadline-ms at 2^31 (Node timers overflow)', runArgs(['--exit', '1', '--partition', '0', '--deadline-ms', String(2 ** 31)]), /--deadline-ms/],
    ['--port -1', ['edge', '--port', '-1'], /--port/],
    ['--port 70000', ['edge', '--port', '70000'], /--port/],
    ['an empty edge token', ['edge', '--port', '0', '--token', ''], /--token/],
    ['an empty device token', runArgs(['--exit', '1', '--partition', '0', '--edge', 'ws://127.0.0.1:1', '--token', '']), /--token/],
    ['an empty COINFER_TOKEN', runArgs(['--exit', '1', '--partition', '0', '--edge', 'ws://127.0.0.1:1', '--empty-token-env']), /COINFER_TOKEN/],
    ['--time-scale 1e308 (ended as a NaN sleep mid-run)', runArgs(['--exit', '1', '--partition', '0', '--time-scale', '1e308']), /--time-scale/],
    ['--requests 1e300', runArgs(['--exit', '1', '--partition', '0', '--requests', '1e300']), /--requests/],
    ['model eval --limit 0', ['model', 'eval', '--model', pkgDir, '--limit', '0'], /--limit/],
    ['an unknown option (commander)', ['edge', '--port', '0', '--bogus'], /unknown option/],
    ['a missing required option (commander)', ['run', '--exit', '1'], /required option/],
    ['a bad choice (commander)', runArgs(['--exit', '1', '--partition', '1', '--encoding', 'png']), /Allowed choices/],
  ])('%s', async (_name, args, message) => {
    // --empty-token-env is this test's marker for "run with COINFER_TOKEN set to ''"
    const emptyEnv = args.includes('--empty-token-env');
    const r = await coinfer(args.filter((a) => a !== '--empty-token-env'), emptyEnv ? { COINFER_TOKEN: '' } : {});
    expect(r.code).toBe(EXIT_CODES.badArguments);
    expect(r.stderr).toMatch(message);
  }, 60_000);

  it('run --exit 1 --partition past its branch fails instead of running at the branch', async () => {
    const branch = manifest.exits[0]!.branchStage;
    const r = await coinfer(runArgs(['--exit', '1', '--partition', String(branch + 2), '--allow-local-only']));
    expect(r.code).toBe(EXIT_CODES.badArguments);
    expect(r.stderr).toContain(`Expected --partition in [0, ${branch}] for --exit 1`);
    expect(r.stdout).toBe('');
  }, 60_000);

  it('run with an offloading action and no --edge needs --allow-local-only', async () => {
    const r = await coinfer(runArgs(['--exit', '1', '--partition', '1']));
    expect(r.code).toBe(EXIT_CODES.badArguments);
    expect(r.stderr).toContain('--allow-local-only');
    const ok = await coinfer(runArgs(['--exit', '1', '--partition', '1', '--allow-local-only']));
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout.trim())).toMatchObject({ fallback: true });
  }, 60_000);
});

describe('an unreachable or refusing edge: exit code 3 unless --allow-local-only', () => {
  it('run: a dead port, a wrong token and a missing token fail before serving; the right token serves', async () => {
    const [dead, wrong, none, right] = await Promise.all([
      coinfer(runArgs(['--exit', '1', '--partition', '1', '--edge', deadUrl])),
      coinfer(runArgs(['--exit', '1', '--partition', '1', '--edge', edgeUrl, '--token', 'wrong'])),
      coinfer(runArgs(['--exit', '1', '--partition', '1', '--edge', edgeUrl])),
      coinfer(runArgs(['--exit', '1', '--partition', '1', '--edge', edgeUrl]), { COINFER_TOKEN: 'right' }),
    ]);
    expect(dead.code).toBe(EXIT_CODES.edgeUnavailable);
    expect(dead.stderr).toContain('ERR_EDGE_UNAVAILABLE');
    for (const r of [wrong, none]) {
      expect(r.code).toBe(EXIT_CODES.edgeUnavailable);
      expect(r.stderr).toContain('ERR_UNAUTHORIZED');
    }
    for (const r of [dead, wrong, none]) expect(r.stdout).toBe('');
    expect(right.code).toBe(0);
    expect(JSON.parse(right.stdout.trim())).toMatchObject({ fallback: false });
  }, 90_000);

  it('run --allow-local-only against a dead edge warns and answers locally', async () => {
    const r = await coinfer(runArgs(['--exit', '1', '--partition', '1', '--edge', deadUrl, '--allow-local-only']));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('--allow-local-only');
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ fallback: true });
  }, 60_000);

  it('device: a wrong token fails with exit 3', async () => {
    const r = await coinfer(['device', '--edge', edgeUrl, '--token', 'wrong', '--policy', 'edgent', '--trace', trace, '--model', pkgDir, '--requests', '1', '--json']);
    expect(r.code).toBe(EXIT_CODES.edgeUnavailable);
    expect(r.stderr).toContain('ERR_UNAUTHORIZED');
    expect(r.stdout).toBe('');
  }, 60_000);

  it('env calibrate --edge: a dead edge and a wrong token fail at once (no local-only calibration)', async () => {
    const [dead, wrong] = await Promise.all([
      coinfer(['env', 'calibrate', '--edge', deadUrl, '--model', pkgDir, '--requests', '1', '--json']),
      coinfer(['env', 'calibrate', '--edge', edgeUrl, '--token', 'wrong', '--model', pkgDir, '--requests', '1', '--json']),
    ]);
    expect(dead.code).toBe(EXIT_CODES.edgeUnavailable);
    expect(dead.stderr).toContain('ERR_EDGE_UNAVAILABLE');
    expect(wrong.code).toBe(EXIT_CODES.edgeUnavailable);
    expect(wrong.stderr).toContain('ERR_UNAUTHORIZED');
  }, 60_000);
});

describe('outputs and named inputs are checked before the work', () => {
  it('model train --out under a file and demo --report under a file fail at once with exit 2', async () => {
    const [train, demo] = await Promise.all([
      coinfer(['model', 'train', '--dataset', 'fashion-mnist', '--out', join(root, 'a-file', 'pkg'), '--limit', '1', '--epochs', '1']),
      coinfer(['demo', '--report', join(root, 'a-file', 'demo.html'), '--model', pkgDir, '--requests', '1', '--episodes', '1']),
    ]);
    for (const r of [train, demo]) {
      expect(r.code).toBe(EXIT_CODES.badArguments);
      expect(r.stderr).toContain('is a file, so nothing can be created under it');
    }
    expect(train.stderr).not.toContain('training'); // nothing was trained
  }, 60_000);

  it('model eval --data-dir /nonexistent fails instead of evaluating the package samples', async () => {
    const r = await coinfer(['model', 'eval', '--model', pkgDir, '--dataset', 'fashion-mnist', '--data-dir', join(root, 'nonexistent'), '--json']);
    expect(r.code).toBe(EXIT_CODES.failure);
    expect(r.stderr).toContain('ERR_DATASET_NOT_FOUND');
    expect(r.stdout).toBe('');
  }, 60_000);
});
