/**
 * The `coinfer` command line: the composition root. Only this layer reads argv and the
 * environment; each command lives in cli/commands/<name>.ts and exports `register(program)`.
 */
import { Command, CommanderError } from '@commander-js/extra-typings';
import { describeError } from '../common/errors.ts';
import { exitCodeFor } from './exit-codes.ts';
import { readFileSync } from 'node:fs';
import { registerModel } from './commands/model.ts';
import { registerSplitCheck } from './commands/split-check.ts';
import { registerCheckpoints } from './commands/checkpoints.ts';
import { registerProfile } from './commands/profile.ts';
import { registerEdge } from './commands/edge.ts';
import { registerRun } from './commands/run.ts';
import { registerTrain } from './commands/train.ts';
import { registerEval } from './commands/eval.ts';
import { registerDemo } from './commands/demo.ts';
import { registerEnv } from './commands/env.ts';
import { registerDevice } from './commands/device.ts';
import { registerTraces } from './commands/traces.ts';
import { registerScenarios } from './commands/scenarios.ts';
import { registerFleet } from './commands/fleet.ts';
import { registerLearner } from './commands/learner.ts';
import { registerActor } from './commands/actor.ts';
import { registerAdapt } from './commands/adapt.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('coinfer')
    .description('On-demand device-edge co-inference of a multi-exit CNN, driven by a DQN agent')
    .version(pkg.version)
    .showHelpAfterError()
    // Usage errors throw instead of exiting with commander's code 1, so every bad argument
    // ends with one exit code (cli/exit-codes.ts); subcommands inherit this when created below.
    .exitOverride();
  // Commands register themselves here, one line each.
  registerModel(program);
  registerSplitCheck(program);
  registerCheckpoints(program);
  registerProfile(program);
  registerEdge(program);
  registerRun(program);
  registerTrain(program);
  registerEval(program);
  registerDemo(program);
  registerEnv(program);
  registerDevice(program);
  registerTraces(program);
  registerScenarios(program);
  registerFleet(program);
  registerLearner(program);
  registerActor(program);
  registerAdapt(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `coinfer … --json | head -1`: a closed pipe ends the program quietly, as in Unix tools.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    // commander has already printed its own usage errors (and --help / --version output)
    if (!(e instanceof CommanderError)) process.stderr.write(`coinfer: ${describeError(e)}\n`);
    process.exitCode = exitCodeFor(e);
  }
}
