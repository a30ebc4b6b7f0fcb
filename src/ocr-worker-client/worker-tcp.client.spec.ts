import { Logger } from '@nestjs/common';
import { createServer, type Server, type Socket } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { WorkerConnectTimeoutError, WorkerTcpClient } from './worker-tcp.client';

/** A listener that accepts connections and never answers: a worker stuck on its socket. */
async function silentListener(): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

describe(WorkerTcpClient.name, () => {
  beforeAll(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());

  it('should fail the requests waiting on a dropped connection and dial afresh for the next one', async () => {
    const { server, port, sockets } = await silentListener();
    const client = new WorkerTcpClient({ host: '127.0.0.1', port, connectTimeoutMs: 500 });
    try {
      const waiting = firstValueFrom(client.send('ocr.health', {}));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(sockets).toHaveLength(1);
      client.dropConnection();
      await expect(waiting).rejects.toThrow('Connection closed');
      void firstValueFrom(client.send('ocr.health', {})).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(sockets).toHaveLength(2);
    } finally {
      client.close();
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('should report a refused connection with its code, at once', async () => {
    const { server, port } = await silentListener();
    await new Promise((resolve) => server.close(resolve));
    const client = new WorkerTcpClient({ host: '127.0.0.1', port, connectTimeoutMs: 500 });
    const started = Date.now();
    await expect(firstValueFrom(client.send('ocr.health', {}))).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    expect(Date.now() - started).toBeLessThan(500);
    client.close();
  });

  it('should name the connect timeout and its limit', () => {
    const error = new WorkerConnectTimeoutError(500);
    expect(error).toMatchObject({ code: 'ETIMEDOUT', name: 'WorkerConnectTimeoutError' });
    expect(error.message).toContain('500 ms');
  });
});
