import { resolve } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, loadConfig } from './node/config.ts';
import { checkDeployments } from './node/deployCheck.ts';
import { runNode } from './node/runNode.ts';
import { BundleError } from './wasm/loader.ts';
import { VenueUnavailableError } from './venues/createVenues.ts';

/** Exit code for a refused input (config, bundle, arguments): nothing was started. */
const EXIT_BAD_INPUT = 2;

function fail(error: unknown): never {
  if (error instanceof ConfigError || error instanceof BundleError || error instanceof VenueUnavailableError) {
    process.stderr.write(`sequence: ${error.message}\n`);
    process.exit(EXIT_BAD_INPUT);
  }
  throw error;
}

await yargs(hideBin(process.argv))
  .scriptName('sequence')
  .usage('$0 <command> [options]\n\nA trading node that runs WebAssembly algorithms on Kraken, Coinbase and an embedded simulated venue.')
  .command(
    'run',
    'Run the node: venues, algorithms, risk and the order path',
    (y) =>
      y
        .option('config', { type: 'string', default: 'Sequence.toml', describe: 'Path of the node configuration' })
        .option('daemon', { type: 'boolean', default: false, describe: 'Run headless, writing one JSON object per line to stdout' })
        .option('duration', { type: 'number', describe: 'Shut down gracefully after this many seconds' })
        .check((argv) => {
          if (argv.duration !== undefined && !(argv.duration > 0)) throw new Error('--duration must be a positive number of seconds');
          return true;
        }),
    async (argv) => {
      let code: number;
      try {
        const config = loadConfig(resolve(argv.config));
        const json = argv.daemon || !process.stdout.isTTY;
        code = await runNode(config, { format: json ? 'json' : 'text', out: process.stdout, durationS: argv.duration });
      } catch (error) {
        fail(error);
      }
      process.exit(code);
    },
  )
  .command(
    'build [dirs..]',
    'Compile the AssemblyScript algorithms under algos/ (or the given folders) to wasm bundles',
    (y) =>
      y
        .positional('dirs', { type: 'string', array: true, describe: 'Folders that hold algorithm folders (default: ./algos)' })
        .option('if-stale', { type: 'boolean', default: false, describe: 'Only rebuild bundles that are missing or older than their sources' }),
    async (argv) => {
      const roots = argv.dirs && argv.dirs.length > 0 ? argv.dirs : ['algos'];
      // Imported here: the compiler toolchain takes seconds to load, and `run` never needs it.
      const { BuildError, buildAlgos } = await import('./build/buildAlgo.ts');
      try {
        for (const root of roots) {
          const results = await buildAlgos(resolve(root), { onlyStale: argv['if-stale'] });
          if (results.length === 0) process.stdout.write(`${root}: every bundle is up to date\n`);
          for (const r of results) {
            process.stdout.write(`built ${r.name}: ${r.wasmPath} (${r.sizeBytes} bytes)\n  exports: ${r.exports.join(', ')}\n`);
          }
        }
      } catch (error) {
        if (error instanceof BuildError) {
          process.stderr.write(`sequence: ${error.message}\n`);
          process.exit(EXIT_BAD_INPUT);
        }
        throw error;
      }
    },
  )
  .command(
    'deploy',
    'Validate the deployments of a config and their bundles',
    (y) =>
      y
        .option('config', { type: 'string', default: 'Sequence.toml', describe: 'Path of the node configuration' })
        .option('check', { type: 'boolean', default: false, describe: 'Validate the config and every bundle, print what would run, change nothing' })
        .check((argv) => {
          if (!argv.check) throw new Error('only `sequence deploy --check` is available in this build: applying a config to a running node needs the control socket (see README.md, "Limits")');
          return true;
        }),
    (argv) => {
      try {
        process.stdout.write(checkDeployments(loadConfig(resolve(argv.config))));
      } catch (error) {
        fail(error);
      }
    },
  )
  .demandCommand(1, 'Name a command: run, build or deploy (see --help)')
  .strict()
  .help()
  .alias('h', 'help')
  .version(false)
  .fail((message, error) => {
    // yargs reports usage problems (and failed .check()s) here with a message; an error
    // without one is an exception from a command handler, which must not be disguised.
    if (!message && error !== undefined && error !== null && error.name !== 'YError') throw error;
    process.stderr.write(`sequence: ${message || error?.message}\nRun "sequence --help" for usage.\n`);
    process.exit(EXIT_BAD_INPUT);
  })
  .parseAsync();
