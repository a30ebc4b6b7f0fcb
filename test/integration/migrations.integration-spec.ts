import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ApiKey } from '../../src/api-keys/api-key.entity';
import { DailyUsage } from '../../src/usage/daily-usage.entity';
import { UsageLease } from '../../src/usage/usage-lease.entity';
import { createTestDatabase } from '../support/database';
import { migrate } from '../support/processes';

// Real processes on a shared CPU: the project-level testTimeout is not applied by Jest 30.
jest.setTimeout(120_000);

/** The compiled migration tool against an empty database: up, idempotent up, down, up again. */
describe('migrations', () => {
  const ALL = ['InitialSchema1764288000000', 'UsageLeases1796197923939', 'KeyRestrictions1796284800000'];
  let db: { url: string; drop: () => Promise<void> };
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new Client({ connectionString: db.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  async function tables(): Promise<string[]> {
    const { rows } = await client.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    return rows.map((row) => row.name);
  }

  async function applied(): Promise<string[]> {
    const { rows } = await client.query<{ name: string }>('SELECT name FROM migrations ORDER BY id');
    return rows.map((row) => row.name);
  }

  it('should create the schema on an empty database', async () => {
    expect(await tables()).toEqual([]);
    const output = await migrate(db.url, 'run');
    expect(output).toContain(
      'Applied: InitialSchema1764288000000, UsageLeases1796197923939, KeyRestrictions1796284800000',
    );
    expect(await tables()).toEqual(['api_keys', 'daily_usage', 'migrations', 'usage_leases']);
    expect(await applied()).toEqual(ALL);
    const { rows } = await client.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'api_keys' ORDER BY ordinal_position",
    );
    expect(rows.map((row) => row.column_name)).toEqual(
      expect.arrayContaining([
        'id',
        'lineage_id',
        'key_hash',
        'scopes',
        'expires_at',
        'revoked_at',
        'rotated_from',
        'grace_ends_at',
        'allowed_origins',
        'allowed_cidrs',
        'rate_limit',
        'rate_window_seconds',
      ]),
    );
  });

  it('should do nothing when run again', async () => {
    expect(await migrate(db.url, 'run')).toContain('No pending migrations.');
    expect(await applied()).toEqual(ALL);
  });

  it('should revert one migration at a time, down to an empty schema', async () => {
    await client.query(
      "INSERT INTO api_keys (id, lineage_id, name, tier, key_hash) VALUES ('k1', 'k1', 'n', 'free', 'h')",
    );
    await client.query("INSERT INTO daily_usage (lineage_id, day, used) VALUES ('k1', '2026-12-01', 1)");
    await client.query(
      "INSERT INTO usage_leases (lineage_id, day, units, expires_at) VALUES ('k1', '2026-12-01', 1, now())",
    );
    expect(await migrate(db.url, 'revert')).toContain('Reverted');
    expect(await applied()).toEqual(['InitialSchema1764288000000', 'UsageLeases1796197923939']);
    expect(await migrate(db.url, 'revert')).toContain('Reverted');
    expect(await tables()).toEqual(['api_keys', 'daily_usage', 'migrations']);
    expect(await applied()).toEqual(['InitialSchema1764288000000']);
    expect(await migrate(db.url, 'revert')).toContain('Reverted');
    expect(await tables()).toEqual(['migrations']);
    expect(await applied()).toEqual([]);
  });

  it('should apply again after a revert', async () => {
    await migrate(db.url, 'run');
    expect(await tables()).toEqual(['api_keys', 'daily_usage', 'migrations', 'usage_leases']);
  });

  it('should match the entities, so that migration:generate on an unchanged schema is empty', async () => {
    const source = new DataSource({
      type: 'postgres',
      url: db.url,
      entities: [ApiKey, DailyUsage, UsageLease],
    });
    await source.initialize();
    try {
      const pending = await source.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((query) => query.query)).toEqual([]);
    } finally {
      await source.destroy();
    }
  });
});
