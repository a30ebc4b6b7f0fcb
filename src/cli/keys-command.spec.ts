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
    [['list', '--all']],
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
});
