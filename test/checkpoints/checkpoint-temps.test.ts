import { mkdir, mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseTempFolderName, sweepTempFolders, tempFolderName } from '../../checkpoints/checkpoint-temps.ts';

const ID = '20250101-120000-s40-a1b2c3';
const host = hostname().replace(/[^A-Za-z0-9.]/g, '_');
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'coinfer-temps-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('checkpoint temp folders', () => {
  it('names record the writer and parse back', () => {
    expect(parseTempFolderName(tempFolderName(ID))).toEqual({ pid: process.pid, host });
    expect(parseTempFolderName(`.tmp-${ID}`)).toBeNull(); // the older names carry no writer
  });

  it('removes those of dead writers and old ones, keeps those a live writer may finish', async () => {
    const alive = (pid: number) => pid === 111;
    const names = {
      live: `.tmp-p111@${host}-${ID}`,
      dead: `.tmp-p222@${host}-${ID}`,
      otherHost: `.tmp-p222@elsewhere-${ID}`,
      legacyNew: `.tmp-${ID}`,
      legacyOld: `.tmp-20240101-000000-s1-ffffff`,
    };
    for (const n of Object.values(names)) await mkdir(join(root, n, 'sub'), { recursive: true });
    await mkdir(join(root, ID)); // a finished checkpoint: not a temp folder
    const old = new Date(Date.now() - 2 * 3600_000);
    await utimes(join(root, names.legacyOld), old, old);
    const swept = await sweepTempFolders(root, { alive });
    const state = Object.fromEntries(swept.map((t) => [t.name, t.state]));
    expect(state).toEqual({
      [names.live]: 'in-progress', [names.dead]: 'removed', [names.otherHost]: 'in-progress', [names.legacyNew]: 'in-progress', [names.legacyOld]: 'removed',
    });
    expect((await readdir(root)).sort()).toEqual([names.legacyNew, names.otherHost, names.live, ID].sort());
    expect(await sweepTempFolders(join(root, 'absent'))).toEqual([]);
  });
});
