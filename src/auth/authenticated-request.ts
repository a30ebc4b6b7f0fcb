import type { Request } from 'express';
import type { AuthenticatedKey } from './authenticated-key';

/** An Express request after the ApiKeyGuard ran: `apiKey` is set on every authenticated route. */
export interface AuthenticatedRequest extends Request {
  apiKey?: AuthenticatedKey;
}
