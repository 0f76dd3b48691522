/**
 * The one way coinfer validates configs and files at its edges: a zod schema, parsed with the
 * input reported, and every issue turned into one line that names the key, the expectation and
 * the actual value. Unknown keys are rejected by building schemas with `z.strictObject`.
 */
import { z } from 'zod';
import { CoinferError, type ErrorCode } from './errors.ts';

function show(v: unknown): string {
  if (v === undefined) return 'missing';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** One line per issue: `key.path: expected …, actually …`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const at = i.path.length > 0 ? i.path.map(String).join('.') : '(top level)';
    if (i.code === 'unrecognized_keys') return `${at}: unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')} (check the spelling)`;
    const msg = i.message.replace(/^(Invalid input|Invalid option|Too small|Too big): /, '').replace(/, received \w+$/, '');
    return `${at}: ${msg}, actually ${show((i as { input?: unknown }).input)}`;
  });
}

/**
 * Parses `value` with `schema`.
 * @param what names the thing being validated in the message (e.g. "scenario base.json")
 * @throws CoinferError `code` (default ERR_INVALID_CONFIG) listing every issue
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string, code: ErrorCode = 'ERR_INVALID_CONFIG'): z.output<S> {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  const lines = formatIssues(r.error.issues);
  throw new CoinferError(code, `Invalid ${what}: ${lines.length === 1 ? lines[0] : `\n  ${lines.join('\n  ')}`}`, { cause: r.error });
}
