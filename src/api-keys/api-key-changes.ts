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
