/**
 * `node dist/ocr-worker/src/health-check.js`: asks the worker on WORKER_HOST:WORKER_PORT for its
 * health over the worker's own transport and exits 0 when it answers `ok`, 1 otherwise, within
 * HEALTH_CHECK_TIMEOUT_MS. With WORKER_TRANSPORT=nats it asks every worker on NATS_URL and
 * passes when one on this host answers (a container's host name is its own). The worker speaks no HTTP, so this is what a container health check
 * (docker-compose.yml) or a monitoring script runs. It must use the same client options as the
 * gateway's worker client, whatever framing the transport adopts.
 */
import { hostname } from 'node:os';
import { Logger } from '@nestjs/common';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import { connect } from 'nats';
import { framedSocket, natsCensus, OcrPatterns, type WorkerHealth } from '@app/contracts';
import { loadWorkerConfig } from './config/worker-config';

/** A frozen worker must fail the check well before a container runtime's own timeout (5 s). */
const HEALTH_CHECK_TIMEOUT_MS = 3000;
/** A worker bound to every address is asked on this host's loopback. */
const WILDCARDS: Record<string, string> = { '0.0.0.0': '127.0.0.1', '::': '::1', '[::]': '::1' };

/** On NATS: a worker of this host (its instance is `host:pid`) answers a census. */
async function checkOnNats(servers: string[]): Promise<string> {
  const nc = await connect({ servers, timeout: HEALTH_CHECK_TIMEOUT_MS });
  try {
    const answers = await firstValueFrom(natsCensus(nc, 100).pipe(timeout(HEALTH_CHECK_TIMEOUT_MS)));
    const own = answers.find((answer) => answer.instance?.startsWith(`${hostname()}:`));
    if (!own) {
      throw new Error(`no worker of this host answers on NATS (${answers.length} others do)`);
    }
    return `ok on NATS: ${own.device}, ${own.lanes} lane(s), ${own.inFlight} in flight, queue ${own.queueDepth}/${own.maxQueue}`;
  } finally {
    await nc.close();
  }
}

async function check(): Promise<string> {
  // The client's own connection-error logs (with stacks) would bury the one line this prints.
  Logger.overrideLogger(false);
  const config = loadWorkerConfig();
  if (config.transport.kind === 'nats') {
    return checkOnNats(config.transport.servers);
  }
  const host = WILDCARDS[config.host] ?? config.host;
  const client = ClientProxyFactory.create({
    transport: Transport.TCP,
    options: {
      host,
      port: config.port,
      socketClass: framedSocket({ maxFrameBytes: 1024 * 1024, maxSendBufferBytes: 1024 * 1024 }),
    },
  });
  try {
    const health = await firstValueFrom(
      client.send<WorkerHealth>(OcrPatterns.health, {}).pipe(timeout(HEALTH_CHECK_TIMEOUT_MS)),
    );
    if (health.status !== 'ok') {
      throw new Error(`the worker reports ${String(health.status)}`);
    }
    return `ok: ${health.device}, ${health.lanes} lane(s), ${health.inFlight} in flight, queue ${health.queueDepth}/${health.maxQueue}`;
  } finally {
    client.close();
  }
}

check().then(
  (summary) => {
    process.stdout.write(`worker health ${summary}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    const reason =
      error instanceof TimeoutError
        ? `no answer within ${HEALTH_CHECK_TIMEOUT_MS} ms`
        : error instanceof Error
          ? error.message
          : String(error);
    process.stderr.write(`worker health check failed: ${reason}\n`);
    process.exit(1);
  },
);
