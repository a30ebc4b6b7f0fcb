import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { Logger } from '@nestjs/common';

/** How often the connections a finished response left idle are closed while draining. */
const IDLE_SWEEP_MS = 100;
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/**
 * Stops accepting connections and waits for the requests in progress, up to `graceMs`; keep-alive
 * connections are closed as soon as they are idle. Resolves true when every request finished in
 * time, false when the rest were cut off.
 */
export function drainHttpServer(server: Server, graceMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const deadline = setTimeout(() => {
      clearInterval(sweep);
      server.closeAllConnections();
      resolve(false);
    }, graceMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve(true);
    });
    server.closeIdleConnections();
  });
}

/**
 * The gateway's stop on SIGTERM, SIGINT or SIGHUP (the supervisor's, systemd's, a cluster
 * primary's, a terminal's): first the HTTP server drains (GATEWAY_SHUTDOWN_GRACE_MS), while the
 * workers, the database and Redis still serve the requests in progress; only then does Nest's
 * close run the modules' hooks (usage settlements, last-used writes, connections closed), and the
 * process exits 0. Nest's own shutdown hooks would close the worker links before the HTTP server,
 * failing a request in flight with 503. A second signal is the same stop: it is ignored.
 */
export function stopOnSignals(app: INestApplication, graceMs: number): void {
  const logger = new Logger('GracefulStop');
  let stopping = false;
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) {
      return;
    }
    stopping = true;
    logger.log(`${signal}: draining requests in progress (at most ${graceMs} ms)`);
    const drained = await drainHttpServer(app.getHttpServer() as Server, graceMs);
    if (!drained) {
      logger.warn(`requests still in progress after ${graceMs} ms were cut off`);
    }
    await app.close();
    process.exit(0);
  };
  for (const signal of STOP_SIGNALS) {
    process.on(signal, (received: NodeJS.Signals) => void stop(received));
  }
}
