/**
 * Edgent's published regression coefficients (Li, Zhou, Chen, "Edge Intelligence: On-Demand
 * Deep Learning Model Co-Inference with Device-Edge Synergy", 2018, Table I), in ms, on
 * Edgent's independent variables (docs/architecture.md §4). Shipped as ready-made profiles:
 * "edgent-rpi3b" (the Raspberry Pi 3b device) and "edgent-desktop" (the quad-core 3.4 GHz
 * edge server with 8 GB).
 */
import type { LayerRegressionProfile } from './layer-regression.ts';

export const EDGENT_RPI3B: LayerRegressionProfile = {
  name: 'edgent-rpi3b',
  side: 'device',
  origin: 'published',
  description: 'Edgent Table I, mobile device (Raspberry Pi 3b)',
  layers: {
    conv: { coef: [6.13e-3, 2.67e-2], intercept: -9.909 },
    relu: { coef: [1.5e-5], intercept: 4.88e-1 },
    pool: { coef: [1.33e-4, 3.31e-5], intercept: 1.657 },
    lrn: { coef: [5.19e-4], intercept: 5.89e-1 },
    dropout: { coef: [2.34e-6], intercept: 0.0525 },
    fc: { coef: [9.18e-4, 3.99e-3], intercept: 1.169 },
  },
  modelLoading: { coef: [4.49e-6], intercept: 842.136 },
};

export const EDGENT_DESKTOP: LayerRegressionProfile = {
  name: 'edgent-desktop',
  side: 'edge',
  origin: 'published',
  description: 'Edgent Table I, edge server (quad-core 3.4 GHz PC, 8 GB)',
  layers: {
    conv: { coef: [6.03e-5, 1.24e-4], intercept: 1.89e-1 },
    relu: { coef: [5.6e-6], intercept: 5.69e-2 },
    pool: { coef: [1.63e-5, 4.07e-6], intercept: 2.11e-1 },
    lrn: { coef: [6.59e-5], intercept: 7.8e-2 },
    dropout: { coef: [5.23e-6], intercept: 4.64e-3 },
    fc: { coef: [1.07e-4, -1.83e-4], intercept: 0.164 },
  },
  modelLoading: { coef: [1.33e-6], intercept: 2.182 },
};

/** The published profiles by name. */
export const PUBLISHED_PROFILES: Readonly<Record<string, LayerRegressionProfile>> = {
  [EDGENT_RPI3B.name]: EDGENT_RPI3B,
  [EDGENT_DESKTOP.name]: EDGENT_DESKTOP,
};
