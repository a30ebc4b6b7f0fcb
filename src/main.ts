import { createApp } from './app.setup';
import { ConfigError, loadConfig } from './config';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG: the supervisor does not restart a misconfigured gateway
    }
    throw error;
  }
  const app = await createApp(config);
  await app.listen(config.http.port, config.http.host);
}

bootstrap().catch((error: unknown) => {
  // Start-up failures (port in use, database refused): say what, without a stack.
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`The gateway failed to start: ${message}\n`);
  process.exit(1);
});
