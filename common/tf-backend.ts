/**
 * The one place that picks the TensorFlow.js backend. Returns the tf namespace explicitly (no
 * hidden module-level global): tfjs-node when the user's machine has it installed with its
 * native binding, else tfjs with the wasm backend, else the (slow) cpu backend.
 */
import type * as TfNs from '@tensorflow/tfjs';

export type Tf = typeof TfNs;
export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface LoadedTf {
  readonly tf: Tf;
  /** The active backend name: 'tensorflow' (tfjs-node), 'wasm' or 'cpu'. */
  readonly backend: string;
  /** Why tfjs-node was not used, when it was not. */
  readonly fallbackReason: string | null;
}

let loaded: Promise<LoadedTf> | null = null;
let loadedPref: BackendPreference | null = null;

async function load(prefer: BackendPreference): Promise<LoadedTf> {
  let fallbackReason: string | null = null;
  if (prefer === 'auto' || prefer === 'tensorflow') {
    try {
      const name = '@tensorflow/tfjs-node'; // a variable keeps tsc from resolving the optional package
      const mod = (await import(name)) as { default?: Tf } & Tf;
      const tf = mod.default ?? mod;
      tf.env().set('PROD', true);
      await tf.ready();
      return { tf, backend: tf.getBackend(), fallbackReason: null };
    } catch (e) {
      if (prefer === 'tensorflow') throw e;
      fallbackReason = (e as Error).message.split('\n')[0] ?? String(e);
    }
  }
  const tf = (await import('@tensorflow/tfjs')) as unknown as Tf;
  tf.env().set('PROD', true); // silences the "looks like you are running in Node" banner
  if (prefer !== 'cpu') {
    await import('@tensorflow/tfjs-backend-wasm');
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      return { tf, backend: 'wasm', fallbackReason };
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf, backend: 'cpu', fallbackReason };
}

/**
 * Loads TensorFlow.js once per process with the given preference and returns it. A second call
 * with another preference switches the backend of the same tfjs engine.
 */
export async function loadTf(prefer: BackendPreference = 'auto'): Promise<LoadedTf> {
  if (loaded && loadedPref === prefer) return loaded;
  if (loaded && prefer !== 'tensorflow') {
    const { tf } = await loaded;
    if (prefer === 'wasm' || prefer === 'cpu') {
      if (prefer === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
      if (!(await tf.setBackend(prefer))) throw new Error(`tfjs backend ${prefer} is not available`);
      await tf.ready();
      loadedPref = prefer;
      loaded = Promise.resolve({ tf, backend: prefer, fallbackReason: null });
      return loaded;
    }
  }
  loadedPref = prefer;
  loaded = load(prefer);
  return loaded;
}
