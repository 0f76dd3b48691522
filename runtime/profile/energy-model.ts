/**
 * Device energy of one request (docs/architecture.md §1): E = P_compute·T_device + (P_idle + P_radio)·T_uplink
 * + P_idle·T_wait. Pure. The power constants are **literature figures, not measured here**
 * (this machine has no power meter); docs/latency.md lists them with their sources.
 *
 * Units: W × ms = mJ, so no conversion factor appears.
 */

/** Device power draws, in watts. */
export interface DevicePowerConfig {
  /**
   * Whole-board power while computing, W (> 0). Default 3.7 W: Raspberry Pi 3 Model B under
   * full 4-core CPU load, 730 mA at 5 V (Pi Dramble power benchmarks, Jeff Geerling,
   * pidramble.com/wiki/benchmarks/power-consumption; an independent 5.00 V bench-supply
   * measurement, F. Guerraz 2017 on Medium, found 3.95 W with 4 cores on sysbench).
   */
  readonly computePowerW: number;
  /**
   * Extra power of the radio while transmitting, W (≥ 0), on top of `idlePowerW`. Default
   * 1.7 W: the cellular uplink power model of Huang et al., "A Close Examination of Performance
   * and Power Characteristics of 4G LTE Networks", MobiSys 2012 (P = α_u·t_u + β), at the
   * traces' median uplink of about 1 Mbps: 3G 0.869·1 + 0.818 ≈ 1.69 W, LTE 0.438·1 + 1.288 ≈
   * 1.73 W (WiFi would be 0.283·1 + 0.133 ≈ 0.42 W). Smartphone figures: Neurosurgeon (Kang et
   * al., ASPLOS 2017) uses the same models for mobile transmission energy.
   */
  readonly radioTxPowerW: number;
  /**
   * Whole-board power while idle or waiting for the edge's reply, W (≥ 0). Default 1.4 W:
   * Raspberry Pi 3 Model B idle, 260 mA at 5 V (Pi Dramble, as above; Guerraz: 1.22 W after boot).
   */
  readonly idlePowerW: number;
}

export const DEFAULT_DEVICE_POWER: DevicePowerConfig = { computePowerW: 3.7, radioTxPowerW: 1.7, idlePowerW: 1.4 };

/** Merges and validates power constants. @throws RangeError naming the bad field. */
export function resolveDevicePower(partial: Partial<DevicePowerConfig> = {}): DevicePowerConfig {
  const c = { ...DEFAULT_DEVICE_POWER, ...partial };
  if (!(c.computePowerW > 0 && Number.isFinite(c.computePowerW))) throw new RangeError(`Expected computePowerW > 0 W, actually ${c.computePowerW}`);
  if (!(c.radioTxPowerW >= 0 && Number.isFinite(c.radioTxPowerW))) throw new RangeError(`Expected radioTxPowerW >= 0 W, actually ${c.radioTxPowerW}`);
  if (!(c.idlePowerW >= 0 && Number.isFinite(c.idlePowerW))) throw new RangeError(`Expected idlePowerW >= 0 W, actually ${c.idlePowerW}`);
  return c;
}

/** Time the device spends in each power state during one request, ms (each ≥ 0). */
export interface DeviceTimeBreakdown {
  /** Device compute (its prefix, or the whole local path). */
  readonly deviceMs: number;
  /** Sending the crossing tensor (transmission + propagation of the request). */
  readonly uplinkMs: number;
  /** Waiting for the edge: edge compute and the reply's way back. */
  readonly waitMs: number;
}

/**
 * Device energy of one request in millijoules.
 * @example deviceEnergyMj({ deviceMs: 100, uplinkMs: 50, waitMs: 20 }) // 3.7·100 + 3.1·50 + 1.4·20 = 553 mJ
 * @throws RangeError when a time is negative or not finite.
 */
export function deviceEnergyMj(t: DeviceTimeBreakdown, power: DevicePowerConfig = DEFAULT_DEVICE_POWER): number {
  for (const k of ['deviceMs', 'uplinkMs', 'waitMs'] as const) {
    if (!(t[k] >= 0 && Number.isFinite(t[k]))) throw new RangeError(`Expected ${k} a finite time >= 0 ms, actually ${t[k]}`);
  }
  return power.computePowerW * t.deviceMs + (power.idlePowerW + power.radioTxPowerW) * t.uplinkMs + power.idlePowerW * t.waitMs;
}
