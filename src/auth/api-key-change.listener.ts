import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Client, Notification } from 'pg';
import {
  API_KEY_CHANGE_CONFIRMED_CHANNEL,
  API_KEY_CHANGED_CHANNEL,
  keyChangeListenerName,
  parseKeyChangePayload,
} from '../api-keys/api-key-changes';
import { AppConfig } from '../config';
import { DATABASE_URL } from '../database';
import { KeyVerificationCache } from './key-verification.cache';

const MIN_RETRY_MS = 500;
const MAX_RETRY_MS = 5000;

/**
 * The heartbeat's period and the cache's trust window, from KEY_CHANGE_CONFIRM_TIMEOUT_MS (W): a
 * heartbeat every W/4 keeps the cache trusted, which it stays for 3W/4 after the last heartbeat
 * sent, so a process that missed a change's confirmation deadline has stopped trusting its cache
 * by then, with W/4 to spare for timers and scheduling.
 */
export function heartbeatTimings(confirmTimeoutMs: number): { periodMs: number; trustMs: number } {
  return { periodMs: confirmTimeoutMs / 4, trustMs: (confirmTimeoutMs * 3) / 4 };
}

/**
 * Keeps this process's verification cache in step with changes made by any process. A dedicated
 * connection, named in `pg_stat_activity` (keyChangeListenerName) before it LISTENs on
 * API_KEY_CHANGED_CHANNEL, drops the named key from the cache and confirms each change on
 * API_KEY_CHANGE_CONFIRMED_CHANNEL (the change waits for that: ApiKeyChangeConfirmations). A
 * heartbeat on the same connection tells the cache how current it is; while the connection is down
 * the cache answers nothing from memory (rows are re-read), and it reconnects on its own.
 */
@Injectable()
export class ApiKeyChangeListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ApiKeyChangeListener.name);
  private readonly periodMs: number;
  private client?: Client;
  private retryTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private failures = 0;
  private stopped = false;

  constructor(
    @Inject(DATABASE_URL) private readonly databaseUrl: string,
    private readonly cache: KeyVerificationCache,
    private readonly config: AppConfig,
  ) {
    this.periodMs = heartbeatTimings(config.auth.keyChangeConfirmTimeoutMs).periodMs;
  }

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
    clearTimeout(this.heartbeatTimer);
    const client = this.client;
    this.client = undefined;
    this.cache.deaf();
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.databaseUrl,
      keepAlive: true,
      connectionTimeoutMillis: this.config.database.connectTimeoutMs,
      // A heartbeat unanswered by the next one means the connection (or the server) is gone.
      query_timeout: this.periodMs * 2,
      // Named before it listens: see ApiKeyRepository's read of the listeners after a change.
      application_name: keyChangeListenerName(process.pid),
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
    client.on('notification', (message: Notification) => this.onNotification(client, message));
    try {
      await client.connect();
      const sentAt = performance.now();
      await client.query(`LISTEN ${API_KEY_CHANGED_CHANNEL}`);
      if (this.stopped || lost) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.cache.listening(sentAt);
    } catch (error) {
      this.logger.warn(
        `Cannot listen for key changes (${errorCode(error)}); cached keys are checked against the database meanwhile`,
      );
      onLost();
      return;
    }
    if (this.failures > 0) {
      this.logger.log('Listening for key changes again');
    }
    this.failures = 0;
    this.scheduleHeartbeat(client, onLost);
  }

  private scheduleHeartbeat(client: Client, onLost: () => void): void {
    this.heartbeatTimer = setTimeout(() => void this.heartbeat(client, onLost), this.periodMs);
    this.heartbeatTimer.unref();
  }

  /**
   * Postgres delivers a notification before the answer to any query that arrives after its
   * commit, and node-postgres emits it before resolving that query: once the heartbeat sent at
   * `sentAt` is answered, every change committed before then has reached the cache.
   */
  private async heartbeat(client: Client, onLost: () => void): Promise<void> {
    if (this.client !== client) {
      return;
    }
    const sentAt = performance.now();
    try {
      await client.query('SELECT 1');
    } catch {
      onLost();
      return;
    }
    if (this.client === client) {
      this.cache.confirmedCurrent(sentAt);
      this.scheduleHeartbeat(client, onLost);
    }
  }

  private onNotification(client: Client, message: Notification): void {
    if (message.channel !== API_KEY_CHANGED_CHANNEL || !message.payload) {
      return;
    }
    const { keyId, token } = parseKeyChangePayload(message.payload);
    this.cache.invalidate(keyId);
    if (token !== undefined) {
      // Sent on this connection: Postgres names its backend pid as the sender.
      client
        .query('SELECT pg_notify($1, $2)', [API_KEY_CHANGE_CONFIRMED_CHANNEL, token])
        .catch(() => undefined);
    }
  }

  private lose(client: Client): void {
    if (this.client === client) {
      this.client = undefined;
      this.logger.warn(
        'Lost the key-change listener connection; cached keys are checked against the database until it is back',
      );
    }
    clearTimeout(this.heartbeatTimer);
    this.cache.deaf();
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
