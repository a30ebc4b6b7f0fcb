/**
 * Which images (and documents) the system takes, named from their bytes: the one sniffer of both apps. The
 * gateway decides with it (415/422 before anything else is done); the worker checks with it again
 * only as a guard, so that no other format ever reaches the decoder.
 */

/** The formats the OCR worker decodes (GIF: its first frame). */
export const IMAGE_FORMATS = ['jpeg', 'png', 'webp', 'tiff', 'gif'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** Documents of pages, taken wherever an image is: the worker renders or reads each page. */
export const DOCUMENT_FORMATS = ['pdf'] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

export type SniffResult =
  | { readonly kind: 'supported'; readonly format: ImageFormat }
  | { readonly kind: 'document'; readonly format: DocumentFormat }
  /** A format we recognise and refuse (415), named for the client. */
  | { readonly kind: 'unsupported'; readonly name: string }
  /** Nothing we recognise: not an image at all, as far as we can tell (422). */
  | { readonly kind: 'unknown' };

/** Byte patterns at offsets; a format matches when all of its patterns do. */
interface Signature {
  readonly offset: number;
  readonly bytes: readonly number[];
}

function ascii(text: string, offset = 0): Signature {
  return { offset, bytes: [...Buffer.from(text, 'latin1')] };
}

function hex(bytes: number[], offset = 0): Signature {
  return { offset, bytes };
}

const SUPPORTED: ReadonlyArray<[ImageFormat, Signature[]]> = [
  ['jpeg', [hex([0xff, 0xd8, 0xff])]],
  ['png', [hex([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])]],
  ['gif', [ascii('GIF87a')]],
  ['gif', [ascii('GIF89a')]],
  ['webp', [ascii('RIFF'), ascii('WEBP', 8)]],
  // Classic and BigTIFF, both byte orders.
  ['tiff', [hex([0x49, 0x49, 0x2a, 0x00])]],
  ['tiff', [hex([0x4d, 0x4d, 0x00, 0x2a])]],
  ['tiff', [hex([0x49, 0x49, 0x2b, 0x00])]],
  ['tiff', [hex([0x4d, 0x4d, 0x00, 0x2b])]],
];

/**
 * `%PDF-` opens the file by the specification; readers also take it a little later (after a
 * byte-order mark or a mail header), but a PDF sent here must start with it.
 */
const DOCUMENTS: ReadonlyArray<[DocumentFormat, Signature[]]> = [['pdf', [ascii('%PDF-')]]];

/** Recognised so that a client sending one learns that the format, not the file, is the problem. */
const UNSUPPORTED: ReadonlyArray<[string, Signature[]]> = [
  ['JPEG XL', [hex([0xff, 0x0a])]],
  ['JPEG XL', [hex([0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20, 0x0d, 0x0a, 0x87, 0x0a])]],
  ['JPEG 2000', [hex([0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a])]],
  ['JPEG 2000', [hex([0xff, 0x4f, 0xff, 0x51])]],
  ['Photoshop', [ascii('8BPS')]],
  ['ICO', [hex([0, 0, 1, 0])]],
  ['BMP', [ascii('BM')]],
];

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);
const AVIF_BRANDS = new Set(['avif', 'avis']);

/**
 * Names the format by its magic number, never by what the client declared. Only the first bytes
 * are read, so a multi-megabyte upload costs nothing here.
 */
export function sniffImageFormat(input: Uint8Array): SniffResult {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const supported = SUPPORTED.find(([, signatures]) => signatures.every((s) => matches(bytes, s)));
  if (supported) {
    return { kind: 'supported', format: supported[0] };
  }
  const document = DOCUMENTS.find(([, signatures]) => signatures.every((s) => matches(bytes, s)));
  if (document) {
    return { kind: 'document', format: document[0] };
  }
  const unsupported = UNSUPPORTED.find(([, signatures]) => signatures.every((s) => matches(bytes, s)));
  if (unsupported) {
    return { kind: 'unsupported', name: unsupported[0] };
  }
  const container = isoMediaName(bytes) ?? (looksLikeSvg(bytes) ? 'SVG' : undefined);
  return container ? { kind: 'unsupported', name: container } : { kind: 'unknown' };
}

function matches(bytes: Buffer, signature: Signature): boolean {
  if (bytes.length < signature.offset + signature.bytes.length) {
    return false;
  }
  return signature.bytes.every((byte, i) => bytes[signature.offset + i] === byte);
}

/** HEIC, AVIF and MP4 share the ISO media file layout: an `ftyp` box whose brand says which. */
function isoMediaName(bytes: Buffer): string | undefined {
  if (!matches(bytes, ascii('ftyp', 4)) || bytes.length < 12) {
    return undefined;
  }
  const brand = bytes.toString('latin1', 8, 12);
  if (AVIF_BRANDS.has(brand)) {
    return 'AVIF';
  }
  return HEIF_BRANDS.has(brand) ? 'HEIC' : 'ISO media (video)';
}

function looksLikeSvg(bytes: Buffer): boolean {
  const head = bytes
    .toString('utf8', 0, Math.min(bytes.length, 1024))
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  return head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'));
}
