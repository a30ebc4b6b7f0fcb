import { sniffImageFormat } from './image-format';

function bytes(...parts: Array<string | number[]>): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
}

describe(sniffImageFormat.name, () => {
  const tail = Array.from({ length: 16 }, () => 0);

  it.each([
    ['jpeg', bytes([0xff, 0xd8, 0xff, 0xe0], tail)],
    ['jpeg', bytes([0xff, 0xd8, 0xff, 0xe1], 'Exif', tail)],
    ['png', bytes([0x89], 'PNG\r\n\x1a\n', tail)],
    ['gif', bytes('GIF87a', tail)],
    ['gif', bytes('GIF89a', tail)],
    ['webp', bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 ', tail)],
    ['tiff', bytes('II', [0x2a, 0], tail)],
    ['tiff', bytes('MM', [0, 0x2a], tail)],
    ['tiff', bytes('II', [0x2b, 0], tail)],
    ['tiff', bytes('MM', [0, 0x2b], tail)],
  ])('should recognise %s by its magic number', (format, data) => {
    expect(sniffImageFormat(data)).toEqual({ kind: 'supported', format });
  });

  it('should recognise a PDF as a document only when it starts with %PDF-', () => {
    expect(sniffImageFormat(bytes('%PDF-1.7\n', tail))).toEqual({ kind: 'document', format: 'pdf' });
    expect(sniffImageFormat(bytes(' %PDF-1.7\n', tail))).toEqual({ kind: 'unknown' });
  });

  it.each([
    ['BMP', bytes('BM', [0x36, 0x10, 0, 0], tail)],
    ['AVIF', bytes([0, 0, 0, 0x1c], 'ftypavif', tail)],
    ['HEIC', bytes([0, 0, 0, 0x18], 'ftypheic', tail)],
    ['HEIC', bytes([0, 0, 0, 0x18], 'ftypmif1', tail)],
    ['ISO media (video)', bytes([0, 0, 0, 0x18], 'ftypisom', tail)],
    ['JPEG XL', bytes([0xff, 0x0a], tail)],
    ['JPEG XL', bytes([0, 0, 0, 0x0c], 'JXL \r\n', [0x87, 0x0a], tail)],
    ['JPEG 2000', bytes([0, 0, 0, 0x0c], 'jP  \r\n', [0x87, 0x0a], tail)],
    ['JPEG 2000', bytes([0xff, 0x4f, 0xff, 0x51], tail)],
    ['Photoshop', bytes('8BPS', tail)],
    ['ICO', bytes([0, 0, 1, 0], tail)],
    ['SVG', bytes('<svg xmlns="http://www.w3.org/2000/svg"/>')],
    ['SVG', Buffer.from('\uFEFF  \n<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg/>', 'utf8')],
  ])('should name %s as a recognised but unsupported format', (name, data) => {
    expect(sniffImageFormat(data)).toEqual({ kind: 'unsupported', name });
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['plain text', bytes('hello, this is not an image')],
    ['HTML', bytes('<!doctype html><html></html>')],
    ['a truncated PNG signature', bytes([0x89], 'PNG')],
    ['RIFF that is not WebP', bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt ', tail)],
    ['a lone JPEG marker', bytes([0xff, 0xd8])],
    ['random bytes', Buffer.from('3a7f0c9e5b12d4e6a8b0c2d4', 'hex')],
  ])('should not recognise %s', (_label, data) => {
    expect(sniffImageFormat(data)).toEqual({ kind: 'unknown' });
  });
});
