/** What a key may do: `ocr` calls the OCR and usage endpoints, `admin` manages keys. */
export const API_KEY_SCOPES = ['ocr', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
