import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { parseKeyId } from '../api-keys/api-key-format';
import { ApiKey } from '../api-keys/api-key.entity';
import { ApiKeyHasher } from '../api-keys/api-key.hasher';
import { ApiKeyRepository } from '../api-keys/api-key.repository';
import { parseCidrs } from '../api-keys/key-restrictions';
import { AppConfig } from '../config';
import { ApiMetrics, type AuthFailureReason } from '../metrics/api-metrics';
import type { AuthenticatedKey } from './authenticated-key';
import { CachedVerification, KeyVerificationCache } from './key-verification.cache';
import { LastUsedRecorder } from './last-used.recorder';
import { SingleFlight } from './single-flight';

/**
 * Turns a presented key into an AuthenticatedKey, or null for every kind of failure. A key never
 * verified here (or forgotten) costs one bcrypt compare: a malformed key or an unknown id is
 * compared against a dummy hash, a disabled, expired or revoked key is compared before its state
 * is looked at. A verified key is remembered (KeyVerificationCache): from memory alone while the
 * cache is current, else by re-reading its row, without bcrypt. Concurrent verifications of the
 * same presented key share one database read and one compare. Expiry and grace end are checked on
 * every request. Each refusal is counted by its reason (ApiMetrics); the client is told none.
 */
@Injectable()
export class ApiKeyVerifier implements OnModuleInit {
  private readonly logger = new Logger(ApiKeyVerifier.name);
  private readonly inFlight = new SingleFlight<string, CachedVerification | AuthFailureReason>();

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly hasher: ApiKeyHasher,
    private readonly cache: KeyVerificationCache,
    private readonly lastUsed: LastUsedRecorder,
    private readonly config: AppConfig,
    private readonly metrics: ApiMetrics,
  ) {}

  /** The dummy hash is made at start-up, so the first request with an unknown id is not the slow one. */
  onModuleInit(): Promise<void> {
    return this.hasher.warmUp();
  }

  async verify(presented: string | undefined): Promise<AuthenticatedKey | null> {
    const verification = await this.verification(presented);
    if (typeof verification === 'string') {
      this.metrics.authFailure(verification);
      return null;
    }
    this.lastUsed.record(verification.key.id);
    return verification.key;
  }

  /**
   * The key a short-lived token was minted by, whose signature has already been checked: the same
   * row checks as for a presented key (revoked, disabled, expired, grace over, tier), the same
   * cache and invalidation, but no secret to compare. Null when the key is no longer usable.
   */
  async verifyKeyId(id: string): Promise<AuthenticatedKey | null> {
    const verification = await this.cachedOrChecked(`key-id:${id}`, (slot) => this.checkRow(id, slot));
    if (typeof verification === 'string') {
      this.metrics.authFailure(verification);
      return null;
    }
    this.lastUsed.record(verification.key.id);
    return verification.key;
  }

  private async verification(presented: string | undefined): Promise<CachedVerification | AuthFailureReason> {
    if (presented === undefined || presented === '') {
      return 'missing';
    }
    return this.cachedOrChecked(KeyVerificationCache.fingerprint(presented), (fingerprint) =>
      this.check(presented, fingerprint),
    );
  }

  private async cachedOrChecked(
    fingerprint: string,
    check: (fingerprint: string) => Promise<CachedVerification | AuthFailureReason>,
  ): Promise<CachedVerification | AuthFailureReason> {
    const hit = this.cache.get(fingerprint);
    const verification = hit?.current
      ? hit.verification
      : await this.inFlight.run(fingerprint, () => check(fingerprint));
    if (typeof verification === 'string') {
      return verification;
    }
    if (!isAlive(verification.endsAt)) {
      this.cache.delete(fingerprint);
      return 'expired';
    }
    return verification;
  }

  /** The database's word on a presented key: its row, and bcrypt unless the secret was verified before. */
  private async check(
    presented: string,
    fingerprint: string,
  ): Promise<CachedVerification | AuthFailureReason> {
    const ticket = this.cache.ticket();
    const verifiedBefore = this.cache.get(fingerprint) !== undefined;
    const id = parseKeyId(presented);
    // No database for a malformed key: it is refused the same way while the database is down.
    const row = id === null ? null : await this.keys.findById(id);
    if (!verifiedBefore && !(await this.hasher.verify(presented, row?.keyHash ?? null))) {
      return id === null ? 'malformed' : row === null ? 'unknown_key' : 'wrong_secret';
    }
    return this.remember(row, fingerprint, ticket);
  }

  /** The row alone, for a key id taken from a signed token (its slot never collides with a SHA-256 fingerprint). */
  private async checkRow(id: string, slot: string): Promise<CachedVerification | AuthFailureReason> {
    const ticket = this.cache.ticket();
    return this.remember(await this.keys.findById(id), slot, ticket);
  }

  private remember(
    row: ApiKey | null,
    fingerprint: string,
    ticket: number,
  ): CachedVerification | AuthFailureReason {
    const verification = row === null ? 'unknown_key' : (unusable(row) ?? this.toVerification(row));
    if (typeof verification === 'string') {
      this.cache.delete(fingerprint);
      return verification;
    }
    this.cache.set(fingerprint, verification, ticket);
    return verification;
  }

  private toVerification(row: ApiKey): CachedVerification | AuthFailureReason {
    const tier = this.config.tier(row.tier);
    if (tier === undefined) {
      // A tier removed from TIERS: refuse rather than guess the key's limits.
      this.logger.warn(`Key ${row.id} has tier "${row.tier}", which is not configured; refusing it`);
      return 'unknown_tier';
    }
    const ends = [row.expiresAt, row.graceEndsAt]
      .filter((d): d is Date => d !== null)
      .map((d) => d.getTime());
    const endsAt = ends.length > 0 ? Math.min(...ends) : null;
    return {
      key: {
        id: row.id,
        lineageId: row.lineageId,
        name: row.name,
        tier: row.tier,
        scopes: [...row.scopes],
        dailyLimit: row.dailyLimit ?? tier.daily,
        endsAt,
        restrictions: {
          origins: [...row.allowedOrigins],
          cidrs: parseCidrs(row.allowedCidrs),
          rate:
            row.rateLimit === null || row.rateWindowSeconds === null
              ? null
              : { requests: row.rateLimit, windowSeconds: row.rateWindowSeconds },
        },
      },
      endsAt,
    };
  }
}

function isAlive(endsAt: number | null): boolean {
  return endsAt === null || Date.now() < endsAt;
}

/** Why a key whose secret matched cannot be used now; undefined when it can. */
function unusable(row: ApiKey): AuthFailureReason | undefined {
  const now = Date.now();
  if (row.revokedAt !== null) {
    return 'revoked';
  }
  if (!row.enabled) {
    return 'disabled';
  }
  if (
    (row.expiresAt !== null && now >= row.expiresAt.getTime()) ||
    (row.graceEndsAt !== null && now >= row.graceEndsAt.getTime())
  ) {
    return 'expired';
  }
  return undefined;
}
