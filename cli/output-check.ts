/**
 * Checks an output path named on the command line before the long work that ends by writing
 * it: a training run or a demo used to run to completion and only then fail with EEXIST or
 * ENOTDIR. The check creates nothing; it finds the nearest existing ancestor and asks whether
 * the path could be written there.
 */
import { constants, type Stats } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CoinferError } from '../common/errors.ts';

/** What the command will write at the path. */
export type OutputKind = 'file' | 'dir';

const bad = (option: string, path: string, why: string): CoinferError =>
  new CoinferError('ERR_INVALID_ARGUMENT', `Expected ${option} a path this process can write, actually '${path}': ${why}; pick another path`);

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

async function writable(path: string): Promise<boolean> {
  try {
    await access(path, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves when `path` can be written as a `kind` (an existing one overwritten, or a new one
 * created with its missing parent folders).
 * @throws (rejects) CoinferError ERR_INVALID_ARGUMENT naming the option, the path and the reason
 */
export async function checkOutputPath(o: { readonly option: string; readonly path: string; readonly kind: OutputKind }): Promise<void> {
  const { option, path, kind } = o;
  const abs = resolve(path);
  const own = await statOrNull(abs);
  if (own !== null) {
    if (kind === 'file' && own.isDirectory()) throw bad(option, path, 'it is a folder, and a file is written there');
    if (kind === 'dir' && !own.isDirectory()) throw bad(option, path, 'it is a file, and a folder is written there');
    if (kind === 'file') {
      try {
        await access(abs, constants.W_OK);
      } catch {
        throw bad(option, path, 'the file is not writable');
      }
    } else if (!(await writable(abs))) throw bad(option, path, 'the folder is not writable');
    return;
  }
  // The nearest existing ancestor must be a writable folder.
  let parent = dirname(abs);
  for (;;) {
    const s = await statOrNull(parent);
    if (s !== null) {
      if (!s.isDirectory()) throw bad(option, path, `${parent} is a file, so nothing can be created under it`);
      if (!(await writable(parent))) throw bad(option, path, `the folder ${parent} is not writable`);
      return;
    }
    const up = dirname(parent);
    if (up === parent) throw bad(option, path, 'no ancestor folder exists');
    parent = up;
  }
}
