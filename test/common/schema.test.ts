import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseWith } from '../../common/schema.ts';
import { CoinferError } from '../../common/errors.ts';

const schema = z.strictObject({ rate: z.number().min(0), link: z.strictObject({ name: z.string() }), kind: z.enum(['a', 'b']) });

function messageOf(value: unknown): string {
  try {
    parseWith(schema, value, 'scenario x.json');
  } catch (e) {
    expect(e).toBeInstanceOf(CoinferError);
    expect((e as CoinferError).code).toBe('ERR_INVALID_CONFIG');
    return (e as Error).message;
  }
  throw new Error('expected a validation error');
}

describe('parseWith', () => {
  it('returns the parsed value when valid', () => {
    expect(parseWith(schema, { rate: 1, link: { name: 'l' }, kind: 'a' }, 'x')).toEqual({ rate: 1, link: { name: 'l' }, kind: 'a' });
  });

  it('names the key, the expectation and the actual value of every issue', () => {
    const m = messageOf({ rate: -1, link: { name: 3 }, kind: 'z', extra: true });
    expect(m).toContain('Invalid scenario x.json');
    expect(m).toContain('rate: expected number to be >=0, actually -1');
    expect(m).toContain('link.name: expected string, actually 3');
    expect(m).toContain('kind: expected one of "a"|"b", actually "z"');
    expect(m).toContain("unknown key 'extra'");
  });

  it('says a missing key is missing', () => {
    expect(messageOf({ rate: 1, link: { name: 'l' } })).toContain('kind: expected one of "a"|"b", actually missing');
  });
});
