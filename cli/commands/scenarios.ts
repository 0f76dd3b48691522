/**
 * `coinfer scenarios list|show NAME|FILE`: the named worlds shipped in scenarios/ and what a
 * scenario resolves to (the env config the replay runs, with the per-episode ranges).
 */
import { Command } from '@commander-js/extra-typings';
import { resolveEnvConfig } from '../../env/replay-config.ts';
import { DEFAULT_DEVICE_PROFILE, DEFAULT_EDGE_PROFILE, scenarioEnvInput } from '../../env/scenario-file.ts';
import { formatTable } from '../format-table.ts';
import { listScenarios, loadScenario, SCENARIOS_DIR } from '../scenario-setup.ts';

export function registerScenarios(program: Command): void {
  const cmd = program.command('scenarios').description('Named worlds (scenario files) for eval and train: list them or show one');
  cmd
    .command('list')
    .description(`List the shipped scenarios (${SCENARIOS_DIR})`)
    .option('--json', 'print a JSON array of { name, description, file }')
    .action(async (opts) => {
      const all = await listScenarios();
      if (opts.json) process.stdout.write(`${JSON.stringify(all.map((s) => ({ name: s.name, description: s.description, file: s.file })))}\n`);
      else process.stdout.write(`${formatTable(['name', 'description'], all.map((s) => [s.name, s.description]))}\n`);
    });
  cmd
    .command('show')
    .description('Show a scenario (a shipped name or a file) and the env config it resolves to')
    .argument('<scenario>', 'name from `coinfer scenarios list` or a path to a .json file')
    .option('--json', 'print one JSON object { name, description, file, spec, envConfig, profiles }')
    .action(async (ref, opts) => {
      const s = await loadScenario(ref);
      const envConfig = resolveEnvConfig(scenarioEnvInput(s));
      const profiles = { device: s.spec.device?.profile ?? DEFAULT_DEVICE_PROFILE, edge: s.spec.edge?.profile ?? DEFAULT_EDGE_PROFILE };
      const out = { name: s.name, description: s.description, file: s.file, spec: s.spec, envConfig, profiles };
      if (opts.json) process.stdout.write(`${JSON.stringify(out)}\n`);
      else process.stdout.write(`${s.name}: ${s.description}\nfile: ${s.file}\nprofiles: device ${profiles.device}, edge ${profiles.edge}\nfile contents: ${JSON.stringify(s.spec, null, 2)}\nresolved env config: ${JSON.stringify(envConfig, null, 2)}\n`);
    });
}
