/**
 * The few pieces of the gateway's own code that black-box specs (test/e2e/) use, to make fixtures
 * in the real formats: a key as the gateway issues them, the token prefix, the ALTO schema check.
 * Specs in test/e2e/ reach src/ only through here (eslint enforces it), so they stay black-box.
 */
export { generateApiKey } from '../../src/api-keys/api-key-format';
export { TOKEN_PREFIX } from '../../src/tokens/token-signer';
export { validateAlto } from '../../src/ocr/testing/validate-alto';
