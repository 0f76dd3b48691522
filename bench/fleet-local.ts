/**
 * `npm run fleet:local`: distributed training on this machine — a local redis-server (free
 * port), one `coinfer learner` and N `coinfer actor` processes on the replay env — with one
 * progress line per second. Ctrl-C stops the actors first (they flush), then the learner (final
 * checkpoint), then the broker.
 *
 *   npm run fleet:local -- [--actors 4] [--scenario base] [--lanes 8] [--out runs/fleet] [--resume latest] [--dqn '{…}']
 */
import { parseArgs } from 'node:util';
import { startLocalRedis } from '../cli/local-redis.ts';
import { spawnCoinfer, type CoinferProcess } from './coinfer-process.ts';

const { values } = parseArgs({
  options: {
    actors: { type: 'string', default: '4' },
    scenario: { type: 'string', default: 'base' },
    lanes: { type: 'string', default: '8' },
    out: { type: 'string', default: 'runs/fleet' },
    resume: { type: 'string' },
    dqn: { type: 'string', default: '{}' },
  },
});
const actors = Number(values.actors);
if (!Number.isInteger(actors) || actors < 1) throw new RangeError(`Expected --actors a positive integer, actually ${values.actors}`);

const redis = await startLocalRedis();
process.stdout.write(`broker: redis-server at ${redis.url}\n`);
const common = ['--broker', redis.url, '--scenario', values.scenario, '--dqn', values.dqn, '--json'];
let learned: Record<string, unknown> = {};
const actorState = new Map<number, Record<string, unknown>>();
const learner = spawnCoinfer(['learner', ...common, '--out', values.out, '--checkpoint-every', '50000', ...(values.resume ? ['--resume', values.resume] : [])], (e) => {
  if (e['event'] === 'progress') learned = e;
  if (e['event'] === 'checkpoint') process.stdout.write(`checkpoint ${String(e['id'])} at ${String(e['ingested'])} transitions\n`);
  if (e['event'] === 'done') process.stdout.write(`learner done: ${JSON.stringify(e)}\n`);
});
const fleet: CoinferProcess[] = Array.from({ length: actors }, (_, i) => spawnCoinfer(['actor', ...common, '--lanes', values.lanes, '--seed', String(i + 1), '--actor-id', `local${i}`], (e) => {
  if (e['event'] === 'progress' || e['event'] === 'done') actorState.set(i, e);
}));

const timer = setInterval(() => {
  const sum = (k: string) => [...actorState.values()].reduce((s, e) => s + Number(e[k] ?? 0), 0);
  const n = (k: string) => Math.round(Number(learned[k] ?? 0));
  process.stdout.write(`learner: ${n('ingested')} transitions (${n('ingestPerSecond')}/s), ${n('gradientSteps')} updates (${Number(learned['updatesPerSecond'] ?? 0).toFixed(1)}/s), replay ${n('replaySize')}, weights v${n('weightsVersion')} | ${actors} actors: ${Math.round(sum('stepsPerSecond'))} steps/s, sent ${sum('sent')}, dropped ${sum('droppedInFlight') + sum('droppedLag')}\n`);
}, 1000);

let stopping = false;
async function stop(why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  process.stdout.write(`\nstopping (${why}): actors, then the learner, then the broker…\n`);
  for (const a of fleet) a.signal('SIGINT');
  await Promise.all(fleet.map((a) => a.exited));
  learner.signal('SIGINT');
  const code = await learner.exited;
  if (code !== 0) process.stderr.write(`learner exited with ${code}:\n${learner.stderrTail()}\n`);
  await redis.stop();
  process.stdout.write('stopped cleanly\n');
  process.exit(code === 0 ? 0 : 1);
}
process.on('SIGINT', () => void stop('Ctrl-C'));
process.on('SIGTERM', () => void stop('SIGTERM'));
void learner.exited.then((code) => { if (!stopping) { process.stderr.write(`learner exited early (${code}):\n${learner.stderrTail()}\n`); void stop('learner exited'); } });
