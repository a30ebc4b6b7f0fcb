import { DEFAULT_IMAGE_INPUT_OPTIONS, imageInputOptions } from './image-input.options';

describe(imageInputOptions.name, () => {
  it("should default to the contract's limits: 16 MiB, 40 MP, https only, 3 redirects, 10 s", () => {
    expect(imageInputOptions()).toEqual({
      maxBodyBytes: 16 * 1024 * 1024,
      maxImagePixels: 40_000_000,
      url: { allowHttp: false, allowedHosts: [], allowedPorts: [], timeoutMs: 10_000, maxRedirects: 3 },
    });
    expect(imageInputOptions()).toEqual(DEFAULT_IMAGE_INPUT_OPTIONS);
  });

  it('should keep what is given and default the rest', () => {
    const options = imageInputOptions({ maxImagePixels: 1000, url: { timeoutMs: 500, caFile: '/ca.pem' } });
    expect(options.maxImagePixels).toBe(1000);
    expect(options.maxBodyBytes).toBe(16 * 1024 * 1024);
    expect(options.url).toMatchObject({
      timeoutMs: 500,
      caFile: '/ca.pem',
      maxRedirects: 3,
      allowHttp: false,
    });
  });

  it('should normalise allow-listed hosts the way the URL parser normalises request hosts', () => {
    const { url } = imageInputOptions({
      url: {
        allowedHosts: [
          'LocalHost',
          'images.example.com.',
          '0x7f.1',
          '2130706433',
          '::1',
          '[0:0::1]',
          ' cdn.test ',
        ],
      },
    });
    expect(url.allowedHosts).toEqual([
      'localhost',
      'images.example.com',
      '127.0.0.1',
      '127.0.0.1',
      '::1',
      '::1',
      'cdn.test',
    ]);
  });

  it.each([
    'localhost:8443',
    'example.com/path',
    'user@example.com',
    'exa mple.com',
    '',
    'https://example.com',
  ])('should refuse the allow-list entry %j', (entry) => {
    expect(() => imageInputOptions({ url: { allowedHosts: [entry] } })).toThrow(/URL_ALLOWED_HOSTS/);
  });

  it.each([
    [{ maxBodyBytes: 0 }, /MAX_BODY_BYTES/],
    [{ maxBodyBytes: 1.5 }, /MAX_BODY_BYTES/],
    [{ maxImagePixels: -1 }, /MAX_IMAGE_PIXELS/],
    [{ url: { timeoutMs: 0 } }, /URL_FETCH_TIMEOUT_MS/],
    [{ url: { maxRedirects: -1 } }, /URL_MAX_REDIRECTS/],
    [{ url: { maxRedirects: 21 } }, /URL_MAX_REDIRECTS/],
    [{ url: { allowedPorts: [0] } }, /URL_ALLOWED_PORTS/],
    [{ url: { allowedPorts: [65536] } }, /URL_ALLOWED_PORTS/],
  ])('should refuse the setting %j at boot', (input, message) => {
    expect(() => imageInputOptions(input)).toThrow(message);
  });
});
