import { TOKEN_PREFIX, TokenSigner } from './token-signer';

const secret = (fill: number): string => Buffer.alloc(32, fill).toString('base64url');
const NOW = Date.UTC(2026, 11, 3, 10, 0, 0);
const claims = { keyId: 'k3v9q2m7x1ab', expiresAt: NOW / 1000 + 300 };

describe(TokenSigner.name, () => {
  const signer = new TokenSigner([secret(1)]);

  it('should give back the claims of a token it signed, with its prefix and no secret in it', () => {
    const token = signer.sign({ ...claims, origin: 'https://app.example.com' });
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(token).not.toContain(secret(1));
    expect(signer.verify(token, NOW)).toEqual({ ...claims, origin: 'https://app.example.com' });
    expect(signer.verify(signer.sign(claims), NOW)).toEqual(claims);
  });

  it('should refuse a token from its expiry on', () => {
    const token = signer.sign(claims);
    expect(signer.verify(token, claims.expiresAt * 1000 - 1)).toEqual(claims);
    expect(signer.verify(token, claims.expiresAt * 1000)).toBeNull();
  });

  it('should refuse a tampered payload or signature', () => {
    const token = signer.sign(claims);
    const [body, signature] = token.slice(TOKEN_PREFIX.length).split('.');
    const longer = Buffer.from(JSON.stringify({ k: claims.keyId, e: claims.expiresAt + 3600 })).toString(
      'base64url',
    );
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    for (const forged of [
      `${TOKEN_PREFIX}${longer}.${signature}`,
      `${TOKEN_PREFIX}${body}.${flipped}`,
      `${TOKEN_PREFIX}${body}.${signature.slice(0, -1)}`,
      `${TOKEN_PREFIX}${body}.${signature}.x`,
      `${TOKEN_PREFIX}${body}.`,
      `${TOKEN_PREFIX}${body}`,
      `ocr_${body}.${signature}`,
      `${token}=`,
      '',
    ]) {
      expect(signer.verify(forged, NOW)).toBeNull();
    }
  });

  it('should refuse a token signed with another secret, or a well-signed payload of the wrong shape', () => {
    expect(new TokenSigner([secret(2)]).verify(signer.sign(claims), NOW)).toBeNull();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const odd = signer.sign({ keyId: 42 as any, expiresAt: claims.expiresAt });
    expect(signer.verify(odd, NOW)).toBeNull();
  });

  it('should sign with the first secret and verify with all of them: a rotation', () => {
    const before = new TokenSigner([secret(1)]);
    const during = new TokenSigner([secret(2), secret(1)]);
    const after = new TokenSigner([secret(2)]);
    const old = before.sign(claims);
    const fresh = during.sign(claims);
    expect(during.verify(old, NOW)).toEqual(claims);
    expect(before.verify(fresh, NOW)).toBeNull();
    expect(after.verify(fresh, NOW)).toEqual(claims);
    expect(after.verify(old, NOW)).toBeNull();
  });

  it('should neither sign nor accept anything without a secret', () => {
    const off = new TokenSigner([]);
    expect(off.enabled).toBe(false);
    expect(() => off.sign(claims)).toThrow();
    expect(off.verify(signer.sign(claims), NOW)).toBeNull();
  });
});
