import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Restrictions per key: the browser origins (`Origin`) and the client networks it may be used
 * from (empty: any), and an optional rate of its own, `rate_limit` requests per
 * `rate_window_seconds`, in place of its tier's (both set or both null). The lists are bounded
 * here as in the admin API, so that a key's verification never walks a list without end.
 * Values are stored normalised by the gateway (see src/api-keys/key-restrictions.ts).
 */
export class KeyRestrictions1796284800000 implements MigrationInterface {
  name = 'KeyRestrictions1796284800000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE api_keys
        ADD COLUMN allowed_origins     text[]  NOT NULL DEFAULT '{}',
        ADD COLUMN allowed_cidrs       text[]  NOT NULL DEFAULT '{}',
        ADD COLUMN rate_limit          integer NULL,
        ADD COLUMN rate_window_seconds integer NULL,
        ADD CONSTRAINT api_keys_allowed_origins_check CHECK (cardinality(allowed_origins) <= 32),
        ADD CONSTRAINT api_keys_allowed_cidrs_check CHECK (cardinality(allowed_cidrs) <= 32),
        ADD CONSTRAINT api_keys_rate_limit_check CHECK (
          (rate_limit IS NULL AND rate_window_seconds IS NULL)
          OR (rate_limit >= 1 AND rate_window_seconds >= 1)
        )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE api_keys
        DROP CONSTRAINT api_keys_rate_limit_check,
        DROP CONSTRAINT api_keys_allowed_cidrs_check,
        DROP CONSTRAINT api_keys_allowed_origins_check,
        DROP COLUMN rate_window_seconds,
        DROP COLUMN rate_limit,
        DROP COLUMN allowed_cidrs,
        DROP COLUMN allowed_origins`);
  }
}
