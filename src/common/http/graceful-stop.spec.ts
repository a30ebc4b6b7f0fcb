import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drainHttpServer } from './graceful-stop';

/** A server whose answers take `answerAfterMs` (never, when undefined). */
async function slowServer(answerAfterMs?: number): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => {
    if (answerAfterMs !== undefined) {
      setTimeout(() => res.end('done'), answerAfterMs);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function fetchText(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/' }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve(text));
      res.on('error', reject);
    }).on('error', reject);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe(drainHttpServer.name, () => {
  it('should let a request in progress finish, then resolve true with the server closed', async () => {
    const { server, port } = await slowServer(300);
    const answer = fetchText(port);
    await sleep(50);
    const drained = drainHttpServer(server, 5000);
    await expect(answer).resolves.toBe('done');
    await expect(drained).resolves.toBe(true);
    expect(server.listening).toBe(false);
  });

  it('should cut off a request still in progress after the grace and resolve false', async () => {
    const { server, port } = await slowServer();
    const answer = fetchText(port);
    await sleep(50);
    const started = Date.now();
    await expect(drainHttpServer(server, 200)).resolves.toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(answer).rejects.toThrow();
  });
});
