import { hash } from 'node:crypto';
import type { AuthenticatedKey } from './authenticated-key';

export interface CachedVerification {
  key: AuthenticatedKey;
  /** Epoch ms at which the key stops working (expiry or end of a rotation grace); null: never. */
  endsAt: number | null;
}

export interface CacheHit {
  verification: CachedVerification;
  /**
   * True when the entry may answer without the database: no change to the key can have been
   * missed. False: its secret was verified, but its row must be read again (no bcrypt).
   */
  current: boolean;
}

interface Entry {
  verification: CachedVerification;
  storedUntil: number;
  /** The listening epoch its row was read in; 0: read while nobody listened. */
  epoch: number;
}

/**
 * Successful verifications, so that steady traffic costs no bcrypt. Entries are keyed by a SHA-256
 * of the presented key, never the key itself.
 *
 * An entry answers a request from memory alone only while this process provably hears every key
 * change (see ApiKeyChangeListener): its listener has listened without a break since before the
 * entry's row was read (same epoch), and a heartbeat on the listening connection, which Postgres
 * answers only after delivering every notification committed before it arrived, was sent less
 * than `trustMs` ago. That bound is shorter than the time a key change waits for confirmations,
 * so a change that returned without this process's confirmation is never served from a stale
 * entry. Otherwise the entry is `current: false` and the verifier re-reads the row.
 *
 * A fill that raced with an invalidation is dropped (`ticket`), so a verification that read a row
 * just before it changed cannot outlive the change.
 */
export class KeyVerificationCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  private epochs = 0;
  private epoch = 0;
  private currentAsOf = Number.NEGATIVE_INFINITY;

  /**
   * @param ttlMs how long an entry is kept at all (0: nothing is cached)
   * @param trustMs how long after the last heartbeat sent entries answer from memory
   * @param clock monotonic milliseconds
   */
  constructor(
    private readonly ttlMs: number,
    private readonly trustMs: number,
    private readonly maxEntries = 10_000,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** One-shot hashing: no Hash object per request (the same digest as createHash's). */
  static fingerprint(presentedKey: string): string {
    return hash('sha256', presentedKey, 'base64url');
  }

  get(fingerprint: string): CacheHit | undefined {
    const entry = this.entries.get(fingerprint);
    if (!entry) {
      return undefined;
    }
    const now = this.clock();
    if (entry.storedUntil <= now) {
      this.entries.delete(fingerprint);
      return undefined;
    }
    const current = this.epoch !== 0 && entry.epoch === this.epoch && now - this.currentAsOf < this.trustMs;
    return { verification: entry.verification, current };
  }

  /** Taken before reading the database; `set` ignores the fill when anything was invalidated since. */
  ticket(): number {
    return this.generation;
  }

  set(fingerprint: string, verification: CachedVerification, ticket: number): void {
    if (ticket !== this.generation || this.ttlMs <= 0) {
      return;
    }
    this.entries.delete(fingerprint);
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: the first entry is the oldest.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) {
        this.entries.delete(oldest);
      }
    }
    this.entries.set(fingerprint, { verification, storedUntil: this.clock() + this.ttlMs, epoch: this.epoch });
  }

  delete(fingerprint: string): void {
    this.entries.delete(fingerprint);
  }

  invalidate(keyId: string): void {
    this.generation++;
    for (const [fingerprint, entry] of this.entries) {
      if (entry.verification.key.id === keyId) {
        this.entries.delete(fingerprint);
      }
    }
  }

  /**
   * The listener listens (again) since a LISTEN sent at `sentAt`: a new epoch. Entries of older
   * epochs may have missed notifications, so they are re-read once before they serve from memory.
   */
  listening(sentAt: number): void {
    this.generation++;
    this.epoch = ++this.epochs;
    this.currentAsOf = sentAt;
  }

  /** A heartbeat sent at `sentAt` on the listening connection came back. */
  confirmedCurrent(sentAt: number): void {
    this.currentAsOf = Math.max(this.currentAsOf, sentAt);
  }

  /** The listener lost its connection: nothing answers from memory until it listens again. */
  deaf(): void {
    this.generation++;
    this.epoch = 0;
  }

  get size(): number {
    return this.entries.size;
  }
}
