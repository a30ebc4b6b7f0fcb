import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { parseKeyId } from '../api-keys/api-key-format';
import { ApiKey } from '../api-keys/api-key.entity';
import { ApiKeyHasher } from '../api-keys/api-key.hasher';
import { ApiKeyRepository } from '../api-keys/api-key.repository';
import { AppConfig } from '../config';
import type { AuthenticatedKey } from './authenticated-key';
import { CachedVerification, KeyVerificationCache } from './key-verification.cache';
import { LastUsedRecorder } from './last-used.recorder';

/**
 * Turns a presented key into an AuthenticatedKey, or null for every kind of failure. Whatever was
 * presented costs one bcrypt compare unless a verification of the same key is cached: a malformed
 * key or an unknown id is compared against a dummy hash, a disabled, expired or revoked key is
 * compared before its state is looked at. Expiry and grace end are checked on every request.
 */
@Injectable()
export class ApiKeyVerifier implements OnModuleInit {
  private readonly logger = new Logger(ApiKeyVerifier.name);

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly hasher: ApiKeyHasher,
    private readonly cache: KeyVerificationCache,
    private readonly lastUsed: LastUsedRecorder,
    private readonly config: AppConfig,
  ) {}

  /** The dummy hash is made at start-up, so the first request with an unknown id is not the slow one. */
  onModuleInit(): Promise<void> {
    return this.hasher.warmUp();
  }

  async verify(presented: string | undefined): Promise<AuthenticatedKey | null> {
    if (presented === undefined || presented === '') {
      return null;
    }
    const fingerprint = KeyVerificationCache.fingerprint(presented);
    const cached = this.cache.get(fingerprint);
    if (cached) {
      if (!isAlive(cached.endsAt)) {
        this.cache.delete(fingerprint);
        return null;
      }
      this.lastUsed.record(cached.key.id);
      return cached.key;
    }

    const ticket = this.cache.ticket();
    const id = parseKeyId(presented);
    const row = id === null ? null : await this.keys.findById(id);
    const matches = await this.hasher.verify(presented, row?.keyHash ?? null);
    if (row === null || !matches || !isUsable(row)) {
      return null;
    }
    const verification = this.toVerification(row);
    if (verification === null) {
      return null;
    }
    this.cache.set(fingerprint, verification, ticket);
    this.lastUsed.record(row.id);
    return verification.key;
  }

  private toVerification(row: ApiKey): CachedVerification | null {
    const tier = this.config.tier(row.tier);
    if (tier === undefined) {
      // A tier removed from TIERS: refuse rather than guess the key's limits.
      this.logger.warn(`Key ${row.id} has tier "${row.tier}", which is not configured; refusing it`);
      return null;
    }
    const ends = [row.expiresAt, row.graceEndsAt]
      .filter((d): d is Date => d !== null)
      .map((d) => d.getTime());
    return {
      key: {
        id: row.id,
        lineageId: row.lineageId,
        name: row.name,
        tier: row.tier,
        scopes: [...row.scopes],
        dailyLimit: row.dailyLimit ?? tier.daily,
      },
      endsAt: ends.length > 0 ? Math.min(...ends) : null,
    };
  }
}

function isAlive(endsAt: number | null): boolean {
  return endsAt === null || Date.now() < endsAt;
}

function isUsable(row: ApiKey): boolean {
  const now = Date.now();
  return (
    row.enabled &&
    row.revokedAt === null &&
    (row.expiresAt === null || now < row.expiresAt.getTime()) &&
    (row.graceEndsAt === null || now < row.graceEndsAt.getTime())
  );
}
