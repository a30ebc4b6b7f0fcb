/** Postgres channel on which every change to a key is announced (payload: see keyChangePayload). */
export const API_KEY_CHANGED_CHANNEL = 'api_key_changed';

/** Channel on which each gateway's listener confirms that it applied a change (payload: its token). */
export const API_KEY_CHANGE_CONFIRMED_CHANNEL = 'api_key_change_confirmed';

/**
 * How a gateway's listening connection names itself in `pg_stat_activity` once it listens, so
 * that a key change knows whose confirmation to wait for: `<prefix> (pid <process id>)`.
 */
export const KEY_CHANGE_LISTENER_NAME = 'secure-ocr-gateway key-change listener';

export function keyChangeListenerName(pid: number): string {
  return `${KEY_CHANGE_LISTENER_NAME} (pid ${pid})`;
}

/** `<key id> <token>`: the token names this change in the confirmations. */
export function keyChangePayload(keyId: string, token: string): string {
  return `${keyId} ${token}`;
}

/** A payload's key id and token (none from a gateway of an older version, which sent the id alone). */
export function parseKeyChangePayload(payload: string): { keyId: string; token?: string } {
  const [keyId, token] = payload.split(' ', 2);
  return token === undefined || token === '' ? { keyId } : { keyId, token };
}

/**
 * In-process announcements of key changes, so the process that made a change drops its own
 * cached verifications at once instead of waiting for its NOTIFY to come back.
 */
export class ApiKeyChanges {
  private readonly listeners = new Set<(keyId: string) => void>();

  subscribe(listener: (keyId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(keyId: string): void {
    for (const listener of this.listeners) {
      listener(keyId);
    }
  }
}
