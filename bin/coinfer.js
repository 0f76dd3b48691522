#!/usr/bin/env node
// The `coinfer` command: registers tsx's loader so the TypeScript sources run as they are
// (no build step to go stale), then hands over to the commander program.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
await main(process.argv);
