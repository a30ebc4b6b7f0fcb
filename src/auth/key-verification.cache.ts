import { createHash } from 'node:crypto';
import type { AuthenticatedKey } from './authenticated-key';

export interface CachedVerification {
  key: AuthenticatedKey;
  /** Epoch ms at which the key stops working (expiry or end of a rotation grace); null: never. */
  endsAt: number | null;
}

interface Entry {
  verification: CachedVerification;
  storedUntil: number;
}

/**
 * Successful verifications, so that steady traffic costs no bcrypt. Entries are keyed by a SHA-256
 * of the presented key, never the key itself.
 *
 * The cache only serves while invalidations can reach it (see ApiKeyChangeListener): suspended,
 * every request is verified against the database. A fill that raced with an invalidation is
 * dropped (`ticket`), so a verification that read a row just before it changed cannot outlive the
 * change.
 */
export class KeyVerificationCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  private live = false;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  static fingerprint(presentedKey: string): string {
    return createHash('sha256').update(presentedKey).digest('base64url');
  }

  get(fingerprint: string): CachedVerification | undefined {
    if (!this.live) {
      return undefined;
    }
    const entry = this.entries.get(fingerprint);
    if (!entry) {
      return undefined;
    }
    if (entry.storedUntil <= this.now()) {
      this.entries.delete(fingerprint);
      return undefined;
    }
    return entry.verification;
  }

  /** Taken before reading the database; `set` ignores the fill when anything was invalidated since. */
  ticket(): number {
    return this.generation;
  }

  set(fingerprint: string, verification: CachedVerification, ticket: number): void {
    if (!this.live || ticket !== this.generation || this.ttlMs <= 0) {
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
    this.entries.set(fingerprint, { verification, storedUntil: this.now() + this.ttlMs });
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

  /** Invalidations can reach this process again: start from nothing, since some may have been missed. */
  resume(): void {
    this.clear();
    this.live = true;
  }

  suspend(): void {
    this.live = false;
    this.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
