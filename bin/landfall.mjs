#!/usr/bin/env node
// Runs the TypeScript CLI in place (tsx), so `npx landfall` works straight from a checkout.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
