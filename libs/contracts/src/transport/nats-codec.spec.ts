import {
  decodeNatsMessage,
  encodeNatsMessage,
  NatsFrameDeserializer,
  NatsFrameSerializer,
  NatsPayloadTooLargeError,
} from './nats-codec';

describe('NATS frame codec', () => {
  const image = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 255, 1, 2]);

  it('should carry the image raw after the JSON, not as base64, and give it back as its own Buffer', () => {
    const packet = {
      pattern: 'ocr.recognize',
      id: 'p1',
      data: { jobId: 'job_1', bytes: image, mode: 'text' },
    };
    const message = encodeNatsMessage(packet);
    expect(message.subarray(message.length - image.length).equals(image)).toBe(true);
    expect(message.includes(Buffer.from(image.toString('base64')))).toBe(false);
    const decoded = new NatsFrameDeserializer().deserialize(new Uint8Array(message)) as typeof packet;
    expect(decoded).toEqual({ ...packet, data: { ...packet.data, bytes: image } });
    expect(decoded.data.bytes.byteOffset).toBe(0);
    expect(decoded.data.bytes.buffer.byteLength).toBe(image.length);
  });

  it('should refuse a message over the server max_payload before it is published', () => {
    const packet = { pattern: 'ocr.recognize', id: 'p1', data: { bytes: Buffer.alloc(2000) } };
    expect(() => new NatsFrameSerializer(() => 1024).serialize(packet)).toThrow(NatsPayloadTooLargeError);
    expect(new NatsFrameSerializer(() => 4096).serialize(packet).data.length).toBeLessThan(4096);
    // Before a connection there is no limit to check.
    expect(new NatsFrameSerializer(() => undefined).serialize(packet).data.length).toBeGreaterThan(2000);
  });

  it('should refuse bytes that are not a frame', () => {
    expect(() => decodeNatsMessage(Buffer.from('{"pattern":"ocr.health"}'))).toThrow('not a transport frame');
  });
});
