import { join } from 'node:path';
import { userInfo } from 'node:os';
import { ControlClient } from '../control/controlClient.ts';
import type { ViewModel } from '../tui/viewModel.ts';
import { FramePacer, UI_CPU_BUDGET, UI_MAX_FPS } from '../tui/framePacer.ts';

// The commands that talk to a running node through its control socket
// (<data_dir>/control.sock): status, halt, resume and the attached UI.

export function socketPath(dataDir: string): string {
  return join(dataDir, 'control.sock');
}

/** Who the node records for an operator action: the OS user running the command. */
export function operator(): string {
  return userInfo().username;
}

async function withClient<T>(dataDir: string, work: (client: ControlClient) => Promise<T>): Promise<T> {
  const client = await ControlClient.connect(socketPath(dataDir));
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

export async function status(dataDir: string, json: boolean): Promise<string> {
  const result = (await withClient(dataDir, (c) => c.request('status'))) as Record<string, any>;
  if (json) return JSON.stringify(result) + '\n';
  let out = `node ${result.node} role ${result.role} term ${result.term} journal seq ${result.journal_seq} phase ${result.phase}\n`;
  out += result.halted ? `HALTED by ${result.halt_by}: ${result.halt_reason}\n` : 'trading (not halted)\n';
  const r = result.resources;
  if (r !== undefined) {
    const split = r.rss_anon_mb === null ? '' : ` (own ${r.rss_anon_mb} MB, files ${r.rss_file_mb} MB)`;
    out += `memory rss ${r.rss_mb} MB${split} heap ${r.heap_used_mb} MB buffers ${r.array_buffers_mb} MB; event loop delay p99 ${r.loop_delay_p99_ms} ms max ${r.loop_delay_max_ms} ms\n`;
  }
  for (const i of result.instances ?? []) {
    const s = i.symbols?.[0] ?? {};
    out += `  ${String(i.label).padEnd(12)} ${String(i.venue).padEnd(10)} ${String(i.status).padEnd(8)} pos ${s.position} rpnl ${s.realized_pnl} upnl ${s.unrealized_pnl} open ${i.open_orders}${i.reason ? `  (${i.reason})` : ''}\n`;
  }
  return out;
}

export async function halt(dataDir: string, cancelAll: boolean, reason: string): Promise<string> {
  const report = (await withClient(dataDir, (c) => c.request('halt', { cancelAll, reason, by: operator() }))) as {
    alreadyHalted: boolean;
    cancels: { clientOrderId: string; label: string; venue: string; outcome: string; reason: string }[];
  };
  let out = report.alreadyHalted ? 'trading was already halted\n' : 'trading halted\n';
  if (cancelAll) {
    out += `${report.cancels.length} open order(s) cancelled:\n`;
    for (const c of report.cancels) out += `  ${c.clientOrderId} (${c.label} on ${c.venue}): ${c.outcome}${c.reason ? ` ${c.reason}` : ''}\n`;
  }
  return out;
}

export async function resume(dataDir: string, reason: string): Promise<string> {
  await withClient(dataDir, (c) => c.request('resume', { reason, by: operator() }));
  return 'trading resumed\n';
}

export async function deploy(dataDir: string, configPath: string): Promise<string> {
  const r = (await withClient(dataDir, (c) => c.request('deploy', { config: configPath }))) as {
    started: string[];
    stopped: string[];
    restarted: string[];
    unchanged: string[];
    not_applied?: string;
  };
  const list = (xs: string[]) => (xs.length === 0 ? '-' : xs.join(', '));
  let out = `deployed ${configPath}
  started   ${list(r.started)}
  stopped   ${list(r.stopped)}
  restarted ${list(r.restarted)}
  unchanged ${list(r.unchanged)}
`;
  if (r.not_applied !== undefined) out += `  note: ${r.not_applied}
`;
  return out;
}

/** `sequence tui`: the same UI as `run`, attached to a running node; detaching leaves it running. */
export async function attachUi(dataDir: string): Promise<void> {
  // Ink draws only the last frame when CI is set in the environment; `sequence tui` runs on
  // a real terminal, so it must draw every one. Set before Ink is first loaded.
  process.env.CI = 'false';
  const { mountUi } = await import('../tui/mountUi.tsx');
  const client = await ControlClient.connect(socketPath(dataDir));
  let latest: ViewModel | null = null;
  const listeners = new Set<(vm: ViewModel) => void>();
  // A viewer on the node's own host takes its CPU from the node: it draws the newest
  // snapshot only as often as its budget allows (framePacer.ts).
  const frames = new FramePacer({
    budget: UI_CPU_BUDGET,
    minIntervalMs: 1000 / UI_MAX_FPS,
    draw: () => {
      for (const l of listeners) l(latest as ViewModel);
    },
  });
  await client.subscribe((vm) => {
    latest = vm;
    frames.offer();
  });
  let ui: { unmount(): void; waitUntilExit(): Promise<void> } | null = null;
  const report = (error: unknown) => process.stderr.write(`sequence tui: ${(error as Error).message}\n`);
  ui = mountUi(
    {
      subscribe: (onSnapshot) => {
        listeners.add(onSnapshot);
        if (latest !== null) onSnapshot(latest);
        return () => listeners.delete(onSnapshot);
      },
    },
    {
      halt: (cancelAll) => void client.request('halt', { cancelAll, reason: 'kill switch pressed in sequence tui', by: operator() }).catch(report),
      resume: () => void client.request('resume', { reason: 'resumed from sequence tui', by: operator() }).catch(report),
      quit: () => ui?.unmount(),
    },
    { mode: 'attached' },
  );
  client.onClose(() => ui?.unmount());
  await ui.waitUntilExit();
  frames.stop();
  client.close();
}
