import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Client, Notification } from 'pg';
import { AppConfig } from '../config';
import { DATABASE_URL } from '../database/database.module';
import { API_KEY_CHANGE_CONFIRMED_CHANNEL } from './api-key-changes';

/** How often a wait re-checks that the listeners it waits for are still connected. */
const GONE_CHECK_MS = 250;

/**
 * Lets a key change (admin API or keys CLI) return only once every gateway process applied it:
 * each gateway's listener answers the change's notification with a confirmation carrying the
 * change's token, and `settle` waits for one from every listener that was connected when the
 * change committed, dropping those that disconnect meanwhile, for at most
 * KEY_CHANGE_CONFIRM_TIMEOUT_MS. A gateway that does not confirm in time (frozen, cut off) does
 * not hold the change up: its listener has then missed its own heartbeats, and its cache stops
 * answering from memory before that time is up (see KeyVerificationCache), so the change holds
 * there too from the moment the call returns.
 */
@Injectable()
export class ApiKeyChangeConfirmations implements OnModuleDestroy {
  private readonly logger = new Logger(ApiKeyChangeConfirmations.name);
  private readonly confirmed = new Map<string, Set<number>>();
  private readonly wake = new Map<string, () => void>();
  private connection?: Promise<Client | undefined>;
  private client?: Client;

  constructor(
    @Inject(DATABASE_URL) private readonly databaseUrl: string,
    private readonly config: AppConfig,
  ) {}

  /** Before a change: its token, with this process already listening for its confirmations. */
  async prepare(): Promise<string> {
    await this.listen();
    const token = randomBytes(12).toString('base64url');
    this.confirmed.set(token, new Set());
    return token;
  }

  /**
   * After the change committed: resolves once each of `listeners` confirmed, went away, or time
   * ran out. `null`: the listeners could not be read, so the whole timeout is waited.
   */
  async settle(token: string, listeners: readonly number[] | null): Promise<void> {
    const confirmed = this.confirmed.get(token) ?? new Set<number>();
    const timeoutMs = this.config.auth.keyChangeConfirmTimeoutMs;
    const deadline = performance.now() + timeoutMs;
    if (listeners === null) {
      await new Promise((resolve) => setTimeout(resolve, timeoutMs));
      return;
    }
    let waiting = listeners.filter((pid) => !confirmed.has(pid));
    while (waiting.length > 0) {
      const left = deadline - performance.now();
      if (left <= 0) {
        this.logger.warn(
          `${waiting.length} gateway process(es) did not confirm a key change within ${timeoutMs} ms; they check keys against the database until they answer again`,
        );
        break;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(GONE_CHECK_MS, left));
        this.wake.set(token, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.wake.delete(token);
      waiting = waiting.filter((pid) => !confirmed.has(pid));
      if (waiting.length > 0) {
        waiting = await this.stillConnected(waiting);
      }
    }
  }

  /** Forgets a token, whether or not its change was made. */
  release(token: string): void {
    this.confirmed.delete(token);
    this.wake.delete(token);
  }

  async onModuleDestroy(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.connection = undefined;
    await client?.end().catch(() => undefined);
  }

  /**
   * One connection, opened on the first change and kept. Without it (the database refused it), a
   * change waits the whole timeout, which is safe, only slow.
   */
  private listen(): Promise<Client | undefined> {
    this.connection ??= this.connect();
    return this.connection;
  }

  private async connect(): Promise<Client | undefined> {
    const client = new Client({
      connectionString: this.databaseUrl,
      connectionTimeoutMillis: this.config.database.connectTimeoutMs,
      query_timeout: this.config.database.queryTimeoutMs,
      application_name: `secure-ocr-gateway key-change confirmations (pid ${process.pid})`,
    });
    const lost = (): void => {
      if (this.client === client) {
        this.client = undefined;
        this.connection = undefined;
      }
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (message: Notification) => this.onConfirmation(message));
    try {
      await client.connect();
      await client.query(`LISTEN ${API_KEY_CHANGE_CONFIRMED_CHANNEL}`);
    } catch {
      this.logger.warn('Cannot listen for key-change confirmations; key changes wait their whole timeout');
      this.connection = undefined;
      await client.end().catch(() => undefined);
      return undefined;
    }
    this.client = client;
    return client;
  }

  private onConfirmation(message: Notification): void {
    if (message.channel !== API_KEY_CHANGE_CONFIRMED_CHANNEL || message.payload === undefined) {
      return;
    }
    const confirmed = this.confirmed.get(message.payload);
    if (confirmed !== undefined) {
      // The sender's backend pid: the same pid the change read from pg_stat_activity.
      confirmed.add(message.processId);
      this.wake.get(message.payload)?.();
    }
  }

  /** The listeners among `pids` still connected; all of them when that cannot be told. */
  private async stillConnected(pids: number[]): Promise<number[]> {
    const client = this.client;
    if (client === undefined) {
      return pids;
    }
    try {
      const { rows } = await client.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE pid = ANY($1::int[])',
        [pids],
      );
      const connected = new Set(rows.map((row) => row.pid));
      return pids.filter((pid) => connected.has(pid));
    } catch {
      return pids;
    }
  }
}
