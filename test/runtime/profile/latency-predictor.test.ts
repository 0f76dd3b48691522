import { describe, expect, it } from 'vitest';
import { CoinferError } from '../../../common/errors.ts';
import { createRng } from '../../../common/rng.ts';
import { enumerateActions } from '../../../runtime/action.ts';
import { EDGENT_DESKTOP, EDGENT_RPI3B } from '../../../runtime/profile/edgent-profiles.ts';
import { deviceEnergyMj } from '../../../runtime/profile/energy-model.ts';
import { predictLayersMs } from '../../../runtime/profile/layer-regression.ts';
import { createLatencyTable, predictFromTable, predictLatency } from '../../../runtime/profile/latency-predictor.ts';
import { requestHeaderBytes } from '../../../runtime/profile/payload-estimate.ts';
import { encodeRequest } from '../../../runtime/wire/protocol.ts';
import { testManifest } from '../../policies/fixtures.ts';

const manifest = testManifest();
const table = createLatencyTable(manifest, EDGENT_RPI3B, EDGENT_DESKTOP);
const base = { bandwidthMbps: 1, rttMs: 20 };

describe('predictFromTable', () => {
  it('sizes the crossing tensor per encoding plus the frame header', () => {
    const p = 3; // lrn1: 32×14×14
    const n = manifest.stages[p - 1]!.outputShape.reduce((a, b) => a * b, 1);
    expect(n).toBe(32 * 14 * 14);
    const header = requestHeaderBytes(4);
    const bytes = (encoding: 'f32' | 'f16' | 'int8') => predictFromTable(table, { ...base, action: { exit: 5, partition: p, encoding } }).bytes;
    expect(bytes('f32')).toBe(header + 4 * n);
    expect(bytes('f16')).toBe(header + 2 * n);
    expect(bytes('int8')).toBe(header + n); // scale and zero point live in the fixed header
    expect(predictFromTable(table, { ...base, action: { exit: 5, partition: 0, encoding: 'uint8' } }).bytes).toBe(header + 28 * 28);
  });

  it('counts exactly the bytes of the real request frame', () => {
    const n = 64 * 7 * 7;
    const frame = encodeRequest({ requestId: 1, modelId: 2, partition: 6, exit: 5, encoding: 'f16', dims: [1, 64, 7, 7], deadlineMs: 100, scale: 1, zeroPoint: 0 }, new Uint8Array(2 * n));
    expect(predictFromTable(table, { ...base, action: { exit: 5, partition: 6, encoding: 'f16' } }).bytes).toBe(frame.byteLength);
  });

  it('computes the uplink as bytes·8/bandwidth + RTT/2 and the reply as RTT/2', () => {
    const r = predictFromTable(table, { bandwidthMbps: 2, rttMs: 30, action: { exit: 5, partition: 0, encoding: 'uint8' } });
    expect(r.uplinkMs).toBeCloseTo((r.bytes * 8) / 2e6 * 1000 + 15, 10);
    expect(r.downlinkMs).toBe(15);
    expect(r.totalMs).toBeCloseTo(r.deviceMs + r.uplinkMs + r.edgeMs + r.downlinkMs, 10);
    expect(r.deviceMs).toBe(0);
    expect(r.energyMj).toBeCloseTo(deviceEnergyMj({ deviceMs: 0, uplinkMs: r.uplinkMs, waitMs: r.edgeMs + 15 }), 10);
  });

  it('equals predictLayersMs of the emulated profiles stage by stage', () => {
    const p = 6, exit = 5;
    const r = predictFromTable(table, { ...base, action: { exit, partition: p, encoding: 'f16' } });
    const dev = manifest.stages.slice(0, p).reduce((a, s) => a + predictLayersMs(EDGENT_RPI3B, s.layers), 0);
    const edge = manifest.stages.slice(p).reduce((a, s) => a + predictLayersMs(EDGENT_DESKTOP, s.layers), 0)
      + predictLayersMs(EDGENT_DESKTOP, manifest.exits[exit - 1]!.layers);
    expect(r.deviceMs).toBeCloseTo(dev, 9);
    expect(r.edgeMs).toBeCloseTo(edge, 9);
  });

  it('runs local actions on the device only: no bytes, no link, compute power only', () => {
    const ex = manifest.exits[1]!;
    const r = predictFromTable(table, { ...base, action: { exit: 2, partition: ex.branchStage, encoding: 'f32' } });
    const dev = manifest.stages.slice(0, ex.branchStage).reduce((a, s) => a + predictLayersMs(EDGENT_RPI3B, s.layers), 0) + predictLayersMs(EDGENT_RPI3B, ex.layers);
    expect(r).toMatchObject({ local: true, bytes: 0, uplinkMs: 0, edgeMs: 0, downlinkMs: 0 });
    expect(r.totalMs).toBeCloseTo(dev, 9);
    expect(r.energyMj).toBeCloseTo(3.7 * dev, 9);
  });

  it('scales compute by 1/(1 − load) and stalls at 0 Mbps', () => {
    const a = { exit: 5, partition: 4, encoding: 'f32' } as const;
    const r0 = predictFromTable(table, { ...base, action: a });
    const r = predictFromTable(table, { ...base, action: a, deviceLoad: 0.5, edgeLoad: 0.75 });
    expect(r.deviceMs).toBeCloseTo(2 * r0.deviceMs, 9);
    expect(r.edgeMs).toBeCloseTo(4 * r0.edgeMs, 9);
    const stalled = predictFromTable(table, { ...base, bandwidthMbps: 0, action: a });
    expect(stalled.totalMs).toBe(Number.POSITIVE_INFINITY);
    expect(() => predictFromTable(table, { ...base, action: a, deviceLoad: 1.5 })).toThrow(RangeError);
  });

  it("adds a fitted profile's per-call overhead once per side that runs anything", () => {
    const dev = { ...EDGENT_RPI3B, origin: 'fitted' as const, callOverheadMs: 3 };
    const edge = { ...EDGENT_DESKTOP, origin: 'fitted' as const, callOverheadMs: 5 };
    const t = createLatencyTable(manifest, dev, edge);
    const at = (a: { exit: number; partition: number; encoding: 'f32' | 'uint8' }) => [predictFromTable(t, { ...base, action: a }), predictFromTable(table, { ...base, action: a })] as const;
    const [split, split0] = at({ exit: 5, partition: 4, encoding: 'f32' });
    expect(split.deviceMs - split0.deviceMs).toBeCloseTo(3, 9);
    expect(split.edgeMs - split0.edgeMs).toBeCloseTo(5, 9);
    const [raw, raw0] = at({ exit: 5, partition: 0, encoding: 'uint8' });
    expect(raw.deviceMs).toBe(0);
    expect(raw.edgeMs - raw0.edgeMs).toBeCloseTo(5, 9);
    const [local, local0] = at({ exit: 5, partition: 12, encoding: 'f32' });
    expect(local.totalMs - local0.totalMs).toBeCloseTo(3, 9);
  });

  it('rejects out-of-range actions with ERR_INVALID_ACTION', () => {
    for (const action of [{ exit: 9, partition: 0, encoding: 'uint8' as const }, { exit: 5, partition: 99, encoding: 'f32' as const }]) {
      try {
        predictFromTable(table, { ...base, action });
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(CoinferError);
        expect((e as CoinferError).code).toBe('ERR_INVALID_ACTION');
      }
    }
  });

  it('agrees with the one-off predictLatency on random actions and conditions', () => {
    const rng = createRng(5);
    const actions = enumerateActions(manifest);
    for (let i = 0; i < 50; i++) {
      const c = { action: actions[rng.int(actions.length)]!, bandwidthMbps: rng.next() * 10, rttMs: rng.next() * 100, deviceLoad: rng.next() * 0.9 };
      expect(predictLatency({ manifest, device: EDGENT_RPI3B, edge: EDGENT_DESKTOP, ...c })).toEqual(predictFromTable(table, c));
    }
  });
});
