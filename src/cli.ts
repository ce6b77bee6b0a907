import { resolve } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import * as control from './commands/controlCommands.ts';
import * as journalCommand from './commands/journalCommand.ts';
import { ControlError } from './control/controlError.ts';
import { ConfigError, loadConfig } from './node/config.ts';
import { checkDeployments } from './node/deployCheck.ts';
import { JournalError } from './node/journal/journalErrors.ts';
import { hostedPart, HostedPartError } from './node/hostedPart.ts';
import { MeshError } from './node/remoteMesh.ts';
import { runNode, type RunningNode } from './node/runNode.ts';
import { BundleError } from './wasm/loader.ts';
import { CredentialError } from './venues/credentials.ts';
import { RecordingError } from './node/marketRecording.ts';

/** Exit code for a refused input (config, bundle, arguments, no node to talk to): nothing was done. */
const EXIT_BAD_INPUT = 2;

function fail(error: unknown): never {
  const known = [ConfigError, BundleError, CredentialError, RecordingError, ControlError, JournalError, MeshError, HostedPartError];
  if (known.some((k) => error instanceof k)) {
    process.stderr.write(`sequence: ${(error as Error).message}\n`);
    process.exit(EXIT_BAD_INPUT);
  }
  throw error;
}

/** The data directory of the node a command talks to: --data-dir, else the config's. */
function dataDirOf(argv: { config: string; 'data-dir'?: string }): string {
  if (argv['data-dir'] !== undefined) return resolve(argv['data-dir']);
  return loadConfig(resolve(argv.config), { checkBundles: false }).node.dataDir;
}

const nodeOptions = {
  config: { type: 'string', default: 'Sequence.toml', describe: 'Path of the node configuration' },
  'data-dir': { type: 'string', describe: "The node's data directory (default: the config's data_dir)" },
} as const;

await yargs(hideBin(process.argv))
  .scriptName('sequence')
  .usage('$0 <command> [options]\n\nA trading node that runs WebAssembly algorithms on Kraken, Coinbase and an embedded simulated venue.')
  .command(
    'run',
    'Run the node: venues, algorithms, risk and the order path (a terminal UI when stdout is a terminal)',
    (y) =>
      y
        .option('config', nodeOptions.config)
        .option('daemon', { type: 'boolean', default: false, describe: 'Run headless, writing one JSON object per line to stdout' })
        .option('duration', { type: 'number', describe: 'Shut down gracefully after this many seconds' })
        .option('labels', { type: 'string', describe: 'Host only these deployments (comma-separated labels); the rest run on other nodes of the mesh' })
        .option('venues', { type: 'string', describe: 'Host only the deployments on these venues (comma-separated names)' })
        .option('data-dir', { type: 'string', describe: "This node's data directory (default: the config's data_dir); each node of a mesh has its own" })
        .option('record', { type: 'string', describe: "Record each live venue's market data, as received, to DIR/<venue>.rec (for sequence replay)" })
        .option('record-max-mb', { type: 'number', default: 512, describe: "Stop recording a venue when its file reaches this size" })
        .check((argv) => {
          if (argv.duration !== undefined && !(argv.duration > 0)) throw new Error('--duration must be a positive number of seconds');
          if (!(argv['record-max-mb'] > 0)) throw new Error('--record-max-mb must be a positive number of MB');
          return true;
        }),
    async (argv) => {
      let code: number;
      try {
        const config = hostedPart(loadConfig(resolve(argv.config)), argv.labels, argv.venues);
        if (argv['data-dir'] !== undefined) config.node.dataDir = resolve(argv['data-dir']);
        const headless = argv.daemon || !process.stdout.isTTY;
        let mountUi: ((node: RunningNode) => () => Promise<void>) | undefined;
        if (!headless) {
          const { startUiBesideTrading } = await import('./tui/uiThread.ts');
          mountUi = (node) => startUiBesideTrading(node, { halt: node.halt, resume: node.resume, quit: () => node.shutdown('quit from the terminal UI') }, config.node.pinThreads);
        }
        const record = argv.record === undefined ? undefined : { dir: resolve(argv.record), maxBytes: Math.floor(argv['record-max-mb'] * 1024 * 1024) };
        code = await runNode(config, { output: headless ? { format: 'json', out: process.stdout } : null, durationS: argv.duration, mountUi, record });
      } catch (error) {
        fail(error);
      }
      process.exit(code);
    },
  )
  .command(
    'tui',
    'Attach the terminal UI to a running node (local, or over SSH); detaching leaves the node running',
    (y) => y.option('config', nodeOptions.config).option('data-dir', nodeOptions['data-dir']),
    async (argv) => {
      try {
        await control.attachUi(dataDirOf(argv));
      } catch (error) {
        fail(error);
      }
      process.exit(0);
    },
  )
  .command(
    'status',
    "Show a running node's role, halt state and instances",
    (y) => y.option('config', nodeOptions.config).option('data-dir', nodeOptions['data-dir']).option('json', { type: 'boolean', default: false, describe: 'One JSON object' }),
    async (argv) => {
      try {
        process.stdout.write(await control.status(dataDirOf(argv), argv.json));
      } catch (error) {
        fail(error);
      }
    },
  )
  .command(
    'halt',
    'Halt trading on a running node: new and replace orders are rejected, cancels pass',
    (y) =>
      y
        .option('config', nodeOptions.config)
        .option('data-dir', nodeOptions['data-dir'])
        .option('reason', { type: 'string', demandOption: true, describe: 'Why (recorded in the journal)' })
        .option('cancel-all', { type: 'boolean', default: false, describe: 'Also cancel every open order of every instance, and report each outcome' }),
    async (argv) => {
      try {
        process.stdout.write(await control.halt(dataDirOf(argv), argv['cancel-all'], argv.reason));
      } catch (error) {
        fail(error);
      }
    },
  )
  .command(
    'resume',
    'Resume trading on a halted node',
    (y) => y.option('config', nodeOptions.config).option('data-dir', nodeOptions['data-dir']).option('reason', { type: 'string', demandOption: true, describe: 'Why (recorded in the journal)' }),
    async (argv) => {
      try {
        process.stdout.write(await control.resume(dataDirOf(argv), argv.reason));
      } catch (error) {
        fail(error);
      }
    },
  )
  .command(
    'journal <action>',
    "Read a node's journal: tail [-f], dump [--from N] [--json], verify, stats",
    (y) =>
      y
        .positional('action', { choices: ['tail', 'dump', 'verify', 'stats'] as const, demandOption: true })
        .option('config', nodeOptions.config)
        .option('data-dir', nodeOptions['data-dir'])
        .option('follow', { alias: 'f', type: 'boolean', default: false, describe: 'tail: keep printing records as they are committed' })
        .option('lines', { alias: 'n', type: 'number', default: 20, describe: 'tail: how many of the last records to print first' })
        .option('from', { type: 'number', default: 1, describe: 'dump: the first sequence number' })
        .option('json', { type: 'boolean', default: false, describe: 'One JSON object per record' }),
    (argv) => {
      try {
        const dataDir = dataDirOf(argv);
        const write = (text: string) => process.stdout.write(text);
        switch (argv.action) {
          case 'dump':
            journalCommand.dump(dataDir, argv.from, argv.json, write);
            break;
          case 'tail': {
            const following = journalCommand.tail(dataDir, argv.lines, argv.follow, argv.json, write);
            if (following !== null) process.once('SIGINT', () => following.stop());
            break;
          }
          case 'verify': {
            const result = journalCommand.verify(dataDir);
            write(result.text);
            if (!result.ok) process.exitCode = 1;
            break;
          }
          case 'stats':
            write(journalCommand.stats(dataDir));
            break;
        }
      } catch (error) {
        fail(error);
      }
    },
  )
  .command(
    'init <name>',
    'Create a new algorithm project in ./<name>: an AssemblyScript algorithm using the SDK, a Sequence.toml with one sim deployment, a test and a README',
    (y) =>
      y.positional('name', {
        type: 'string',
        demandOption: true,
        describe: 'Lowercase letters, digits, - or _, starting with a letter, up to 32 characters: the folder, the deployment label and the bundle name',
      }),
    async (argv) => {
      const { InitError, initProject, initSummary } = await import('./commands/initCommand.ts');
      try {
        process.stdout.write(initSummary(initProject(argv.name, process.cwd()), process.cwd()));
      } catch (error) {
        if (error instanceof InitError) {
          process.stderr.write(`sequence: ${error.message}\n`);
          process.exit(EXIT_BAD_INPUT);
        }
        throw error;
      }
    },
  )
  .command(
    'build [dirs..]',
    'Compile the algorithm project this runs in (made by `sequence init`), else the AssemblyScript algorithms under algos/ (or the given folders), to wasm bundles',
    (y) =>
      y
        .positional('dirs', { type: 'string', array: true, describe: 'Algorithm projects, or folders that hold algorithm folders (default: this project, else ./algos)' })
        .option('if-stale', { type: 'boolean', default: false, describe: 'Only rebuild bundles that are missing or older than their sources' }),
    async (argv) => {
      // Imported here: the compiler toolchain takes seconds to load, and `run` never needs it.
      const { BuildError, buildAlgos } = await import('./build/buildAlgo.ts');
      const { isAlgoProject } = await import('./build/algoProject.ts');
      const roots = argv.dirs && argv.dirs.length > 0 ? argv.dirs : [isAlgoProject(process.cwd()) ? '.' : 'algos'];
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
    "Apply Sequence.toml's deployments to the running node (new ones start, removed ones stop, changed ones restart); --check only validates",
    (y) =>
      y
        .option('config', nodeOptions.config)
        .option('data-dir', nodeOptions['data-dir'])
        .option('check', { type: 'boolean', default: false, describe: 'Validate the config and every bundle, print what would run, change nothing' }),
    async (argv) => {
      try {
        const config = loadConfig(resolve(argv.config));
        if (argv.check) process.stdout.write(checkDeployments(config));
        else process.stdout.write(await control.deploy(argv['data-dir'] === undefined ? config.node.dataDir : resolve(argv['data-dir']), config.file));
      } catch (error) {
        fail(error);
      }
    },
  )
  .command(
    'emulate <venue>',
    'Run a Kraken or Coinbase emulator on loopback (real wire formats, sim matching) until Ctrl-C; prints the venue entry and the API key to use',
    (y) =>
      y
        .positional('venue', { choices: ['kraken', 'coinbase'] as const, demandOption: true, describe: 'Which venue to emulate' })
        .option('port', { type: 'number', default: 0, describe: 'TCP port on 127.0.0.1 (0: any free port)' })
        .option('seed', { type: 'number', default: 1, describe: "Seeds the emulated market's price and flow" })
        .option('replay', { type: 'string', describe: 'Serve this Kraken v1 capture (e.g. ../shared/data/kraken-book-2021/KRAKEN.ws.50.0) as the market data (kraken only)' })
        .option('keys-dir', { type: 'string', describe: 'Write a freshly made key to files here (mode 0600) and print their *_FILE variables' })
        .check((argv) => {
          if (argv.replay !== undefined && argv.venue !== 'kraken') throw new Error('--replay plays a Kraken capture: use it with `sequence emulate kraken`');
          if (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535) throw new Error('--port must be an integer from 0 to 65535');
          return true;
        }),
    async (argv) => {
      try {
        const { emulate } = await import('./commands/emulateCommand.ts');
        const running = await emulate(
          { venue: argv.venue, port: argv.port, seed: argv.seed, replay: argv.replay === undefined ? undefined : resolve(argv.replay), keysDir: argv['keys-dir'] },
          process.env,
          (text) => process.stdout.write(text),
        );
        const stop = () => void running.stop().then(() => process.exit(0));
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      } catch (error) {
        fail(error);
      }
    },
  )
  .command(
    'replay',
    "Run the config's deployments against recorded market data (a node recording or the Kraken v1 capture) with simulated fills, then print a report",
    (y) =>
      y
        .option('config', nodeOptions.config)
        .option('data', { type: 'string', demandOption: true, describe: 'A recording (sequence run --record DIR: the directory or one <venue>.rec) or a Kraken v1 capture file' })
        .option('out', { type: 'string', describe: 'Output directory for the journal and report.json, emptied of a previous journal (default: <data_dir>/replay)' })
        .option('latency-ms', { type: 'number', default: 5, describe: 'Orders and cancels reach the recorded book this long after they are sent (recording time)' })
        .option('maker-fee-bps', { type: 'number', describe: 'Maker fee in bps of notional (default: the venue base tier, Kraken 16, Coinbase 40)' })
        .option('taker-fee-bps', { type: 'number', describe: 'Taker fee in bps of notional (default: Kraken 26, Coinbase 60)' })
        .option('labels', { type: 'string', describe: 'Replay only these deployments (comma-separated labels)' })
        .option('venues', { type: 'string', describe: 'Replay only the deployments on these venues (comma-separated names)' })
        .option('json', { type: 'boolean', default: false, describe: 'Print the report as JSON instead of the table and charts' })
        .check((argv) => {
          if (!(Number.isFinite(argv['latency-ms']) && argv['latency-ms'] >= 0)) throw new Error('--latency-ms must be a number of milliseconds >= 0');
          for (const key of ['maker-fee-bps', 'taker-fee-bps'] as const) {
            const v = argv[key];
            if (v !== undefined && !(Number.isFinite(v) && Math.abs(v) <= 10_000)) throw new Error(`--${key} must be a number of bps within ±10000`);
          }
          return true;
        }),
    async (argv) => {
      const { replay } = await import('./commands/replayCommand.ts');
      const { ReplaySourceError } = await import('./replay/marketSource.ts');
      try {
        await replay(
          {
            config: resolve(argv.config),
            data: resolve(argv.data),
            out: argv.out === undefined ? undefined : resolve(argv.out),
            latencyMs: argv['latency-ms'],
            makerFeeBps: argv['maker-fee-bps'],
            takerFeeBps: argv['taker-fee-bps'],
            labels: argv.labels,
            venues: argv.venues,
            json: argv.json,
          },
          (text) => process.stdout.write(text),
        );
      } catch (error) {
        if (error instanceof ReplaySourceError) {
          process.stderr.write(`sequence: ${error.message}\n`);
          process.exit(EXIT_BAD_INPUT);
        }
        fail(error);
      }
      process.exit(0);
    },
  )
  .demandCommand(1, 'Name a command: run, tui, status, halt, resume, journal, init, build, deploy, emulate or replay (see --help)')
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
