import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import sharp, { Sharp } from 'sharp';
import { inspectImage } from './image-inspector';
import { apiErrorOf } from '../../common/testing/api-error-of';

const MAX_PIXELS = 40_000_000;

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A PNG that declares any size but carries a few bytes of pixel data: decoding it would fail. */
function pngDeclaring(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.alloc(16))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function blank(width: number, height: number): Sharp {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 90 } } });
}

describe(inspectImage.name, () => {
  it.each([
    ['jpeg', () => blank(64, 48).jpeg().toBuffer()],
    ['png', () => blank(64, 48).png().toBuffer()],
    ['webp', () => blank(64, 48).webp().toBuffer()],
    ['tiff', () => blank(64, 48).tiff().toBuffer()],
    ['gif', () => blank(64, 48).gif().toBuffer()],
  ])('should accept a %s image with its dimensions and SHA-256', async (format, make) => {
    const bytes = await make();
    const image = await inspectImage(bytes, MAX_PIXELS);
    expect(image).toEqual({
      bytes,
      format,
      width: 64,
      height: 48,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  });

  it.each([
    [1, 64, 48],
    [2, 64, 48],
    [3, 64, 48],
    [4, 64, 48],
    [5, 48, 64],
    [6, 48, 64],
    [7, 48, 64],
    [8, 48, 64],
  ])('should report EXIF orientation %i as %ix%i', async (orientation, width, height) => {
    const bytes = await blank(64, 48).jpeg().withMetadata({ orientation }).toBuffer();
    expect(await inspectImage(bytes, MAX_PIXELS)).toMatchObject({ width, height });
  });

  it('should refuse an image over the pixel limit from its header alone', async () => {
    const bytes = pngDeclaring(100_000, 100_000);
    expect(bytes.length).toBeLessThan(100);
    const started = performance.now();
    expect(await apiErrorOf(inspectImage(bytes, MAX_PIXELS))).toEqual({
      status: 413,
      code: 'image_too_large',
      message: 'The image has 10000 megapixels; the limit is 40.',
    });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('should read a 10-gigapixel header without decoding it', async () => {
    // Decoding would need 30 GB and fail on the 16-byte IDAT: success proves a header-only read.
    const image = await inspectImage(pngDeclaring(100_000, 100_000), 1e11);
    expect(image).toMatchObject({ format: 'png', width: 100_000, height: 100_000 });
  });

  it('should accept exactly the pixel limit and refuse one pixel more', async () => {
    expect(await inspectImage(pngDeclaring(8000, 5000), MAX_PIXELS)).toMatchObject({
      width: 8000,
      height: 5000,
    });
    expect(await apiErrorOf(inspectImage(pngDeclaring(40_000_001, 1), MAX_PIXELS))).toMatchObject({
      status: 413,
      code: 'image_too_large',
    });
  });

  it('should answer 422 invalid_image for empty bytes', async () => {
    expect(await apiErrorOf(inspectImage(Buffer.alloc(0), MAX_PIXELS))).toMatchObject({
      status: 422,
      code: 'invalid_image',
    });
  });

  it('should answer 422 invalid_image for bytes that are no image', async () => {
    const text = Buffer.from('{"not": "an image"}');
    expect(await apiErrorOf(inspectImage(text, MAX_PIXELS))).toMatchObject({
      status: 422,
      code: 'invalid_image',
    });
  });

  it('should answer 415 unsupported_media_type for a recognised format we do not take', async () => {
    const avif = await blank(16, 16).avif().toBuffer();
    expect(await apiErrorOf(inspectImage(avif, MAX_PIXELS))).toEqual({
      status: 415,
      code: 'unsupported_media_type',
      message: 'AVIF images are not supported; send JPEG, PNG, WebP, TIFF or GIF.',
    });
    const pdf = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n');
    expect(await apiErrorOf(inspectImage(pdf, MAX_PIXELS))).toMatchObject({
      status: 415,
      code: 'unsupported_media_type',
    });
  });

  it.each([
    ['a PNG cut after its signature', () => pngDeclaring(10, 10).subarray(0, 12)],
    ['a PNG whose first chunk is not IHDR', () => corrupt(pngDeclaring(10, 10), 15)],
    ['a PNG declaring zero width', () => pngDeclaring(0, 10)],
    ['a JPEG cut inside its header', async () => (await blank(64, 48).jpeg().toBuffer()).subarray(0, 40)],
    ['a GIF signature alone', () => Buffer.from('GIF89a')],
    [
      'a WebP container with junk inside',
      () => Buffer.concat([Buffer.from('RIFF\x10\x00\x00\x00WEBPjunkjunk', 'latin1')]),
    ],
  ])('should answer 422 invalid_image, without libvips text, for %s', async (_label, make) => {
    const error = await apiErrorOf(inspectImage(await make(), MAX_PIXELS));
    expect(error).toMatchObject({ status: 422, code: 'invalid_image' });
    expect(error.message).toMatch(
      /^The image could not be read: its (PNG|JPEG|GIF|WEBP) header is damaged\.$/,
    );
  });
});

function corrupt(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] ^= 0xff;
  return copy;
}
