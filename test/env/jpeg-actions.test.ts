import { beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { ReplayEnv } from '../../env/replay-env.ts';
import { ActionCodec } from '../../env/action-codec.ts';
import { resolveEnvConfig } from '../../env/replay-config.ts';
import { canonicalAction, enumerateActions, jpegQuality } from '../../runtime/action.ts';
import { constantTrace } from '../../runtime/link/trace.ts';
import { loadModelPackage, type ModelPackage } from '../../runtime/model/model-package.ts';
import { decodeCorrectness } from '../../runtime/model/manifest-build.ts';
import { actionAccuracyOf } from '../../runtime/model/action-accuracy.ts';
import { createPlanner } from '../../policies/model-planner.ts';
import { requestHeaderBytes } from '../../runtime/profile/payload-estimate.ts';
import { EDGENT_DESKTOP, EDGENT_RPI3B } from '../../runtime/profile/edgent-profiles.ts';
import { edgentTimes } from './fixtures.ts';

const MODEL = resolve(import.meta.dirname, '../../models/fmnist-alexnet');

describe('JPEG input actions', () => {
  let pkg: ModelPackage;
  beforeAll(async () => {
    pkg = await loadModelPackage(MODEL);
  });

  it('are partition-0 only: canonicalAction keeps them there and refuses them at partition >= 1', () => {
    const m = pkg.manifest;
    expect(canonicalAction(m, { exit: 5, partition: 0, encoding: 'jpeg50' })).toEqual({ exit: 5, partition: 0, encoding: 'jpeg50' });
    expect(() => canonicalAction(m, { exit: 5, partition: 1, encoding: 'jpeg90' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ACTION', message: expect.stringContaining('partition 0') }));
    expect(canonicalAction(m, { exit: 1, partition: 5, encoding: 'jpeg90' }).encoding).toBe('f32'); // local: nothing is sent
    expect(jpegQuality('jpeg90')).toBe(90);
    expect(jpegQuality('int8')).toBeNull();
    expect(enumerateActions(m).some((a) => a.encoding.startsWith('jpeg'))).toBe(false); // not offered by default
    expect(enumerateActions(m, ['jpeg50']).filter((a) => a.encoding === 'jpeg50')).toHaveLength(m.exits.length);
  });

  it('actionAccuracyOf finds the measured {jpeg, quality} entry for jpegNN', () => {
    const file = pkg.actionAccuracy!;
    for (const q of [90, 50]) {
      const entry = file.entries.find((e) => e.exit === 5 && e.partition === 0 && e.encoding === 'jpeg' && e.quality === q)!;
      const got = actionAccuracyOf(pkg.manifest, file, { exit: 5, partition: 0, encoding: `jpeg${q}` });
      expect(Array.from(got.correct!)).toEqual(Array.from(decodeCorrectness(entry.correct, file.evalSamples)));
    }
  });

  it('the replay env charges measured bytes and encode time and scores measured correctness', () => {
    const file = pkg.actionAccuracy!;
    const env = new ReplayEnv({ manifest: pkg.manifest, actionAccuracy: file, computeTimes: edgentTimes(pkg), traces: [constantTrace(10)], config: { encodings: ['int8', 'jpeg90', 'jpeg50'] } });
    const { codec, table } = env.vec;
    const raw = codec.encode({ exit: 5, partition: 0, encoding: 'uint8' });
    for (const q of [90, 50] as const) {
      const i = codec.encode({ exit: 5, partition: 0, encoding: `jpeg${q}` });
      const measured = file.inputEncodings.find((e) => e.quality === q)!;
      expect(table.bytes[i]).toBeCloseTo(requestHeaderBytes(4) + measured.meanBytes, 6);
      expect(table.bytes[i]).toBeLessThan(table.bytes[raw]!);
      expect(table.deviceBaseMs[i]).toBeCloseTo(measured.encodeMsMedian, 9);
      expect(table.edgeBaseMs[i]).toBe(table.edgeBaseMs[raw]);
      expect(Array.from(table.correct[i]!)).toEqual(Array.from(actionAccuracyOf(pkg.manifest, file, codec.actions[i]!).correct!));
    }
    expect(codec.labels).toContain('e5/p0/jpeg50');
  });

  it('are refused with a clear error when the package has no measured JPEG figures', () => {
    const make = (actionAccuracy: typeof pkg.actionAccuracy) => new ReplayEnv({ manifest: pkg.manifest, actionAccuracy, computeTimes: edgentTimes(pkg), traces: [constantTrace(10)], config: { encodings: ['int8', 'jpeg90'] } });
    expect(() => make(null)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG', message: expect.stringContaining('jpeg90') }));
    expect(() => make({ ...pkg.actionAccuracy!, inputEncodings: [] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
    expect(() => resolveEnvConfig({ encodings: ['jpeg70' as 'jpeg90'] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
    expect(resolveEnvConfig().encodings).toEqual(['int8']); // the default offering is unchanged
  });

  it('the planners predict JPEG actions from the measured bytes and encode time, and refuse them without figures', () => {
    const file = pkg.actionAccuracy!;
    const actions = new ActionCodec(pkg.manifest, ['int8', 'jpeg90', 'jpeg50']).actions;
    const planner = createPlanner({ manifest: pkg.manifest, device: EDGENT_RPI3B, edge: EDGENT_DESKTOP, actions, actionAccuracy: file });
    const ctx = { bandwidthMbps: 0.1, rttMs: 10, deviceLoad: 0, edgeLoad: 0, deadlineMs: 1000 } as Parameters<typeof planner.predict>[1];
    const jpeg = planner.predict({ exit: 5, partition: 0, encoding: 'jpeg50' }, ctx);
    const raw = planner.predict({ exit: 5, partition: 0, encoding: 'uint8' }, ctx);
    const m = file.inputEncodings.find((e) => e.quality === 50)!;
    expect(jpeg.bytes).toBeCloseTo(requestHeaderBytes(4) + m.meanBytes, 6);
    expect(jpeg.deviceMs).toBeCloseTo(m.encodeMsMedian, 9);
    expect(jpeg.uplinkMs).toBeLessThan(raw.uplinkMs);
    const noFigures = createPlanner({ manifest: pkg.manifest, device: EDGENT_RPI3B, edge: EDGENT_DESKTOP, actions, actionAccuracy: null });
    expect(() => noFigures.predict({ exit: 5, partition: 0, encoding: 'jpeg50' }, ctx)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ACTION' }));
  });
});
