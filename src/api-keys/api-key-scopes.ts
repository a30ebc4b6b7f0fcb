/**
 * What a key may do: `ocr` calls the OCR and usage endpoints, `admin` manages keys, `tokens` mints
 * short-lived tokens (POST /api/v1/tokens) that carry the key's `ocr` scope alone.
 */
export const API_KEY_SCOPES = ['ocr', 'admin', 'tokens'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
