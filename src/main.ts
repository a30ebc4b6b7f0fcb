import cluster from 'node:cluster';
import { createProcessLogger } from '@app/logging';
import { createApp } from './app.setup';
import { GatewayCluster } from './cluster/gateway-cluster';
import { stopOnSignals } from './common/http/graceful-stop';
import { ConfigError, loadConfig } from './config';

/** For the lines written before the configured logger exists, and right before an exit. */
const startLog = createProcessLogger({ service: 'gateway', level: 'info', sync: true });

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      startLog.fatal(error.message);
      process.exit(78); // EX_CONFIG: the supervisor does not restart a misconfigured gateway
    }
    throw error;
  }
  if (config.http.processes > 1 && cluster.isPrimary) {
    // Its lines are few and the last one comes right before process.exit: written at once.
    const log = createProcessLogger({ service: 'gateway', level: config.log.level, sync: true });
    new GatewayCluster(config, log.child({ pid: process.pid, role: 'primary' })).start();
    return;
  }
  const app = await createApp(config);
  stopOnSignals(app, config.http.shutdownGraceMs);
  await app.listen(config.http.port, config.http.host);
}

bootstrap().catch((error: unknown) => {
  // Start-up failures (port in use, database refused): say what, without a stack.
  const message = error instanceof Error ? error.message : String(error);
  startLog.fatal(`The gateway failed to start: ${message}`);
  process.exit(1);
});
