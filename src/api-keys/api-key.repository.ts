import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { API_KEY_CHANGED_CHANNEL, KEY_CHANGE_LISTENER_NAME, keyChangePayload } from './api-key-changes';
import { ApiKey } from './api-key.entity';

export type NewApiKey = Pick<
  ApiKey,
  | 'id'
  | 'lineageId'
  | 'name'
  | 'tier'
  | 'scopes'
  | 'keyHash'
  | 'enabled'
  | 'dailyLimit'
  | 'expiresAt'
  | 'rotatedFrom'
  | KeyRestrictionColumn
>;
/** What a key's restrictions are stored in (see migrations/1796284800000-key-restrictions.ts). */
export type KeyRestrictionColumn = 'allowedOrigins' | 'allowedCidrs' | 'rateLimit' | 'rateWindowSeconds';
export type ApiKeyUpdate = Partial<
  Pick<ApiKey, 'name' | 'tier' | 'enabled' | 'expiresAt' | 'dailyLimit' | KeyRestrictionColumn>
>;

/**
 * Why a change was not made; `done` carries the result and the backend pids of the gateways'
 * listening connections just after the change committed, whose confirmations it waits for (null:
 * they could not be read).
 */
export type KeyMutation<T> =
  | { outcome: 'done'; value: T; listeners: number[] | null }
  | { outcome: 'not_found' }
  | { outcome: 'last_admin' }
  | { outcome: 'already_rotated' };

type Refusal = Exclude<KeyMutation<never>, { outcome: 'done' }>;

class RollBack extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.outcome);
  }
}

// A key that can authenticate an admin request right now.
const USABLE_ADMIN = `'admin' = ANY(scopes) AND enabled AND revoked_at IS NULL
  AND (expires_at IS NULL OR expires_at > now()) AND (grace_ends_at IS NULL OR grace_ends_at > now())`;

/**
 * `api_keys`. Every change runs in a transaction that takes one advisory lock (so that the
 * last-admin rule and the empty-table bootstrap hold under concurrency) and announces the key id
 * and the change's token on API_KEY_CHANGED_CHANNEL; Postgres delivers the notification only if
 * the change commits.
 */
@Injectable()
export class ApiKeyRepository {
  constructor(private readonly db: DataSource) {}

  /** Any row, revoked ones included: the verifier needs them to spend the same time on every key. */
  findById(id: string): Promise<ApiKey | null> {
    return this.db.getRepository(ApiKey).findOneBy({ id });
  }

  findActive(id: string): Promise<ApiKey | null> {
    return this.db.getRepository(ApiKey).findOneBy({ id, revokedAt: IsNull() });
  }

  listActive(): Promise<ApiKey[]> {
    return this.db
      .getRepository(ApiKey)
      .find({ where: { revokedAt: IsNull() }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  insert(key: NewApiKey): Promise<ApiKey> {
    return this.db.transaction(async (m) => {
      await lock(m);
      return insertRow(m, key);
    });
  }

  /** Inserts `key` only when the table has no row at all (revoked ones count); null otherwise. */
  insertIfEmpty(key: NewApiKey): Promise<ApiKey | null> {
    return this.db.transaction(async (m) => {
      await lock(m);
      const [{ empty }] = await m.query<Array<{ empty: boolean }>>(
        `SELECT NOT EXISTS (SELECT 1 FROM api_keys) AS empty`,
      );
      return empty ? insertRow(m, key) : null;
    });
  }

  update(id: string, changes: ApiKeyUpdate, token: string): Promise<KeyMutation<ApiKey>> {
    return this.mutate(id, token, async (m) => {
      if (Object.keys(changes).length > 0) {
        await m.update(ApiKey, { id }, changes);
      }
      return m.findOneByOrFail(ApiKey, { id });
    });
  }

  revoke(id: string, token: string): Promise<KeyMutation<void>> {
    return this.mutate(id, token, async (m) => {
      await m.query(`UPDATE api_keys SET revoked_at = now(), updated_at = now() WHERE id = $1`, [id]);
    });
  }

  /**
   * Inserts the successor built from the current row and ends the old key's life at
   * `graceEndsAt`. A key is rotated once: its successor is the one to rotate next.
   */
  rotate(
    id: string,
    successor: (current: ApiKey) => NewApiKey,
    graceEndsAt: Date,
    token: string,
  ): Promise<KeyMutation<ApiKey>> {
    return this.mutate(id, token, async (m, current) => {
      if (current.graceEndsAt !== null) {
        throw new RollBack({ outcome: 'already_rotated' });
      }
      const created = await insertRow(m, successor(current));
      await m.update(ApiKey, { id }, { graceEndsAt });
      return created;
    });
  }

  /** Records last uses collected in memory, in one statement; never moves a timestamp back. */
  async touchLastUsed(lastUses: ReadonlyMap<string, Date>): Promise<void> {
    if (lastUses.size === 0) {
      return;
    }
    await this.db.query(
      `UPDATE api_keys AS k SET last_used_at = GREATEST(k.last_used_at, u.at)
       FROM unnest($1::varchar[], $2::timestamptz[]) AS u(id, at)
       WHERE k.id = u.id`,
      [[...lastUses.keys()], [...lastUses.values()].map((d) => d.toISOString())],
    );
  }

  /**
   * Runs `change` on an active key under the lock, announces it with `token`, and rolls it back
   * when it would leave no usable admin key where there was one: nobody may lock every admin out
   * by accident.
   */
  private async mutate<T>(
    id: string,
    token: string,
    change: (m: EntityManager, current: ApiKey) => Promise<T>,
  ): Promise<KeyMutation<T>> {
    let value: T;
    try {
      value = await this.db.transaction(async (m) => {
        await lock(m);
        const current = await m.findOneBy(ApiKey, { id, revokedAt: IsNull() });
        if (!current) {
          throw new RollBack({ outcome: 'not_found' });
        }
        const adminsBefore = await countUsableAdmins(m);
        const result = await change(m, current);
        if (adminsBefore > 0 && (await countUsableAdmins(m)) === 0) {
          throw new RollBack({ outcome: 'last_admin' });
        }
        await m.query(`SELECT pg_notify($1, $2)`, [API_KEY_CHANGED_CHANNEL, keyChangePayload(id, token)]);
        return result;
      });
    } catch (error) {
      if (error instanceof RollBack) {
        return error.refusal;
      }
      throw error;
    }
    // Read after the commit: a listener whose LISTEN was in effect at the commit was named before
    // it (it names itself before listening), so it is in this list; one that listens later reads
    // rows that already hold the change.
    const listeners = await this.listeningGateways().catch(() => null);
    return { outcome: 'done', value, listeners };
  }

  /** Backend pids of the gateways' listening connections on this database (see ApiKeyChangeListener). */
  private async listeningGateways(): Promise<number[]> {
    const rows = await this.db.query<Array<{ pid: number }>>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE $1`,
      [`${KEY_CHANGE_LISTENER_NAME} (pid %)`],
    );
    return rows.map((row) => row.pid);
  }
}

async function lock(m: EntityManager): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock(hashtext('api_keys.mutation'))`);
}

async function insertRow(m: EntityManager, key: NewApiKey): Promise<ApiKey> {
  await m.insert(ApiKey, key);
  return m.findOneByOrFail(ApiKey, { id: key.id });
}

async function countUsableAdmins(m: EntityManager): Promise<number> {
  const [{ n }] = await m.query<Array<{ n: number }>>(
    `SELECT count(*)::int AS n FROM api_keys WHERE ${USABLE_ADMIN}`,
  );
  return n;
}
