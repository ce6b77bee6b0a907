import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import { ControlError } from './controlError.ts';

/**
 * Refuses a socket file that another user could have put there or could also talk to. A
 * client sends halt reasons and deploy configs over it and trusts what comes back, so the
 * file must belong to this user and be readable and writable by this user alone (0600).
 * Checked before connecting, so nothing is ever sent to an impostor.
 */
export function checkSocketFile(socketPath: string): void {
  let stat;
  try {
    stat = lstatSync(socketPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ControlError(`no node is running with data directory ${dirname(socketPath)} (no socket at ${socketPath})`);
    }
    throw new ControlError(`cannot inspect ${socketPath}: ${code ?? (err as Error).message}`);
  }
  if (!stat.isSocket()) throw new ControlError(`${socketPath} is not a socket — refusing to talk to it`);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) throw new ControlError(`${socketPath} is owned by uid ${stat.uid}, not you (uid ${uid})`);
  const mode = stat.mode & 0o777;
  if (mode !== 0o600) throw new ControlError(`${socketPath} has mode ${octal(mode)}; expected 0600 — refusing to talk to it`);
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}
