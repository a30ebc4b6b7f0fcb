import { request } from 'node:http';
import { connect } from 'node:net';
import type { HttpAttack, RawAttack } from './corpus';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  ms: number;
}

/** Sends one attack and reads the answer (a parsed JSON body when there is one). */
export function send(port: number, attack: HttpAttack | RawAttack): Promise<Reply> {
  return attack.kind === 'raw' ? sendRaw(port, attack.bytes) : sendHttp(port, attack);
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function sendHttp(port: number, attack: HttpAttack): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const headers = {
      ...(attack.body === undefined ? {} : { 'content-length': String(attack.body.length) }),
      ...attack.headers,
    };
    let answered = false;
    const req = request(
      { host: '127.0.0.1', port, method: attack.method, path: attack.path, headers },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: parseBody(Buffer.concat(chunks).toString()),
            ms: performance.now() - started,
          }),
        );
      },
    );
    // A server that answers before reading a large body may stop reading it: the answer counts.
    req.on('error', (error) => (answered ? undefined : reject(error)));
    req.end(attack.body);
  });
}

/** Writes bytes to a fresh connection and parses the one HTTP answer that comes back. */
export function sendRaw(port: number, bytes: Buffer, timeoutMs = 15_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => socket.destroy(new Error('no answer')), timeoutMs);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const [head, ...rest] = received.split('\r\n\r\n');
      const [statusLine, ...headerLines] = head.split('\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1]);
      if (!Number.isFinite(status)) {
        reject(new Error(`no HTTP answer: ${JSON.stringify(received.slice(0, 200))}`));
        return;
      }
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status, headers, body: parseBody(rest.join('\r\n\r\n')), ms: performance.now() - started });
    });
    socket.write(bytes);
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
