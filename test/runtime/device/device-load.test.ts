import { describe, expect, it } from 'vitest';
import { CoinferError } from '../../../common/errors.ts';
import { DeviceLoad } from '../../../runtime/device/device-load.ts';

const busyMsOver = async (ms: number): Promise<number> => {
  const before = process.cpuUsage();
  await new Promise((r) => setTimeout(r, ms));
  const d = process.cpuUsage(before);
  return (d.user + d.system) / 1000;
};

describe('DeviceLoad', () => {
  it('burns CPU in worker threads while running and stops cleanly', async () => {
    const load = new DeviceLoad({ fraction: 0.6, periodMs: 10 });
    await load.start();
    expect(load.running).toBe(true);
    const loadedMs = await busyMsOver(300);
    await load.stop();
    expect(load.running).toBe(false);
    const idleMs = await busyMsOver(150);
    // 0.6 core over 300 ms ≈ 180 ms of CPU; the machine is shared, so ask for a sixth of it.
    expect(loadedMs).toBeGreaterThan(30);
    expect(idleMs).toBeLessThan(loadedMs / 2);
    await load.stop(); // idempotent
  });

  it('does nothing at fraction 0 and validates its config', async () => {
    const none = new DeviceLoad({ fraction: 0 });
    await none.start();
    expect(none.running).toBe(false);
    expect(() => new DeviceLoad({ fraction: -1 })).toThrow(CoinferError);
    expect(() => new DeviceLoad({ periodMs: 0 })).toThrow(CoinferError);
  });
});
