/** Limits both apps enforce, with the defaults they share (MAX_BODY_BYTES, MAX_IMAGE_PIXELS, PDF_MAX_PAGES). */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
export const MAX_BODY_BYTES_RANGE = { min: 1024, max: 512 * 1024 * 1024 } as const;

export const DEFAULT_MAX_IMAGE_PIXELS = 40_000_000;
export const MAX_IMAGE_PIXELS_RANGE = { min: 1, max: 1_000_000_000 } as const;

/** Pages of one PDF read per request: the gateway refuses more (413), the worker never reads more. */
export const DEFAULT_PDF_MAX_PAGES = 20;
export const PDF_MAX_PAGES_RANGE = { min: 1, max: 1000 } as const;
