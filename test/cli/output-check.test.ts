import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutputPath } from '../../cli/output-check.ts';
import { CoinferError } from '../../common/errors.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-output-check-'));
  await writeFile(join(root, 'file'), 'x');
  await mkdir(join(root, 'dir'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const code = (p: Promise<void>): Promise<string | null> => p.then(() => null, (e: unknown) => (e instanceof CoinferError ? e.code : String(e)));

describe('checkOutputPath', () => {
  it('accepts new paths under writable folders and existing paths of the right kind', async () => {
    expect(await code(checkOutputPath({ option: '--out', path: join(root, 'new', 'deeper', 'pkg'), kind: 'dir' }))).toBeNull();
    expect(await code(checkOutputPath({ option: '--out', path: join(root, 'dir'), kind: 'dir' }))).toBeNull();
    expect(await code(checkOutputPath({ option: '--report', path: join(root, 'file'), kind: 'file' }))).toBeNull();
    expect(await code(checkOutputPath({ option: '--report', path: join(root, 'new', 'r.html'), kind: 'file' }))).toBeNull();
  });

  it('refuses paths under a file and paths of the other kind', async () => {
    expect(await code(checkOutputPath({ option: '--out', path: join(root, 'file', 'a', 'b'), kind: 'dir' }))).toBe('ERR_INVALID_ARGUMENT');
    expect(await code(checkOutputPath({ option: '--out', path: join(root, 'file'), kind: 'dir' }))).toBe('ERR_INVALID_ARGUMENT');
    expect(await code(checkOutputPath({ option: '--report', path: join(root, 'dir'), kind: 'file' }))).toBe('ERR_INVALID_ARGUMENT');
  });
});
