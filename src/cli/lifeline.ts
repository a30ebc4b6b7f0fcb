import cluster from 'node:cluster';
import { Socket } from 'node:net';
import { isMainThread } from 'node:worker_threads';

/**
 * Preloaded (`node --require …/lifeline.js entry.js`) into the Node.js children of `npm start`,
 * which run in sessions of their own and so would outlive a supervisor killed without a chance to
 * stop them. The supervisor holds the other end of a pipe on fd 3; the kernel closes it when the
 * supervisor dies, however it dies, and this module then asks its process to stop the way the
 * supervisor would have: SIGTERM to itself, so the gateway drains and flushes and the worker
 * finishes its queue. If that shutdown hangs, the process exits anyway after a grace period.
 */

const LIFELINE_FD = 3;
const EXIT_ANYWAY_AFTER_MS = 30_000;

function watch(): void {
  let lifeline: Socket;
  try {
    lifeline = new Socket({ fd: LIFELINE_FD, readable: true, writable: false });
  } catch (error) {
    // Started by hand with this preload but without the pipe: nothing to watch.
    process.stderr.write(`lifeline: no supervisor pipe on fd ${LIFELINE_FD} (${(error as Error).message})\n`);
    return;
  }
  lifeline.unref();
  let gone = false;
  const supervisorGone = (): void => {
    if (gone) {
      return;
    }
    gone = true;
    try {
      process.stderr.write('the supervisor (npm start) is gone: shutting down\n');
    } catch {
      // its terminal may be gone too
    }
    setTimeout(() => process.exit(1), EXIT_ANYWAY_AFTER_MS).unref();
    process.kill(process.pid, 'SIGTERM');
  };
  lifeline.once('end', supervisorGone);
  lifeline.once('close', supervisorGone);
  lifeline.once('error', supervisorGone);
  lifeline.resume();
}

// Worker threads inherit the preload; the pipe is the process's, watched once. The processes of a
// gateway cluster (GATEWAY_PROCESSES) inherit it too, but their fd 3 is the cluster's IPC channel,
// Node's own (opening it again fails, with a misleading "no supervisor pipe" line): their primary
// watches the pipe, and they end with it.
if (isMainThread && cluster.isPrimary) {
  watch();
}
