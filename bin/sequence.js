#!/usr/bin/env node
// The CLI is written in TypeScript; tsx compiles it in memory at start (esbuild, a few
// hundred milliseconds) so there is no separate build step between a clone and a run.
import { register } from 'tsx/esm/api';

// React (under the terminal UI) runs several times slower in its development build, which
// it picks when NODE_ENV is unset.
process.env.NODE_ENV ??= 'production';
register();
await import('../src/cli.ts');
