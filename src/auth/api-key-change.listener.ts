import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Client, Notification } from 'pg';
import { API_KEY_CHANGED_CHANNEL } from '../api-keys/api-key.repository';
import { DATABASE_URL } from '../database';
import { KeyVerificationCache } from './key-verification.cache';

const MIN_RETRY_MS = 500;
const MAX_RETRY_MS = 15_000;

/**
 * Keeps this process's verification cache in step with changes made by any process: a dedicated
 * connection LISTENs on API_KEY_CHANGED_CHANNEL and drops the named key. While the connection is
 * down the cache is suspended (every request is verified against the database), and it restarts
 * empty on reconnect, since notifications sent meanwhile are lost.
 */
@Injectable()
export class ApiKeyChangeListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ApiKeyChangeListener.name);
  private client?: Client;
  private retryTimer?: NodeJS.Timeout;
  private failures = 0;
  private stopped = false;

  constructor(
    @Inject(DATABASE_URL) private readonly databaseUrl: string,
    private readonly cache: KeyVerificationCache,
  ) {}

  get listening(): boolean {
    return this.client !== undefined;
  }

  /** Waits for the first attempt only: a database that is down must not stop the gateway starting. */
  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    this.cache.suspend();
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.databaseUrl,
      keepAlive: true,
      connectionTimeoutMillis: 5000,
      // The pid lets an operator (and the revocation spec) tell the gateways' listeners apart.
      application_name: `secure-ocr-gateway key-change listener (pid ${process.pid})`,
    });
    let lost = false;
    const onLost = (): void => {
      if (!lost) {
        lost = true;
        this.lose(client);
      }
    };
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', (message: Notification) => this.onNotification(message));
    try {
      await client.connect();
      await client.query(`LISTEN ${API_KEY_CHANGED_CHANNEL}`);
    } catch (error) {
      this.logger.warn(
        `Cannot listen for key changes (${errorCode(error)}); keys are verified on every request meanwhile`,
      );
      onLost();
      return;
    }
    if (this.stopped || lost) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    if (this.failures > 0) {
      this.logger.log('Listening for key changes again');
    }
    this.failures = 0;
    this.cache.resume();
  }

  private onNotification(message: Notification): void {
    if (message.channel === API_KEY_CHANGED_CHANNEL && message.payload) {
      this.cache.invalidate(message.payload);
    }
  }

  private lose(client: Client): void {
    if (this.client === client) {
      this.client = undefined;
      this.logger.warn(
        'Lost the key-change listener connection; keys are verified on every request until it is back',
      );
    }
    this.cache.suspend();
    client.end().catch(() => undefined);
    if (this.stopped) {
      return;
    }
    const delay = Math.min(MAX_RETRY_MS, MIN_RETRY_MS * 2 ** this.failures);
    this.failures++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'connection error';
}
