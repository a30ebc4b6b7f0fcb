import type { ApiKeysService } from '../api-keys/api-keys.service';
import type { ApiKeyDto } from '../api-keys/dto/api-key.dto';
import { formatTable, parseCommand, runCommand, UsageError } from './keys-command';

const key: ApiKeyDto = {
  id: 'abcdefgh1234',
  name: 'app',
  tier: 'pro',
  scopes: ['ocr'],
  enabled: true,
  status: 'active',
  createdAt: '2026-11-27T10:00:00.000Z',
  expiresAt: null,
  lastUsedAt: null,
  dailyLimit: null,
  allowedOrigins: [],
  allowedCidrs: [],
  rateLimit: null,
};

describe('keys command', () => {
  it('should parse create with every option', async () => {
    const command = await parseCommand([
      'create',
      '--name',
      'my app',
      '--tier',
      'pro',
      '--scopes',
      'ocr,admin',
      '--daily-limit',
      '50',
      '--expires-at',
      '2030-01-01T00:00:00Z',
    ]);
    expect(command).toEqual({
      name: 'create',
      input: expect.objectContaining({
        name: 'my app',
        tier: 'pro',
        scopes: ['ocr', 'admin'],
        dailyLimit: 50,
        expiresAt: '2030-01-01T00:00:00Z',
      }),
    });
  });

  it.each([
    [['create', '--tier', 'pro']],
    [['create', '--name', 'x', '--tier', 'pro', '--daily-limit', '-1']],
    [['create', '--name', 'x', '--tier', 'pro', '--daily-limit', 'lots']],
    [['create', '--name', 'x', '--tier', 'pro', '--scopes', 'ocr,root']],
    [['create', '--name', 'x', '--tier', 'pro', '--expires-at', 'tomorrow']],
    [['create', '--name', 'x', '--tier', 'pro', '--colour', 'red']],
    [['create', '--name', 'x', '--tier', 'pro', 'extra']],
    [['revoke']],
    [['revoke', 'a', 'b']],
    [['rotate']],
    [['rotate', 'abcdefgh1234', '--grace-seconds', '-1']],
    [['rotate', 'abcdefgh1234', '--grace-seconds', '1.5']],
    [['rotate', 'abcdefgh1234', '--grace-seconds', '2592001']],
    [['rotate', 'abcdefgh1234', '--days', '3']],
    [['disable']],
    [['enable', 'a', 'b']],
    [['usage']],
    [['usage', 'abcdefgh1234', '--days', '0']],
    [['usage', 'abcdefgh1234', '--days', '367']],
    [['usage', 'abcdefgh1234', '--days', 'many']],
    [['list', '--all']],
    [['create', '--name', 'x', '--tier', 'pro', '--allowed-origins', 'https://a.example/path']],
    [['create', '--name', 'x', '--tier', 'pro', '--allowed-cidrs', '10.0.0.0/33']],
    [['create', '--name', 'x', '--tier', 'pro', '--rate-limit', '0']],
    [['create', '--name', 'x', '--tier', 'pro', '--rate-limit', '10/0']],
    [['create', '--name', 'x', '--tier', 'pro', '--rate-limit', '10/60/2']],
    [['create', '--name', 'x', '--tier', 'pro', '--rate-limit', 'none']],
    [['restrict', 'abcdefgh1234']],
    [['restrict', '--rate-limit', '5']],
    [['restrict', 'abcdefgh1234', '--allowed-cidrs', 'somewhere']],
    [['restrict', 'abcdefgh1234', '--name', 'x']],
    [['frobnicate']],
  ])('should refuse %j as a usage error', async (argv) => {
    await expect(parseCommand(argv)).rejects.toBeInstanceOf(UsageError);
  });

  it('should print only the key for create', async () => {
    const out: string[] = [];
    const keys = { create: jest.fn().mockResolvedValue({ ...key, key: 'ocr_abcdefgh1234_s' }) };
    const command = await parseCommand(['create', '--name', 'x', '--tier', 'pro']);
    await runCommand(command, keys as unknown as ApiKeysService, { out: (text) => out.push(text) });
    expect(out.join('')).toBe('ocr_abcdefgh1234_s\n');
  });

  it('should parse the restrictions of create, and of restrict with none to lift one', async () => {
    const created = await parseCommand([
      'create',
      '--name',
      'web',
      '--tier',
      'pro',
      '--allowed-origins',
      'https://app.example.com, http://localhost:3000',
      '--allowed-cidrs',
      '203.0.113.0/24,2001:db8::/32',
      '--rate-limit',
      '120/30',
    ]);
    expect(created).toEqual({
      name: 'create',
      input: expect.objectContaining({
        allowedOrigins: ['https://app.example.com', 'http://localhost:3000'],
        allowedCidrs: ['203.0.113.0/24', '2001:db8::/32'],
        rateLimit: expect.objectContaining({ requests: 120, windowSeconds: 30 }),
      }),
    });
    const restricted = await parseCommand([
      'restrict',
      'abcdefgh1234',
      '--allowed-origins',
      'none',
      '--rate-limit',
      '60',
      '--daily-limit',
      'none',
    ]);
    expect(restricted).toEqual({
      name: 'restrict',
      id: 'abcdefgh1234',
      input: expect.objectContaining({
        allowedOrigins: [],
        rateLimit: expect.objectContaining({ requests: 60 }),
        dailyLimit: null,
      }),
    });
    expect((restricted as { input: { allowedCidrs?: string[] } }).input.allowedCidrs).toBeUndefined();
  });

  it('should pass restrict to the same update as PATCH and report the restrictions', async () => {
    const out: string[] = [];
    const updated = { ...key, allowedCidrs: ['10.0.0.0/8'], rateLimit: { requests: 60, windowSeconds: 60 } };
    const keys = { update: jest.fn().mockResolvedValue(updated) };
    await runCommand(
      await parseCommand(['restrict', 'abcdefgh1234', '--allowed-cidrs', '10.1.2.3/8', '--rate-limit', '60']),
      keys as unknown as ApiKeysService,
      { out: (text) => out.push(text) },
    );
    expect(keys.update).toHaveBeenCalledWith(
      'abcdefgh1234',
      expect.objectContaining({
        allowedCidrs: ['10.1.2.3/8'],
        rateLimit: expect.objectContaining({ requests: 60 }),
      }),
    );
    expect(out.join('')).toBe(
      'Restricted key abcdefgh1234: origins any, networks 10.0.0.0/8, rate 60/60s, daily limit tier.\n',
    );
  });

  it('should revoke the id given', async () => {
    const keys = { revoke: jest.fn().mockResolvedValue(undefined) };
    await runCommand(await parseCommand(['revoke', 'abcdefgh1234']), keys as unknown as ApiKeysService, {
      out: () => undefined,
    });
    expect(keys.revoke).toHaveBeenCalledWith('abcdefgh1234');
  });

  it('should list keys as an aligned table without control characters', () => {
    const table = formatTable([
      key,
      { ...key, id: 'zzzzzzzzzzzz', name: 'evil\u001b[2Jname', rotatedFrom: 'abcdefgh1234' },
    ]);
    const lines = table.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^ID\s+NAME\s+TIER/);
    expect(lines[1].indexOf('app')).toBe(lines[0].indexOf('NAME'));
    expect(table).not.toContain('\u001b');
    expect(lines[2]).toContain('rotated from abcdefgh1234');
  });

  it('should say so when there are no keys', () => {
    expect(formatTable([])).toBe('No keys.\n');
  });

  it.each<[string[], unknown]>([
    [['rotate', 'abcdefgh1234'], { name: 'rotate', id: 'abcdefgh1234' }],
    [
      ['rotate', 'abcdefgh1234', '--grace-seconds', '3600'],
      { name: 'rotate', id: 'abcdefgh1234', graceSeconds: 3600 },
    ],
    [
      ['rotate', '--grace-seconds', '0', 'abcdefgh1234'],
      { name: 'rotate', id: 'abcdefgh1234', graceSeconds: 0 },
    ],
    [['disable', 'abcdefgh1234'], { name: 'disable', id: 'abcdefgh1234' }],
    [['enable', 'abcdefgh1234'], { name: 'enable', id: 'abcdefgh1234' }],
    [['usage', 'abcdefgh1234'], { name: 'usage', id: 'abcdefgh1234' }],
    [['usage', 'abcdefgh1234', '--days', '7'], { name: 'usage', id: 'abcdefgh1234', days: 7 }],
  ])('should parse %j', async (argv, expected) => {
    await expect(parseCommand(argv)).resolves.toEqual(expected);
  });

  it('should print only the successor key for rotate, passing the grace', async () => {
    const out: string[] = [];
    const keys = { rotate: jest.fn().mockResolvedValue({ ...key, key: 'ocr_zzzzzzzzzzzz_s' }) };
    await runCommand(
      await parseCommand(['rotate', 'abcdefgh1234', '--grace-seconds', '60']),
      keys as unknown as ApiKeysService,
      {
        out: (text) => out.push(text),
      },
    );
    expect(keys.rotate).toHaveBeenCalledWith('abcdefgh1234', 60);
    expect(out.join('')).toBe('ocr_zzzzzzzzzzzz_s\n');
  });

  it('should disable and enable through the same update as PATCH enabled', async () => {
    const out: string[] = [];
    const keys = { update: jest.fn().mockResolvedValue(key) };
    const service = keys as unknown as ApiKeysService;
    await runCommand(await parseCommand(['disable', 'abcdefgh1234']), service, {
      out: (text) => out.push(text),
    });
    await runCommand(await parseCommand(['enable', 'abcdefgh1234']), service, {
      out: (text) => out.push(text),
    });
    expect(keys.update.mock.calls).toEqual([
      ['abcdefgh1234', { enabled: false }],
      ['abcdefgh1234', { enabled: true }],
    ]);
    expect(out).toEqual(['Disabled key abcdefgh1234.\n', 'Enabled key abcdefgh1234.\n']);
  });

  it('should print usage per day and the total', async () => {
    const out: string[] = [];
    const usage = {
      id: 'abcdefgh1234',
      days: 2,
      total: 5,
      items: [
        { date: '2026-12-02', used: 0 },
        { date: '2026-12-03', used: 5 },
      ],
    };
    const keys = { usageOf: jest.fn().mockResolvedValue(usage) };
    await runCommand(
      await parseCommand(['usage', 'abcdefgh1234', '--days', '2']),
      keys as unknown as ApiKeysService,
      {
        out: (text) => out.push(text),
      },
    );
    expect(keys.usageOf).toHaveBeenCalledWith('abcdefgh1234', 2);
    expect(out.join('')).toBe('DATE        USED\n2026-12-02  0\n2026-12-03  5\ntotal       5\n');
  });
});
