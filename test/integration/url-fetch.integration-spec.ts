import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import { AddressInfo, createServer as createTcpServer, Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import sharp from 'sharp';
import { selfSignedCertificate } from '../support/ocr';
import {
  HostResolver,
  ImageInputOptionsInput,
  imageInputOptions,
  ImageInputService,
} from '../../src/ocr/image-input';
import { apiErrorOf } from '../../src/common/testing/api-error-of';

/**
 * The URL intake against real sockets: a plain TCP listener that counts connections shows that a
 * refused address is never connected to, and an HTTPS server with a certificate made for this
 * run serves a real PNG that is fetched only when the configuration trusts both its host and
 * its CA.
 */
describe('image URL fetch (SSRF rules on real sockets)', () => {
  const MAX_BYTES = 64 * 1024;
  let dir: string;
  let caFile: string;
  let keyFile: string;
  let png: Buffer;
  let counter: TcpServer;
  let countedPort: number;
  let counted = 0;
  let server: HttpsServer;
  let port: number;
  let tlsConnections = 0;
  const served: string[] = [];
  const unfinished: string[] = [];
  const seen: Array<{ host?: string; servername?: string | false | null }> = [];

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    dir = mkdtempSync(join(tmpdir(), 'url-fetch-e2e-'));
    const certificate = selfSignedCertificate(dir, ['localhost', 'rebind.test']);
    caFile = certificate.certFile;
    keyFile = certificate.keyFile;
    png = await sharp({ create: { width: 120, height: 80, channels: 3, background: '#2a6' } })
      .png()
      .toBuffer();

    counter = createTcpServer((socket) => {
      counted += 1;
      socket.destroy();
    });
    countedPort = await listen(counter);

    server = createHttpsServer({ key: readFileSync(keyFile), cert: readFileSync(caFile) }, route);
    server.on('connection', () => {
      tlsConnections += 1;
    });
    port = await listen(server);
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await new Promise((resolve) => counter.close(resolve));
    rmSync(dir, { recursive: true, force: true });
    jest.restoreAllMocks();
  });

  function route(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'https://localhost');
    served.push(url.pathname);
    seen.push({ host: request.headers.host, servername: (request.socket as TLSSocket).servername });
    response.on('close', () => {
      if (!response.writableFinished) {
        unfinished.push(url.pathname);
      }
    });
    const redirect = /^\/redirect\/(\d+)$/.exec(url.pathname);
    if (redirect) {
      const left = Number(redirect[1]);
      response.writeHead(302, { location: left > 1 ? `/redirect/${left - 1}` : '/image.png' }).end();
      return;
    }
    switch (url.pathname) {
      case '/image.png':
        response.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length }).end(png);
        return;
      case '/to':
        response.writeHead(302, { location: url.searchParams.get('u') ?? '/' }).end();
        return;
      case '/slow-headers':
        return; // never answers
      case '/slow-body':
        response.writeHead(200, { 'content-length': png.length }).write(png.subarray(0, 10));
        return;
      case '/big':
        streamForever(response);
        return;
      case '/big-declared':
        response.writeHead(200, { 'content-length': 100 * 1024 * 1024 }).write(png.subarray(0, 10));
        return;
      case '/not-an-image':
        response.writeHead(200, { 'content-type': 'image/png' }).end('<html>surprise</html>');
        return;
      default:
        response.writeHead(404).end();
    }
  }

  /** Writes 16 KiB chunks, as fast as the client reads them, until 256 MiB or the socket closes. */
  function streamForever(response: ServerResponse): void {
    const chunk = Buffer.alloc(16 * 1024, 0x41);
    let left = 16 * 1024;
    response.writeHead(200, { 'content-type': 'image/png' });
    const pump = (): void => {
      while (left > 0 && !response.destroyed) {
        left -= 1;
        if (!response.write(chunk)) {
          response.once('drain', pump);
          return;
        }
      }
      response.end();
    };
    pump();
  }

  function service(input: ImageInputOptionsInput): ImageInputService {
    return new ImageInputService(imageInputOptions(input));
  }

  /** The test server's host trusted by name, its CA trusted, the counting port open to every host. */
  function trusting(url: ImageInputOptionsInput['url'] = {}): ImageInputService {
    return service({
      maxBodyBytes: MAX_BYTES,
      url: { allowedHosts: ['localhost'], allowedPorts: [countedPort], caFile, timeoutMs: 3000, ...url },
    });
  }

  describe('refused addresses get no connection', () => {
    const loopbackSpellings = [
      '127.0.0.1',
      '2130706433',
      '0x7f000001',
      '0x7f.0.0.1',
      '0177.0.0.1',
      '017700000001',
      '127.1',
      '0x7f.1',
      '127.0.0.2',
      '0',
      '0.0.0.0',
      '[::1]',
      '[::ffff:127.0.0.1]',
      '[0:0:0:0:0:ffff:7f00:1]',
      '[::ffff:0:127.0.0.1]',
      'localhost',
    ];

    it('should count a connection when an address is allowed, so the counter can see one', async () => {
      const before = counted;
      const allowed = service({ url: { allowedHosts: ['127.0.0.1'], timeoutMs: 3000 } });
      expect(await apiErrorOf(allowed.resolve(`https://127.0.0.1:${countedPort}/x.png`))).toMatchObject({
        code: 'fetch_failed',
      });
      await waitFor(() => counted > before);
      expect(counted).toBe(before + 1);
    });

    it.each(loopbackSpellings)(
      'should refuse https://%s on an open port without connecting',
      async (host) => {
        const before = counted;
        const guarded = service({ url: { allowedPorts: [countedPort], timeoutMs: 3000 } });
        expect(await apiErrorOf(guarded.resolve(`https://${host}:${countedPort}/x.png`))).toEqual({
          status: 422,
          code: 'url_not_allowed',
          message: "The image URL is not allowed: the URL's host resolves to an address that is not allowed.",
        });
        await settle();
        expect(counted).toBe(before);
      },
    );

    it.each([...loopbackSpellings.filter((host) => host !== 'localhost'), '10.0.0.1', '169.254.169.254'])(
      'should refuse a redirect from the trusted host to https://%s without connecting',
      async (host) => {
        const before = { counted, served: served.length };
        const target = encodeURIComponent(`https://${host}:${countedPort}/x.png`);
        expect(
          await apiErrorOf(trusting().resolve(`https://localhost:${port}/to?u=${target}`)),
        ).toMatchObject({
          status: 422,
          code: 'url_not_allowed',
        });
        await settle();
        expect(served.length).toBe(before.served + 1); // the first hop was fetched
        expect(counted).toBe(before.counted);
      },
    );

    it('should refuse a redirect to plain http, even to the trusted host', async () => {
      const before = counted;
      const target = encodeURIComponent(`http://localhost:${countedPort}/x.png`);
      expect(await apiErrorOf(trusting().resolve(`https://localhost:${port}/to?u=${target}`))).toEqual({
        status: 422,
        code: 'url_not_allowed',
        message: 'The image URL is not allowed: use https.',
      });
      await settle();
      expect(counted).toBe(before);
    });
  });

  describe('the local HTTPS test server', () => {
    it('should fetch a real PNG when the config trusts the host and the CA', async () => {
      const image = await trusting().resolve(`https://localhost:${port}/image.png`);
      expect(image).toEqual({
        bytes: png,
        format: 'png',
        width: 120,
        height: 80,
        sha256: createHash('sha256').update(png).digest('hex'),
      });
    });

    it('should refuse the same URL under the default config, without connecting', async () => {
      const before = tlsConnections;
      const defaults = new ImageInputService(imageInputOptions());
      expect(await apiErrorOf(defaults.resolve(`https://localhost:${port}/image.png`))).toMatchObject({
        status: 422,
        code: 'url_not_allowed',
      });
      // With the port opened, it is the loopback address that is refused.
      const portOpen = service({ url: { allowedPorts: [port], caFile } });
      expect(await apiErrorOf(portOpen.resolve(`https://localhost:${port}/image.png`))).toMatchObject({
        message: "The image URL is not allowed: the URL's host resolves to an address that is not allowed.",
      });
      await settle();
      expect(tlsConnections).toBe(before);
    });

    it('should connect to the address it checked, resolving once, and keep the name for SNI and Host', async () => {
      // rebind.test exists only in this resolver: its first answer is the test server, every
      // later one an address that must not be reached. The system resolver knows neither.
      const answers: string[] = [];
      const rebinding: HostResolver = (hostname) => {
        answers.push(hostname);
        const address = answers.length === 1 ? '127.0.0.1' : '10.255.255.1';
        return Promise.resolve([{ address, family: 4 }]);
      };
      const options = imageInputOptions({ url: { allowedHosts: ['rebind.test'], caFile, timeoutMs: 3000 } });
      const before = seen.length;
      const image = await new ImageInputService(options, rebinding).resolve(
        `https://rebind.test:${port}/image.png`,
      );
      expect(image.sha256).toBe(createHash('sha256').update(png).digest('hex'));
      expect(answers).toEqual(['rebind.test']);
      expect(seen.slice(before)).toEqual([{ host: `rebind.test:${port}`, servername: 'rebind.test' }]);
    });

    it('should verify the certificate: a trusted host without the CA fails the TLS handshake', async () => {
      const noCa = service({ url: { allowedHosts: ['localhost'], timeoutMs: 3000 } });
      expect(await apiErrorOf(noCa.resolve(`https://localhost:${port}/image.png`))).toEqual({
        status: 422,
        code: 'fetch_failed',
        message:
          'The image could not be fetched from the URL: a secure connection to the host could not be established.',
      });
    });

    it('should follow 3 redirects and refuse a 4th, without requesting beyond it', async () => {
      await expect(trusting().resolve(`https://localhost:${port}/redirect/3`)).resolves.toMatchObject({
        format: 'png',
      });
      const before = served.length;
      expect(await apiErrorOf(trusting().resolve(`https://localhost:${port}/redirect/4`))).toEqual({
        status: 422,
        code: 'url_not_allowed',
        message: 'The image URL is not allowed: it redirects more than 3 times.',
      });
      expect(served.slice(before)).toEqual(['/redirect/4', '/redirect/3', '/redirect/2', '/redirect/1']);
    });

    it.each(['/slow-headers', '/slow-body'])('should give up on %s at the time cap', async (path) => {
      const started = performance.now();
      const error = await apiErrorOf(
        trusting({ timeoutMs: 500 }).resolve(`https://localhost:${port}${path}`),
      );
      const elapsed = performance.now() - started;
      expect(error).toEqual({
        status: 422,
        code: 'fetch_failed',
        message: 'The image could not be fetched from the URL: it took longer than 500 ms.',
      });
      expect(elapsed).toBeGreaterThanOrEqual(450);
      expect(elapsed).toBeLessThan(2500);
    });

    it('should cut off a streamed body as soon as it exceeds the limit', async () => {
      const error = await apiErrorOf(trusting().resolve(`https://localhost:${port}/big`));
      expect(error).toEqual({
        status: 422,
        code: 'fetch_failed',
        message: `The image could not be fetched from the URL: the image is larger than the ${MAX_BYTES}-byte limit.`,
      });
      await waitFor(() => unfinished.includes('/big'));
      expect(unfinished).toContain('/big');
    });

    it('should refuse a body whose Content-Length is over the limit before reading it', async () => {
      const started = performance.now();
      expect(await apiErrorOf(trusting().resolve(`https://localhost:${port}/big-declared`))).toMatchObject({
        code: 'fetch_failed',
        message: expect.stringContaining('larger than'),
      });
      expect(performance.now() - started).toBeLessThan(2000);
      await waitFor(() => unfinished.includes('/big-declared'));
    });

    it('should answer fetch_failed for an error status, and invalid_image for a body that is no image', async () => {
      expect(await apiErrorOf(trusting().resolve(`https://localhost:${port}/missing.png`))).toEqual({
        status: 422,
        code: 'fetch_failed',
        message: 'The image could not be fetched from the URL: the server answered with HTTP status 404.',
      });
      expect(await apiErrorOf(trusting().resolve(`https://localhost:${port}/not-an-image`))).toMatchObject({
        status: 422,
        code: 'invalid_image',
      });
    });

    it("should stop at once when the caller's signal aborts, rethrowing its reason", async () => {
      const controller = new AbortController();
      const reason = new Error('client went away');
      setTimeout(() => controller.abort(reason), 100);
      const started = performance.now();
      await expect(
        trusting({ timeoutMs: 5000 }).resolve(`https://localhost:${port}/slow-headers`, controller.signal),
      ).rejects.toBe(reason);
      expect(performance.now() - started).toBeLessThan(1500);
    });
  });
});

function listen(server: TcpServer | HttpsServer): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

/** Lets a connection that was (wrongly) opened reach the listener before counting. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 50));
}

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition() && Date.now() < until) {
    await settle();
  }
}
