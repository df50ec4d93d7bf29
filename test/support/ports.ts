// Free TCP ports on 127.0.0.1 for the servers tests start.
import { createServer } from 'node:net';

/** A port the kernel just handed out on 127.0.0.1; free again once the probe closes. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
