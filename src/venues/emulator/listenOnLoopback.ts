import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Starts an emulator's server listening (port 0: any free one) and resolves with the port it got. */
export async function listenOnLoopback(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
