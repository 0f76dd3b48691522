import { defineConfig } from 'vitest/config';

// Tests run in forked processes (onnxruntime-node and tfjs-wasm are native/wasm and not
// worker_threads-friendly); two forks for the two cores of the CI machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/summary-reporter.ts'],
    globalSetup: ['./test/global-setup.ts'],
  },
});
