import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys and their daily usage.
 *
 * `lineage_id` ties a key to the keys it was rotated from: usage and the result cache belong to
 * the lineage, so a rotation neither resets the daily quota nor loses cached results.
 * Revocation is a soft delete (`revoked_at`) so that usage history stays readable.
 */
export class InitialSchema1764288000000 implements MigrationInterface {
  name = 'InitialSchema1764288000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id             varchar(32)  PRIMARY KEY,
        lineage_id     varchar(32)  NOT NULL,
        name           varchar(200) NOT NULL,
        tier           varchar(64)  NOT NULL,
        scopes         text[]       NOT NULL DEFAULT '{ocr}',
        key_hash       varchar(100) NOT NULL,
        enabled        boolean      NOT NULL DEFAULT true,
        daily_limit    integer      NULL CHECK (daily_limit IS NULL OR daily_limit >= 0),
        created_at     timestamptz  NOT NULL DEFAULT now(),
        updated_at     timestamptz  NOT NULL DEFAULT now(),
        expires_at     timestamptz  NULL,
        last_used_at   timestamptz  NULL,
        revoked_at     timestamptz  NULL,
        rotated_from   varchar(32)  NULL REFERENCES api_keys(id),
        grace_ends_at  timestamptz  NULL
      )`);
    await queryRunner.query(`CREATE INDEX api_keys_lineage_idx ON api_keys (lineage_id)`);
    await queryRunner.query(`
      CREATE TABLE daily_usage (
        lineage_id  varchar(32) NOT NULL,
        day         date        NOT NULL,
        used        integer     NOT NULL DEFAULT 0 CHECK (used >= 0),
        PRIMARY KEY (lineage_id, day)
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE daily_usage`);
    await queryRunner.query(`DROP TABLE api_keys`);
  }
}
