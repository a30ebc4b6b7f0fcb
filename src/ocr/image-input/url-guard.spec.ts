import { Logger } from '@nestjs/common';
import { imageInputOptions, UrlFetchOptions } from './image-input.options';
import { HostResolver, ResolvedAddress, UrlGuard } from './url-guard';
import { apiErrorOf } from '../../common/testing/api-error-of';

function options(url: Partial<UrlFetchOptions> = {}): UrlFetchOptions {
  return imageInputOptions({ url }).url;
}

/** A resolver answering from a table, recording what it was asked. */
function fakeResolver(table: Record<string, string[]>): HostResolver & { asked: string[] } {
  const asked: string[] = [];
  const resolver = (hostname: string): Promise<ResolvedAddress[]> => {
    asked.push(hostname);
    const found = table[hostname];
    if (!found) {
      return Promise.reject(
        Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
      );
    }
    return Promise.resolve(found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return Object.assign(resolver, { asked });
}

const BLOCKED_ADDRESS =
  "The image URL is not allowed: the URL's host resolves to an address that is not allowed.";

describe(UrlGuard.name, () => {
  const signal = new AbortController().signal;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => warn.mockRestore());
  const dns = {
    'images.example.com': ['93.184.216.34', '2606:2800:220:1::'],
    'rebind.example.com': ['93.184.216.34', '10.0.0.7'],
    'v6-private.example.com': ['2606:2800:220:1::', 'fd00::1'],
    'metadata.example.com': ['169.254.169.254'],
    'mapped.example.com': ['::ffff:127.0.0.1'],
    localhost: ['127.0.0.1', '::1'],
    'empty.example.com': [],
  };

  it('should pass a public host and return the addresses it checked', async () => {
    const resolver = fakeResolver(dns);
    const target = await new UrlGuard(options(), resolver).check(
      new URL('https://images.example.com/a.png'),
      signal,
    );
    expect(target.addresses).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::', family: 6 },
    ]);
    expect(resolver.asked).toEqual(['images.example.com']);
  });

  it.each([
    'https://93.184.216.34/a.png',
    'https://1572395042/a.png', // 93.184.216.34 as one decimal number
    'https://0x5db8d822/a.png',
    'https://[2606:2800:220:1::]/a.png',
    'https://[::ffff:93.184.216.34]/a.png',
  ])('should pass the public IP literal %s without a DNS query', async (url) => {
    const resolver = fakeResolver({});
    await expect(new UrlGuard(options(), resolver).check(new URL(url), signal)).resolves.toBeDefined();
    expect(resolver.asked).toEqual([]);
  });

  // Every spelling the WHATWG parser turns into a refused address, with no DNS query made.
  it.each([
    'https://127.0.0.1/',
    'https://127.0.0.1./',
    'https://2130706433/',
    'https://0x7f000001/',
    'https://0x7F.0.0.1/',
    'https://0177.0.0.1/',
    'https://017700000001/',
    'https://127.1/',
    'https://127.0.1/',
    'https://0x7f.1/',
    'https://0177.1/',
    'https://%31%32%37.0.0.1/',
    'https://127.000.000.001/',
    'https://0/',
    'https://0.0.0.0/',
    'https://10.1.2.3/',
    'https://012.1.2.3/',
    'https://167772161/',
    'https://172.16.0.1/',
    'https://0xac100001/',
    'https://192.168.1.1/',
    'https://3232235777/',
    'https://0xc0.0xa8.1.1/',
    'https://169.254.169.254/latest/meta-data/',
    'https://2852039166/',
    'https://0xa9fea9fe/',
    'https://100.64.0.1/',
    'https://198.18.0.1/',
    'https://192.0.2.1/',
    'https://224.0.0.1/',
    'https://255.255.255.255/',
    'https://4294967295/',
    'https://240.0.0.1/',
    'https://[::1]/',
    'https://[0:0:0:0:0:0:0:1]/',
    'https://[::]/',
    'https://[::ffff:127.0.0.1]/',
    'https://[::ffff:7f00:1]/',
    'https://[0:0:0:0:0:ffff:7f00:0001]/',
    'https://[::ffff:169.254.169.254]/',
    'https://[::ffff:10.0.0.1]/',
    'https://[::127.0.0.1]/',
    'https://[64:ff9b::127.0.0.1]/',
    'https://[64:ff9b::10.0.0.1]/',
    'https://[2002:7f00:1::]/',
    'https://[2002:a9fe:a9fe::]/',
    'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/',
    'https://[fe80::1]/',
    'https://[fd00::1]/',
    'https://[fc00::1]/',
    'https://[ff02::1]/',
    'https://[2001:db8::1]/',
  ])('should refuse %s with 422 url_not_allowed before any DNS query or connection', async (url) => {
    const resolver = fakeResolver({});
    expect(await apiErrorOf(new UrlGuard(options(), resolver).check(new URL(url), signal))).toEqual({
      status: 422,
      code: 'url_not_allowed',
      message: BLOCKED_ADDRESS,
    });
    expect(resolver.asked).toEqual([]);
  });

  it.each([
    'rebind.example.com',
    'v6-private.example.com',
    'metadata.example.com',
    'mapped.example.com',
    'localhost',
    'LOCALHOST.',
  ])('should refuse the host %s when any of its addresses is not allowed', async (host) => {
    const error = await apiErrorOf(
      new UrlGuard(options(), fakeResolver(dns)).check(new URL(`https://${host}/x`), signal),
    );
    expect(error).toEqual({ status: 422, code: 'url_not_allowed', message: BLOCKED_ADDRESS });
  });

  it('should never echo the refused address or host, to the client or the log', async () => {
    const error = await apiErrorOf(
      new UrlGuard(options(), fakeResolver(dns)).check(new URL('https://metadata.example.com/'), signal),
    );
    expect(error.message).not.toMatch(/169\.254|metadata/);
    expect(warn).toHaveBeenCalledWith(
      'Refused an image URL: its host resolves to a blocked address (range: linkLocal)',
    );
  });

  it.each([
    ['http://images.example.com/', 'use https'],
    ['ftp://images.example.com/', 'use https'],
    ['file:///etc/passwd', 'use https'],
    ['ws://images.example.com/', 'use https'],
    ['javascript:alert(1)', 'use https'],
  ])('should refuse the scheme of %s by default', async (url, detail) => {
    const resolver = fakeResolver(dns);
    expect(await apiErrorOf(new UrlGuard(options(), resolver).check(new URL(url), signal))).toEqual({
      status: 422,
      code: 'url_not_allowed',
      message: `The image URL is not allowed: ${detail}.`,
    });
    expect(resolver.asked).toEqual([]);
  });

  it('should allow http only when configured, and still check its address', async () => {
    const guard = new UrlGuard(options({ allowHttp: true }), fakeResolver(dns));
    await expect(guard.check(new URL('http://images.example.com/a.png'), signal)).resolves.toBeDefined();
    expect(await apiErrorOf(guard.check(new URL('http://127.0.0.1/'), signal))).toMatchObject({
      code: 'url_not_allowed',
    });
    expect(await apiErrorOf(guard.check(new URL('ftp://images.example.com/'), signal))).toMatchObject({
      message: 'The image URL is not allowed: use https or http.',
    });
  });

  it.each([
    'https://user:pass@images.example.com/',
    'https://user@images.example.com/',
    'https://:pass@images.example.com/',
  ])('should refuse credentials in %s', async (url) => {
    expect(await apiErrorOf(new UrlGuard(options(), fakeResolver(dns)).check(new URL(url), signal))).toEqual({
      status: 422,
      code: 'url_not_allowed',
      message: 'The image URL is not allowed: it must not contain credentials.',
    });
  });

  it('should refuse a port other than the default unless it is configured', async () => {
    const resolver = fakeResolver(dns);
    const guard = new UrlGuard(options(), resolver);
    expect(await apiErrorOf(guard.check(new URL('https://images.example.com:8443/'), signal))).toEqual({
      status: 422,
      code: 'url_not_allowed',
      message: 'The image URL is not allowed: it must use the default port.',
    });
    expect(await apiErrorOf(guard.check(new URL('https://images.example.com:80/'), signal))).toMatchObject({
      code: 'url_not_allowed',
    });
    await expect(guard.check(new URL('https://images.example.com:443/'), signal)).resolves.toBeDefined();
    const withPort = new UrlGuard(options({ allowedPorts: [8443] }), resolver);
    await expect(withPort.check(new URL('https://images.example.com:8443/'), signal)).resolves.toBeDefined();
    expect(await apiErrorOf(withPort.check(new URL('https://127.0.0.1:8443/'), signal))).toMatchObject({
      message: BLOCKED_ADDRESS,
    });
  });

  it('should let an allow-listed host resolve to loopback, on any port, and pin what it resolved', async () => {
    const guard = new UrlGuard(options({ allowedHosts: ['localhost'] }), fakeResolver(dns));
    const target = await guard.check(new URL('https://localhost:8443/a.png'), signal);
    expect(target.addresses.map((a) => a.address)).toEqual(['127.0.0.1', '::1']);
    // The allow-list names a host, not every spelling of its address.
    expect(await apiErrorOf(guard.check(new URL('https://127.0.0.1/'), signal))).toMatchObject({
      message: BLOCKED_ADDRESS,
    });
  });

  it('should match an allow-listed IP literal in any spelling the URL parser normalises', async () => {
    const guard = new UrlGuard(options({ allowedHosts: ['0x7f.1', '::1'] }), fakeResolver({}));
    await expect(guard.check(new URL('https://2130706433:9999/'), signal)).resolves.toBeDefined();
    await expect(guard.check(new URL('https://[0::1]/'), signal)).resolves.toBeDefined();
    expect(await apiErrorOf(guard.check(new URL('https://127.0.0.2/'), signal))).toMatchObject({
      message: BLOCKED_ADDRESS,
    });
  });

  it('should not let the allow-list waive the scheme or credentials rules', async () => {
    const guard = new UrlGuard(options({ allowedHosts: ['localhost'] }), fakeResolver(dns));
    expect(await apiErrorOf(guard.check(new URL('http://localhost/'), signal))).toMatchObject({
      code: 'url_not_allowed',
    });
    expect(await apiErrorOf(guard.check(new URL('https://a:b@localhost/'), signal))).toMatchObject({
      code: 'url_not_allowed',
    });
  });

  it('should answer 422 fetch_failed when the host does not resolve', async () => {
    const guard = new UrlGuard(options(), fakeResolver(dns));
    for (const host of ['nowhere.example.com', 'empty.example.com']) {
      expect(await apiErrorOf(guard.check(new URL(`https://${host}/`), signal))).toEqual({
        status: 422,
        code: 'fetch_failed',
        message: "The image could not be fetched from the URL: the URL's host name could not be resolved.",
      });
    }
  });

  it('should stop waiting for DNS when the signal aborts', async () => {
    const hanging: HostResolver = () => new Promise(() => undefined);
    const controller = new AbortController();
    const reason = new Error('deadline');
    const pending = new UrlGuard(options(), hanging).check(
      new URL('https://slow.example.com/'),
      controller.signal,
    );
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});
