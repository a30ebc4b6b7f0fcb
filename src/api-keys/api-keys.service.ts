import { Injectable } from '@nestjs/common';
import type { ApiKeyScope } from './api-key-scopes';
import { AppConfig } from '../config';
import { DailyUsageRepository } from '../usage/daily-usage.repository';
import { generateApiKey } from './api-key-format';
import { ApiKeyChangeConfirmations } from './api-key-change-confirmations';
import { ApiKeyChanges } from './api-key-changes';
import { ApiKey } from './api-key.entity';
import { keyNotFound, refusal, toFutureDate, unknownTier } from './api-key.errors';
import { ApiKeyHasher } from './api-key.hasher';
import {
  ApiKeyRepository,
  ApiKeyUpdate,
  KeyMutation,
  KeyRestrictionColumn,
  NewApiKey,
} from './api-key.repository';
import { ApiKeyDto, CreatedApiKeyDto, toApiKeyDto } from './dto/api-key.dto';
import { ApiKeyUsageDto } from './dto/api-key-usage.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import { UpdateApiKeyDto } from './dto/update-api-key.dto';
import { NO_RESTRICTIONS, restrictionColumns } from './key-restriction-columns';

const BOOTSTRAP_KEY = {
  name: 'bootstrap admin',
  tier: 'enterprise',
  scopes: ['ocr', 'admin'] as ApiKeyScope[],
};
const DEFAULT_USAGE_DAYS = 30;

/** Key management, shared by the admin API, the keys CLI and the start-up supervisor. */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly hasher: ApiKeyHasher,
    private readonly changes: ApiKeyChanges,
    private readonly confirmations: ApiKeyChangeConfirmations,
    private readonly usage: DailyUsageRepository,
    private readonly config: AppConfig,
  ) {}

  async create(input: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    this.checkTier(input.tier);
    const expiresAt = toFutureDate(input.expiresAt);
    const { id, plaintext } = generateApiKey();
    const created = await this.keys.insert({
      id,
      lineageId: id,
      name: input.name,
      tier: input.tier,
      scopes: input.scopes ?? ['ocr'],
      keyHash: await this.hasher.hash(plaintext),
      enabled: true,
      dailyLimit: input.dailyLimit ?? null,
      expiresAt,
      rotatedFrom: null,
      ...NO_RESTRICTIONS,
      ...restrictionColumns(input),
    });
    return { ...toApiKeyDto(created), key: plaintext };
  }

  async list(): Promise<ApiKeyDto[]> {
    return (await this.keys.listActive()).map(toApiKeyDto);
  }

  async get(id: string): Promise<ApiKeyDto> {
    return toApiKeyDto(await this.findActive(id));
  }

  async update(id: string, input: UpdateApiKeyDto): Promise<ApiKeyDto> {
    const changes: ApiKeyUpdate = {};
    if (input.name !== undefined) {
      changes.name = input.name;
    }
    if (input.tier !== undefined) {
      this.checkTier(input.tier);
      changes.tier = input.tier;
    }
    if (input.enabled !== undefined) {
      changes.enabled = input.enabled;
    }
    if (input.expiresAt !== undefined) {
      changes.expiresAt = toFutureDate(input.expiresAt);
    }
    if (input.dailyLimit !== undefined) {
      changes.dailyLimit = input.dailyLimit;
    }
    Object.assign(changes, restrictionColumns(input));
    return toApiKeyDto(await this.change(id, (token) => this.keys.update(id, changes, token)));
  }

  /** A new key with the same settings and lineage; the old one works for `graceSeconds` more. */
  async rotate(id: string, graceSeconds = 0): Promise<CreatedApiKeyDto> {
    const { id: newId, plaintext } = generateApiKey();
    const keyHash = await this.hasher.hash(plaintext);
    const successor = (current: ApiKey): NewApiKey => ({
      ...pickSettings(current),
      id: newId,
      lineageId: current.lineageId,
      keyHash,
      rotatedFrom: current.id,
    });
    const graceEndsAt = new Date(Date.now() + graceSeconds * 1000);
    const created = await this.change(id, (token) => this.keys.rotate(id, successor, graceEndsAt, token));
    // The answer tells the caller how long the predecessor keeps working (CONTRACT: "the
    // predecessor's grace end"), so a deploy can be timed against it.
    return {
      ...toApiKeyDto(created),
      graceEndsAt: graceEndsAt.toISOString(),
      key: plaintext,
    };
  }

  async revoke(id: string): Promise<void> {
    await this.change(id, (token) => this.keys.revoke(id, token));
  }

  async usageOf(id: string, days = DEFAULT_USAGE_DAYS): Promise<ApiKeyUsageDto> {
    const key = await this.findActive(id);
    const items = await this.usage.history(key.lineageId, days);
    return { id, days, total: items.reduce((sum, day) => sum + day.used, 0), items };
  }

  /**
   * On a database without any key, creates one admin key and returns its plaintext (to be shown
   * once); null when keys exist. Safe when several processes start at once: one key is made.
   */
  async ensureBootstrapAdminKey(): Promise<string | null> {
    const { id, plaintext } = generateApiKey();
    const created = await this.keys.insertIfEmpty({
      ...BOOTSTRAP_KEY,
      id,
      lineageId: id,
      keyHash: await this.hasher.hash(plaintext),
      enabled: true,
      dailyLimit: null,
      expiresAt: null,
      rotatedFrom: null,
      ...NO_RESTRICTIONS,
    });
    return created === null ? null : plaintext;
  }

  private async findActive(id: string): Promise<ApiKey> {
    const key = await this.keys.findActive(id);
    if (!key) {
      throw keyNotFound();
    }
    return key;
  }

  /**
   * Makes a change to key `id` and returns once it holds on every gateway process: announced to
   * this one at once, confirmed by the others (see ApiKeyChangeConfirmations). A refused change
   * becomes the contract's error.
   */
  private async change<T>(id: string, mutate: (token: string) => Promise<KeyMutation<T>>): Promise<T> {
    const token = await this.confirmations.prepare();
    try {
      const mutation = await mutate(token);
      if (mutation.outcome !== 'done') {
        throw refusal(mutation.outcome);
      }
      this.changes.publish(id);
      await this.confirmations.settle(token, mutation.listeners);
      return mutation.value;
    } finally {
      this.confirmations.release(token);
    }
  }

  private checkTier(tier: string): void {
    if (this.config.tier(tier) === undefined) {
      throw unknownTier(Object.keys(this.config.tiers));
    }
  }
}

function pickSettings(
  key: ApiKey,
): Pick<
  NewApiKey,
  'name' | 'tier' | 'scopes' | 'enabled' | 'dailyLimit' | 'expiresAt' | KeyRestrictionColumn
> {
  const { name, tier, scopes, enabled, dailyLimit, expiresAt } = key;
  const { allowedOrigins, allowedCidrs, rateLimit, rateWindowSeconds } = key;
  return {
    name,
    tier,
    scopes,
    enabled,
    dailyLimit,
    expiresAt,
    allowedOrigins,
    allowedCidrs,
    rateLimit,
    rateWindowSeconds,
  };
}
