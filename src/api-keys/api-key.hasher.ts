import { compare, hash } from 'bcrypt';
import { randomBytes } from 'node:crypto';

/**
 * bcrypt of whole plaintext keys. `verify` without a stored hash compares against a dummy hash of
 * the same cost, so that an unknown id costs the same time as a wrong secret.
 */
export class ApiKeyHasher {
  private dummyHash?: Promise<string>;

  constructor(private readonly cost: number) {}

  hash(plaintext: string): Promise<string> {
    return hash(plaintext, this.cost);
  }

  async verify(plaintext: string, storedHash: string | null): Promise<boolean> {
    if (storedHash === null) {
      await compare(plaintext, await this.dummy());
      return false;
    }
    return compare(plaintext, storedHash);
  }

  async warmUp(): Promise<void> {
    await this.dummy();
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hash(randomBytes(32).toString('base64url'), this.cost);
    return this.dummyHash;
  }
}
