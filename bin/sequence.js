#!/usr/bin/env node
// The CLI is written in TypeScript; tsx compiles it in memory at start (esbuild, a few
// hundred milliseconds) so there is no separate build step between a clone and a run.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
