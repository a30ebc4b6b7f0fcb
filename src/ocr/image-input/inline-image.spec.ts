import { decodeBase64, decodeDataUri, parseImageSource } from './inline-image';
import { apiErrorOfCall } from '../../common/testing/api-error-of';

const MAX = 1024;

describe(parseImageSource.name, () => {
  const payload = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe, 0x3e, 0x3f]);

  it('should decode bare standard base64', () => {
    const parsed = parseImageSource(payload.toString('base64'), MAX);
    expect(parsed).toEqual({ kind: 'inline', bytes: payload });
  });

  it('should decode a data: URI whatever media type it declares', () => {
    for (const header of [
      'data:image/png;base64,',
      'DATA:image/jpeg;base64,',
      'data:;base64,',
      'data:application/octet-stream;name="a b.png";base64,',
    ]) {
      expect(parseImageSource(header + payload.toString('base64'), MAX)).toEqual({
        kind: 'inline',
        bytes: payload,
      });
    }
  });

  it('should treat anything with a scheme as a URL, leaving the scheme rules to the URL guard', () => {
    for (const text of [
      'https://example.com/a.png',
      'http://example.com/',
      'ftp://example.com/x',
      'file:///etc/passwd',
      'gopher://x/',
    ]) {
      const parsed = parseImageSource(`  ${text}\n`, MAX);
      expect(parsed.kind).toBe('url');
      expect(parsed.kind === 'url' && parsed.url.href).toBe(new URL(text).href);
    }
  });

  it('should answer 400 validation_failed for an unparsable URL', () => {
    expect(apiErrorOfCall(() => parseImageSource('https://999.1.1.1/a.png', MAX))).toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
    expect(apiErrorOfCall(() => parseImageSource('https://', MAX))).toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
  });

  it('should answer 400 validation_failed for an empty image field', () => {
    expect(apiErrorOfCall(() => parseImageSource('', MAX))).toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
    expect(apiErrorOfCall(() => parseImageSource(' \n\t ', MAX))).toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
  });
});

describe(decodeDataUri.name, () => {
  it.each([
    ['no comma', 'data:image/png;base64'],
    ['not base64-encoded', 'data:image/png,%89PNG'],
    ['a bad media type', 'data:image png;base64,AAAA'],
    ['base64 not last', 'data:image/png;base64;charset=x,AAAA'],
    ['junk in the header', 'data:image/png;<script>;base64,AAAA'],
    ['an endless header', `data:image/png;${'x=y;'.repeat(100)}base64,AAAA`],
  ])('should answer 400 validation_failed for a data: URI with %s', (_label, text) => {
    expect(apiErrorOfCall(() => decodeDataUri(text, MAX))).toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
  });

  it('should apply the strict base64 rules to the data part', () => {
    expect(apiErrorOfCall(() => decodeDataUri('data:image/png;base64,AA%3D', MAX))).toMatchObject({
      code: 'validation_failed',
    });
  });
});

describe(decodeBase64.name, () => {
  const data = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

  it('should decode the standard alphabet with and without padding', () => {
    for (const length of [1, 2, 3, 4, 5, 255, 256]) {
      const slice = data.subarray(0, length);
      const encoded = slice.toString('base64');
      expect(decodeBase64(encoded, MAX)).toEqual(slice);
      expect(decodeBase64(encoded.replace(/=+$/, ''), MAX)).toEqual(slice);
    }
  });

  it('should decode the URL-safe alphabet', () => {
    const encoded = data.toString('base64url');
    expect(encoded).toMatch(/[-_]/);
    expect(decodeBase64(encoded, MAX)).toEqual(data);
  });

  it('should ignore spaces, tabs and line breaks, as in MIME-wrapped base64', () => {
    const wrapped = data
      .toString('base64')
      .replace(/(.{76})/g, '$1\r\n')
      .replace(/^/, ' \t');
    expect(decodeBase64(wrapped, MAX)).toEqual(data);
  });

  it.each([
    ['a character outside the alphabet', 'AAAA*AAA'],
    ['a dot', 'AAAA.AAA'],
    ['non-ASCII', 'AAAAÄAAA'],
    ['a NUL', 'AAAA\u0000AAA'],
    ['a form feed', 'AAAA\fAAA'],
    ['a percent-escape', 'AAAA%2BAA'],
    ['mixed alphabets', 'ab+/cd-_'],
    ['padding in the middle', 'AA==AAAA'],
    ['three padding characters', 'A==='],
    ['a length that no encoder produces', 'AAAAA'],
    ['padding on a short group', 'AAA=='],
    ['padding on a full group', 'AAAA='],
    ['only padding', '=='],
    ['nothing but whitespace', ' \n '],
  ])('should answer 400 validation_failed for %s', (_label, text) => {
    expect(apiErrorOfCall(() => decodeBase64(text, MAX))).toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
  });

  it('should answer 413 payload_too_large from the length alone, before decoding', () => {
    const exact = Buffer.alloc(MAX, 7).toString('base64');
    expect(decodeBase64(exact, MAX)).toHaveLength(MAX);
    const over = Buffer.alloc(MAX + 1, 7).toString('base64');
    const from = jest.spyOn(Buffer, 'from');
    expect(apiErrorOfCall(() => decodeBase64(over, MAX))).toMatchObject({
      status: 413,
      code: 'payload_too_large',
    });
    expect(from).not.toHaveBeenCalled();
    from.mockRestore();
  });
});
