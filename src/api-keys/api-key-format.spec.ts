import { generateApiKey, generateKeyId, KEY_ID_PATTERN, parseKeyId } from './api-key-format';

describe('api key format', () => {
  it('should generate ids of 12 lowercase letters or digits', () => {
    for (let i = 0; i < 200; i++) {
      expect(generateKeyId()).toMatch(KEY_ID_PATTERN);
    }
  });

  it('should generate keys of the form ocr_<id>_<43 base64url characters>', () => {
    const { id, plaintext } = generateApiKey();
    expect(plaintext).toMatch(/^ocr_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(plaintext.startsWith(`ocr_${id}_`)).toBe(true);
  });

  it('should generate a different key every time', () => {
    const keys = new Set(Array.from({ length: 100 }, () => generateApiKey().plaintext));
    expect(keys.size).toBe(100);
  });

  it('should parse the id of a generated key', () => {
    for (let i = 0; i < 200; i++) {
      const { id, plaintext } = generateApiKey();
      expect(parseKeyId(plaintext)).toBe(id);
    }
  });

  it('should split on the first two underscores only, so a secret may contain underscores and dashes', () => {
    const secret = `${'_-'.repeat(21)}A`;
    expect(parseKeyId(`ocr_abcdefgh1234_${secret}`)).toBe('abcdefgh1234');
  });

  it.each([
    ['empty', ''],
    ['no underscores', 'ocrabcdefgh1234secret'],
    ['one underscore', 'ocr_abcdefgh1234'],
    ['wrong prefix', `key_abcdefgh1234_${'a'.repeat(43)}`],
    ['upper-case id', `ocr_ABCDEFGH1234_${'a'.repeat(43)}`],
    ['short id', `ocr_abc_${'a'.repeat(43)}`],
    ['short secret', `ocr_abcdefgh1234_${'a'.repeat(42)}`],
    ['characters appended to the secret', `ocr_abcdefgh1234_${'a'.repeat(43)}xyz`],
    ['a padded secret', `ocr_abcdefgh1234_${'a'.repeat(42)}=`],
    ['whitespace', ` ocr_abcdefgh1234_${'a'.repeat(43)}`],
  ])('should refuse a key with %s', (_case, presented) => {
    expect(parseKeyId(presented)).toBeNull();
  });
});
