/**
 * The device-load knob (docs/architecture.md §4): real background CPU work in worker threads, so the
 * device's inference competes for the processor as it would on a busy phone. Each worker
 * spins for `busy` ms and sleeps for the rest of every `periodMs` period (duty cycling); a
 * load of 1.5 runs two workers at 75 % each.
 *
 * @example
 * const load = new DeviceLoad({ fraction: 0.5 });
 * await load.start();
 * // ... measure under load ...
 * await load.stop();
 */
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { parseWith } from '../../common/schema.ts';

export interface DeviceLoadConfig {
  /** Busy share of CPU cores, in [0, 8]: 0.5 = half of one core, 2 = two cores flat out. */
  readonly fraction: number;
  /** Duty-cycle period, ms in [1, 1000]: shorter is smoother, longer costs fewer wake-ups. */
  readonly periodMs: number;
}

export const DEFAULT_DEVICE_LOAD_CONFIG: DeviceLoadConfig = Object.freeze({ fraction: 0, periodMs: 20 });

const DEVICE_LOAD_CONFIG_SCHEMA = z.strictObject({ fraction: z.number().min(0).max(8), periodMs: z.number().min(1).max(1000) });

/** @throws CoinferError ERR_INVALID_CONFIG naming the field */
export function resolveDeviceLoadConfig(p: Partial<DeviceLoadConfig> = {}): DeviceLoadConfig {
  return Object.freeze(parseWith(DEVICE_LOAD_CONFIG_SCHEMA, { ...DEFAULT_DEVICE_LOAD_CONFIG, ...p }, 'DeviceLoadConfig'));
}

// Plain CommonJS run with eval (no TypeScript loader in workers). The stop flag lives in
// shared memory: the spinning loop polls it, and Atomics.wait doubles as an interruptible sleep.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const flag = new Int32Array(workerData.stop);
const { busyMs, idleMs } = workerData;
let x = 0;
while (Atomics.load(flag, 0) === 0) {
  const end = performance.now() + busyMs;
  while (performance.now() < end) x = Math.sqrt(x + 1.5);
  if (idleMs > 0) Atomics.wait(flag, 0, 0, idleMs);
}
`;

export class DeviceLoad {
  readonly config: DeviceLoadConfig;
  #workers: Worker[] = [];
  #stop: Int32Array | null = null;

  /** @throws CoinferError ERR_INVALID_CONFIG */
  constructor(config: Partial<DeviceLoadConfig> = {}) {
    this.config = resolveDeviceLoadConfig(config);
  }

  /** True while workers are running. */
  get running(): boolean {
    return this.#workers.length > 0;
  }

  /** Starts the workers (no-op at fraction 0 or when already running); resolves once they run. */
  async start(): Promise<void> {
    const { fraction, periodMs } = this.config;
    if (this.running || fraction === 0) return;
    const count = Math.ceil(fraction);
    const duty = fraction / count;
    const stop = new Int32Array(new SharedArrayBuffer(4));
    this.#stop = stop;
    const workerData = { stop: stop.buffer, busyMs: duty * periodMs, idleMs: (1 - duty) * periodMs };
    this.#workers = Array.from({ length: count }, () => new Worker(WORKER_SOURCE, { eval: true, workerData }));
    await Promise.all(this.#workers.map((w) => new Promise<void>((resolve, reject) => {
      w.once('online', () => resolve());
      w.once('error', reject);
    })));
  }

  /** Stops the workers and waits for them to exit; idempotent. */
  async stop(): Promise<void> {
    const workers = this.#workers;
    if (workers.length === 0 || this.#stop === null) return;
    this.#workers = [];
    Atomics.store(this.#stop, 0, 1);
    Atomics.notify(this.#stop, 0);
    // The flag ends the loops; terminate() then resolves once each thread is gone (also when
    // it already exited, where waiting for 'exit' would hang).
    await Promise.all(workers.map((w) => w.terminate()));
    this.#stop = null;
  }
}
