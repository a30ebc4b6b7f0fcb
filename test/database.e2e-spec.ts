import { Client } from 'pg';
import { createTestDatabase } from './support/database';

describe('test database', () => {
  it('should provide a fresh, reachable Postgres database per spec', async () => {
    const db = await createTestDatabase();
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ n: number }>('SELECT 1 AS n');
    await client.end();
    await db.drop();
    expect(rows[0].n).toBe(1);
  });
});
