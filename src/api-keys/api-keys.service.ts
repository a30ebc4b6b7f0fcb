import { Injectable } from '@nestjs/common';
import type { ApiKeyScope } from '../auth/authenticated-key';
import { ApiError } from '../common/errors/api-error';
import { AppConfig } from '../config';
import { DailyUsageRepository } from '../usage/daily-usage.repository';
import { generateApiKey } from './api-key-format';
import { ApiKeyChanges } from './api-key-changes';
import { ApiKey } from './api-key.entity';
import { ApiKeyHasher } from './api-key.hasher';
import { ApiKeyRepository, ApiKeyUpdate, KeyMutation, NewApiKey } from './api-key.repository';
import { ApiKeyDto, CreatedApiKeyDto, toApiKeyDto } from './dto/api-key.dto';
import { ApiKeyUsageDto } from './dto/api-key-usage.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import { UpdateApiKeyDto } from './dto/update-api-key.dto';

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
    return toApiKeyDto(this.settle(id, await this.keys.update(id, changes)));
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
    const outcome = await this.keys.rotate(id, successor, new Date(Date.now() + graceSeconds * 1000));
    return { ...toApiKeyDto(this.settle(id, outcome)), key: plaintext };
  }

  async revoke(id: string): Promise<void> {
    this.settle(id, await this.keys.revoke(id));
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
    });
    return created === null ? null : plaintext;
  }

  private async findActive(id: string): Promise<ApiKey> {
    const key = await this.keys.findActive(id);
    if (!key) {
      throw notFound();
    }
    return key;
  }

  /** Announces a made change to this process and turns a refusal into the contract's error. */
  private settle<T>(id: string, mutation: KeyMutation<T>): T {
    switch (mutation.outcome) {
      case 'done':
        this.changes.publish(id);
        return mutation.value;
      case 'not_found':
        throw notFound();
      case 'last_admin':
        throw new ApiError(
          409,
          'conflict',
          'This is the last usable admin key: create another admin key before disabling, expiring or revoking it.',
        );
      case 'already_rotated':
        throw new ApiError(409, 'conflict', 'This key was already rotated: rotate its successor instead.');
    }
  }

  private checkTier(tier: string): void {
    if (this.config.tier(tier) === undefined) {
      const known = Object.keys(this.config.tiers).join(', ');
      throw new ApiError(400, 'validation_failed', `tier must be one of the configured tiers: ${known}`);
    }
  }
}

function pickSettings(
  key: ApiKey,
): Pick<NewApiKey, 'name' | 'tier' | 'scopes' | 'enabled' | 'dailyLimit' | 'expiresAt'> {
  const { name, tier, scopes, enabled, dailyLimit, expiresAt } = key;
  return { name, tier, scopes, enabled, dailyLimit, expiresAt };
}

function toFutureDate(iso: string | null | undefined): Date | null {
  if (iso === undefined || iso === null) {
    return null;
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime()) || date.getTime() <= Date.now()) {
    throw new ApiError(400, 'validation_failed', 'expiresAt must be a date-time in the future');
  }
  return date;
}

function notFound(): ApiError {
  return new ApiError(404, 'not_found', 'No API key with this id.');
}
