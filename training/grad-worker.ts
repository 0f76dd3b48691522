/**
 * One data-parallel training worker (a worker thread of ParallelStepRunner): holds a replica of
 * the network and of Adam, computes the gradients of its shard of each batch, and applies the
 * averaged gradient it is sent back, so every replica stays identical. Messages are handled
 * strictly in arrival order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadTf, type BackendPreference } from '../common/tf-backend.ts';
import { registerWasmConvGradKernels } from './wasm-conv-grad.ts';
import { adamWithState, buildNetFor, snapshotOf, type RunnerInit } from './step-runner.ts';
import { applyGradients, computeGradients, trainableVariables } from './train-step.ts';
import type { WorkerReply, WorkerRequest } from './parallel-step-runner.ts';

const port = parentPort!;
const { init, backend: prefer } = workerData as { init: RunnerInit; backend: BackendPreference };
const { tf, backend } = await loadTf(prefer);
if (backend === 'wasm') registerWasmConvGradKernels(tf);
const net = buildNetFor(tf, init);
const vars = trainableVariables(net);
let optimizer = await adamWithState(tf, init.learningRate, null, init.restore ?? undefined);

const reply = (m: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

async function handle(m: WorkerRequest): Promise<void> {
  switch (m.type) {
    case 'grad': {
      const r = computeGradients(tf, net, { batch: m.batch, exitWeights: init.exitWeights, dropoutSeed: m.dropoutSeed, varList: vars });
      reply({ type: 'grad', grads: r.grads, stats: r.stats }, r.grads.map((g) => g.buffer as ArrayBuffer));
      return;
    }
    case 'apply':
      applyGradients(tf, optimizer, vars, m.grads);
      return;
    case 'lr':
      optimizer = await adamWithState(tf, m.lr, optimizer);
      reply({ type: 'ok' });
      return;
    case 'snapshot':
      reply({ type: 'snapshot', snapshot: await snapshotOf(net, optimizer) });
      return;
    case 'close':
      optimizer.dispose();
      net.model.dispose();
      reply({ type: 'ok' });
      port.close();
      return;
  }
}

let queue = Promise.resolve();
port.on('message', (m: WorkerRequest) => {
  queue = queue.then(() => handle(m)).catch((e: unknown) => reply({ type: 'error', message: (e as Error).stack ?? String(e) }));
});
reply({ type: 'ready', backend });
