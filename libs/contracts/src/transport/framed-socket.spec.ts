import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { decodeFrame, encodeFrame, FrameReader, FrameTooLargeError, framedSocket } from './framed-socket';

function body(buffers: Buffer[]): Buffer {
  return Buffer.concat(buffers).subarray(4);
}

describe('framed-socket', () => {
  it('should carry Buffers anywhere in a message as raw bytes, each with an ArrayBuffer of its own', () => {
    const image = Buffer.from([0, 1, 2, 255, 254]);
    const message = {
      pattern: 'p',
      data: { bytes: image, list: [Buffer.from('ab'), 3], text: 'é' },
      id: '1',
    };
    const frame = encodeFrame(message);
    // The image is written as it is, not copied into the frame or encoded.
    expect(frame.some((part) => part.buffer === image.buffer && part.byteOffset === image.byteOffset)).toBe(
      true,
    );
    const decoded = decodeFrame(body(frame)) as typeof message;
    expect(decoded).toEqual(message);
    expect(Buffer.isBuffer(decoded.data.bytes)).toBe(true);
    expect(decoded.data.bytes.byteOffset).toBe(0);
    expect(decoded.data.bytes.buffer.byteLength).toBe(image.length);
  });

  it('should reassemble frames split anywhere, and several frames in one chunk', () => {
    const frames = [encodeFrame({ n: 1, b: Buffer.alloc(1000, 7) }), encodeFrame({ n: 2 })];
    const wire = Buffer.concat(frames.flat());
    const seen: unknown[] = [];
    const reader = new FrameReader(1 << 20, (frame) => seen.push(decodeFrame(frame)));
    for (let at = 0; at < wire.length; at += 3) {
      reader.push(wire.subarray(at, at + 3));
    }
    reader.push(wire);
    expect(seen).toEqual([
      { n: 1, b: Buffer.alloc(1000, 7) },
      { n: 2 },
      { n: 1, b: Buffer.alloc(1000, 7) },
      { n: 2 },
    ]);
  });

  it('should refuse a frame declaring more than its limit before buffering it', () => {
    const reader = new FrameReader(100, () => undefined);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(101);
    expect(() => reader.push(header)).toThrow(FrameTooLargeError);
  });

  it('should refuse attachments pointing outside the frame', () => {
    const json = Buffer.from(JSON.stringify({ b: { $bytes: [0, 50] } }));
    const frame = Buffer.alloc(4 + json.length);
    frame.writeUInt32BE(json.length);
    json.copy(frame, 4);
    expect(() => decodeFrame(frame)).toThrow(/shorter than its attachments/);
  });

  it('should carry messages between two real sockets', async () => {
    const Framed = framedSocket({ maxFrameBytes: 1 << 24, maxSendBufferBytes: 1 << 26 });
    const server: Server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const client = new Framed(connect((server.address() as { port: number }).port, '127.0.0.1'));
    const [raw] = await accepted;
    const receiver = new Framed(raw);
    const received = new Promise((resolve) => receiver.on('message', resolve));
    const image = Buffer.alloc(3 * 1024 * 1024, 9);
    client.sendMessage({ pattern: 'ocr.recognize', data: { bytes: image } });
    await expect(received).resolves.toEqual({ pattern: 'ocr.recognize', data: { bytes: image } });
    client.end();
    raw.destroy();
    server.close();
  });
});
