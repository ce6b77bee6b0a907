// A mesh edge in its own process, so a test can kill it the way a host dies (SIGKILL).
// argv: url node label; prints "up" once welcomed.
import { MeshEdge } from '../../src/node/mesh/meshEdge.ts';
import { FAST, SECRET } from './meshHarness.ts';

const [url, node, label] = process.argv.slice(2);
const edge = new MeshEdge(url, node, SECRET, [label], {
  onMessage: () => {},
  onNbbo: () => {},
  onLinkChange: (up) => {
    if (up) process.stdout.write('up\n');
  },
}, FAST);
edge.start();
