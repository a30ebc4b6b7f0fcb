/** What `POST /api/v1/ocr` answers with: the JSON result, or the same result as hOCR or ALTO. */
export const OCR_FORMATS = ['json', 'hocr', 'alto'] as const;
export type OcrFormat = (typeof OCR_FORMATS)[number];

export const DEFAULT_OCR_FORMAT: OcrFormat = 'json';

/** The formats rendered from the JSON result, with their media types. */
export const DOCUMENT_CONTENT_TYPES: Readonly<Record<Exclude<OcrFormat, 'json'>, string>> = {
  hocr: 'text/vnd.hocr+html; charset=utf-8',
  alto: 'application/alto+xml; charset=utf-8',
};

/** JSON null passes the optional-field validation: like an absent field, it means the default. */
export function resolveOcrFormat(format?: OcrFormat | null): OcrFormat {
  return format ?? DEFAULT_OCR_FORMAT;
}
