import { ApiError } from '../common/errors/api-error';
import { loadConfig } from '../config';
import { DailyUsageRepository } from '../usage/daily-usage.repository';
import { ApiKeyChangeConfirmations } from './api-key-change-confirmations';
import { ApiKeyChanges } from './api-key-changes';
import { ApiKey } from './api-key.entity';
import { ApiKeyHasher } from './api-key.hasher';
import { ApiKeyRepository, KeyMutation, NewApiKey } from './api-key.repository';
import { ApiKeysService } from './api-keys.service';

function entity(fields: Partial<ApiKey>): ApiKey {
  return Object.assign(new ApiKey(), {
    lineageId: fields.id,
    name: 'n',
    tier: 'free',
    scopes: ['ocr'],
    keyHash: '$2b$04$hash',
    enabled: true,
    dailyLimit: null,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    updatedAt: new Date('2026-01-01T00:00:00Z'),
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    rotatedFrom: null,
    graceEndsAt: null,
    allowedOrigins: [],
    allowedCidrs: [],
    rateLimit: null,
    rateWindowSeconds: null,
    ...fields,
  });
}

async function errorOf(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    return error as ApiError;
  }
  throw new Error('expected a rejection');
}

describe(ApiKeysService.name, () => {
  let repo: jest.Mocked<
    Pick<ApiKeyRepository, 'insert' | 'update' | 'revoke' | 'rotate' | 'findActive' | 'insertIfEmpty'>
  >;
  let published: string[];
  let confirmations: jest.Mocked<Pick<ApiKeyChangeConfirmations, 'prepare' | 'settle' | 'release'>>;
  let service: ApiKeysService;

  beforeEach(() => {
    repo = {
      insert: jest.fn((key: NewApiKey) => Promise.resolve(entity(key))),
      update: jest.fn(),
      revoke: jest.fn(),
      rotate: jest.fn(),
      findActive: jest.fn(),
      insertIfEmpty: jest.fn((key: NewApiKey) => Promise.resolve(entity(key))),
    };
    const changes = new ApiKeyChanges();
    published = [];
    changes.subscribe((id) => published.push(id));
    confirmations = {
      prepare: jest.fn(() => Promise.resolve('token-1')),
      settle: jest.fn((_token: string, _listeners: readonly number[] | null) => Promise.resolve()),
      release: jest.fn(),
    };
    service = new ApiKeysService(
      repo as unknown as ApiKeyRepository,
      new ApiKeyHasher(4),
      changes,
      confirmations as unknown as ApiKeyChangeConfirmations,
      { history: jest.fn() } as unknown as DailyUsageRepository,
      loadConfig({}),
    );
  });

  it('should create a key whose plaintext is returned once and whose hash alone is stored', async () => {
    const created = await service.create({ name: 'app', tier: 'pro' });
    const stored = repo.insert.mock.calls[0][0];
    expect(created.key.startsWith(`ocr_${created.id}_`)).toBe(true);
    expect(stored).toMatchObject({
      id: created.id,
      lineageId: created.id,
      scopes: ['ocr'],
      rotatedFrom: null,
    });
    expect(stored.keyHash).toMatch(/^\$2b\$04\$/);
    expect(JSON.stringify(stored)).not.toContain(created.key.split('_')[2]);
    expect(created).not.toHaveProperty('keyHash');
  });

  it('should refuse an unknown tier with 400 validation_failed, naming the configured ones', async () => {
    const error = await errorOf(service.create({ name: 'app', tier: 'gold' }));
    expect(error.getStatus()).toBe(400);
    expect(error.code).toBe('validation_failed');
    expect(error.message).toContain('free, pro, enterprise');
    expect(repo.insert).not.toHaveBeenCalled();
  });

  it('should refuse an expiry in the past', async () => {
    const error = await errorOf(
      service.create({ name: 'app', tier: 'pro', expiresAt: '2020-01-01T00:00:00Z' }),
    );
    expect(error.code).toBe('validation_failed');
  });

  it('should pass only the fields sent to an update, and announce the change', async () => {
    repo.update.mockResolvedValue({
      outcome: 'done',
      value: entity({ id: 'abcdefgh1234', enabled: false }),
      listeners: [41, 42],
    });
    await service.update('abcdefgh1234', { enabled: false, dailyLimit: null });
    expect(repo.update).toHaveBeenCalledWith('abcdefgh1234', { enabled: false, dailyLimit: null }, 'token-1');
    expect(published).toEqual(['abcdefgh1234']);
  });

  it('should store restrictions normalised, a rate without window per minute, and lift them with [] and null', async () => {
    repo.update.mockResolvedValue({ outcome: 'done', value: entity({ id: 'abcdefgh1234' }), listeners: [] });
    await service.update('abcdefgh1234', {
      allowedOrigins: ['HTTPS://App.Example.com:443', 'https://app.example.com'],
      allowedCidrs: ['10.1.2.3/8', '2001:DB8::/32'],
      rateLimit: { requests: 30 },
    });
    await service.update('abcdefgh1234', { allowedOrigins: [], rateLimit: null });
    expect(repo.update.mock.calls.map(([, changes]) => changes)).toEqual([
      {
        allowedOrigins: ['https://app.example.com'],
        allowedCidrs: ['10.0.0.0/8', '2001:db8::/32'],
        rateLimit: 30,
        rateWindowSeconds: 60,
      },
      { allowedOrigins: [], rateLimit: null, rateWindowSeconds: null },
    ]);
  });

  it('should return from a change only once the listeners at its commit have confirmed it', async () => {
    let confirm!: () => void;
    confirmations.settle.mockReturnValue(new Promise<void>((resolve) => (confirm = resolve)));
    repo.revoke.mockResolvedValue({ outcome: 'done', value: undefined, listeners: [41, 42] });
    let returned = false;
    const revoking = service.revoke('abcdefgh1234').then(() => (returned = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(confirmations.settle).toHaveBeenCalledWith('token-1', [41, 42]);
    expect(returned).toBe(false);
    confirm();
    await revoking;
    expect(confirmations.release).toHaveBeenCalledWith('token-1');
  });

  it.each<[KeyMutation<never>['outcome'], number, string]>([
    ['not_found', 404, 'not_found'],
    ['last_admin', 409, 'conflict'],
  ])('should turn a %s refusal into %d %s and announce nothing', async (outcome, status, code) => {
    repo.revoke.mockResolvedValue({ outcome } as KeyMutation<void>);
    const error = await errorOf(service.revoke('abcdefgh1234'));
    expect(error.getStatus()).toBe(status);
    expect(error.code).toBe(code);
    expect(published).toEqual([]);
    expect(confirmations.settle).not.toHaveBeenCalled();
    expect(confirmations.release).toHaveBeenCalledWith('token-1');
  });

  it('should rotate into a key with the same settings and lineage, and the grace asked for', async () => {
    const old = entity({
      id: 'old000000001',
      lineageId: 'lin000000001',
      tier: 'pro',
      scopes: ['ocr', 'admin'],
      dailyLimit: 9,
      allowedOrigins: ['https://app.example.com'],
      allowedCidrs: ['10.0.0.0/8'],
      rateLimit: 5,
      rateWindowSeconds: 10,
    });
    repo.rotate.mockImplementation((_id, successor) =>
      Promise.resolve({ outcome: 'done', value: entity(successor(old)), listeners: [] }),
    );
    const before = Date.now();
    const rotated = await service.rotate('old000000001', 30);
    const [, , graceEndsAt] = repo.rotate.mock.calls[0];
    expect(graceEndsAt.getTime()).toBeGreaterThanOrEqual(before + 30_000);
    expect(rotated).toMatchObject({
      tier: 'pro',
      scopes: ['ocr', 'admin'],
      dailyLimit: 9,
      rotatedFrom: 'old000000001',
      allowedOrigins: ['https://app.example.com'],
      allowedCidrs: ['10.0.0.0/8'],
      rateLimit: { requests: 5, windowSeconds: 10 },
    });
    expect(rotated.id).not.toBe('old000000001');
    expect(rotated.key.startsWith(`ocr_${rotated.id}_`)).toBe(true);
    expect(repo.rotate.mock.calls[0][1](old).lineageId).toBe('lin000000001');
    expect(published).toEqual(['old000000001']);
  });

  it('should create a bootstrap admin key only into an empty table', async () => {
    const plaintext = await service.ensureBootstrapAdminKey();
    expect(plaintext).toMatch(/^ocr_[a-z0-9]{12}_/);
    expect(repo.insertIfEmpty.mock.calls[0][0]).toMatchObject({
      tier: 'enterprise',
      scopes: ['ocr', 'admin'],
    });
    repo.insertIfEmpty.mockResolvedValue(null);
    await expect(service.ensureBootstrapAdminKey()).resolves.toBeNull();
  });
});
