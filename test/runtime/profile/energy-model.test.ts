import { describe, expect, it } from 'vitest';
import { DEFAULT_DEVICE_POWER, deviceEnergyMj, resolveDevicePower } from '../../../runtime/profile/energy-model.ts';

describe('deviceEnergyMj', () => {
  it('is P_compute·device + (P_idle + P_radio)·uplink + P_idle·wait (W·ms = mJ)', () => {
    const p = { computePowerW: 3, radioTxPowerW: 2, idlePowerW: 1 };
    expect(deviceEnergyMj({ deviceMs: 100, uplinkMs: 50, waitMs: 20 }, p)).toBeCloseTo(300 + 150 + 20, 12);
    expect(deviceEnergyMj({ deviceMs: 100, uplinkMs: 50, waitMs: 20 })).toBeCloseTo(3.7 * 100 + 3.1 * 50 + 1.4 * 20, 9);
    expect(deviceEnergyMj({ deviceMs: 0, uplinkMs: 0, waitMs: 0 })).toBe(0);
  });

  it('rejects negative or non-finite times', () => {
    expect(() => deviceEnergyMj({ deviceMs: -1, uplinkMs: 0, waitMs: 0 })).toThrow(RangeError);
    expect(() => deviceEnergyMj({ deviceMs: 0, uplinkMs: Number.POSITIVE_INFINITY, waitMs: 0 })).toThrow(RangeError);
  });

  it('validates power constants', () => {
    expect(resolveDevicePower()).toEqual(DEFAULT_DEVICE_POWER);
    expect(resolveDevicePower({ radioTxPowerW: 0.42 }).radioTxPowerW).toBe(0.42);
    expect(() => resolveDevicePower({ computePowerW: 0 })).toThrow(RangeError);
    expect(() => resolveDevicePower({ idlePowerW: -1 })).toThrow(RangeError);
  });
});
