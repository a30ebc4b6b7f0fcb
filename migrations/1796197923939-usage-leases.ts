import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage leases: a unit of the daily quota is counted in `daily_usage` when a request is admitted
 * and held by a lease until the result has been sent (the lease row is deleted: a charge) or the
 * request failed or its client left (deleted and taken off the count: a refund). A lease whose
 * gateway died is past `expires_at` and is given back by whichever gateway sweeps first.
 *
 * The foreign key cascades: deleting a day's usage row (by hand) takes its leases with it, so a
 * late settlement can never give back units that are no longer counted.
 */
export class UsageLeases1796197923939 implements MigrationInterface {
  name = 'UsageLeases1796197923939';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE usage_leases (
        id          bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        lineage_id  varchar(32)  NOT NULL,
        day         date         NOT NULL,
        units       integer      NOT NULL CHECK (units >= 0),
        expires_at  timestamptz  NOT NULL,
        FOREIGN KEY (lineage_id, day) REFERENCES daily_usage (lineage_id, day) ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX usage_leases_expires_at_idx ON usage_leases (expires_at)`);
    await queryRunner.query(`CREATE INDEX usage_leases_lineage_id_day_idx ON usage_leases (lineage_id, day)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE usage_leases`);
  }
}
