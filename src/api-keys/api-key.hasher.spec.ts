import * as bcrypt from 'bcrypt';
import { ApiKeyHasher } from './api-key.hasher';

jest.mock('bcrypt', () => {
  const actual = jest.requireActual<typeof import('bcrypt')>('bcrypt');
  return {
    ...actual,
    compare: jest.fn((data: string, encrypted: string): Promise<boolean> => actual.compare(data, encrypted)),
    hash: jest.fn((data: string, rounds: number): Promise<string> => actual.hash(data, rounds)),
  };
});

describe(ApiKeyHasher.name, () => {
  const hasher = new ApiKeyHasher(4);

  beforeEach(() => jest.clearAllMocks());

  it('should store a bcrypt hash at the configured cost, not the key', async () => {
    const stored = await hasher.hash('ocr_abcdefgh1234_secret');
    expect(stored).toMatch(/^\$2b\$04\$/);
    expect(stored).not.toContain('secret');
    await expect(hasher.verify('ocr_abcdefgh1234_secret', stored)).resolves.toBe(true);
    await expect(hasher.verify('ocr_abcdefgh1234_secreT', stored)).resolves.toBe(false);
  });

  it('should still run one bcrypt compare, against a hash of the same cost, when there is no stored hash', async () => {
    await hasher.warmUp();
    jest.clearAllMocks();
    await expect(hasher.verify('ocr_abcdefgh1234_secret', null)).resolves.toBe(false);
    expect(bcrypt.compare).toHaveBeenCalledTimes(1);
    const [, dummy] = (bcrypt.compare as jest.Mock).mock.calls[0] as [string, string];
    expect(dummy).toMatch(/^\$2b\$04\$/);
  });

  it('should make the dummy hash once', async () => {
    const fresh = new ApiKeyHasher(4);
    await fresh.verify('a', null);
    await fresh.verify('b', null);
    expect(bcrypt.hash).toHaveBeenCalledTimes(1);
  });
});
