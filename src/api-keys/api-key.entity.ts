import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { ApiKeyScope } from './api-key-scopes';

/**
 * A row of `api_keys` (schema: migrations/1764288000000-initial-schema.ts, restrictions:
 * migrations/1796284800000-key-restrictions.ts). The index, checks and foreign key are declared with the names Postgres gave them, so that `migration:generate` on an
 * unchanged schema comes out empty.
 */
@Entity({ name: 'api_keys' })
@Index('api_keys_lineage_idx', ['lineageId'])
@Check('api_keys_daily_limit_check', '((daily_limit IS NULL) OR (daily_limit >= 0))')
@Check('api_keys_allowed_origins_check', '(cardinality(allowed_origins) <= 32)')
@Check('api_keys_allowed_cidrs_check', '(cardinality(allowed_cidrs) <= 32)')
@Check(
  'api_keys_rate_limit_check',
  '(((rate_limit IS NULL) AND (rate_window_seconds IS NULL)) OR ((rate_limit >= 1) AND (rate_window_seconds >= 1)))',
)
export class ApiKey {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id!: string;

  @Column({ name: 'lineage_id', type: 'varchar', length: 32 })
  lineageId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 64 })
  tier!: string;

  @Column({ type: 'text', array: true, default: () => "'{ocr}'" })
  scopes!: ApiKeyScope[];

  /** bcrypt of the whole plaintext key; never leaves the repository and the verifier. */
  @Column({ name: 'key_hash', type: 'varchar', length: 100 })
  keyHash!: string;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  /** Overrides the tier's daily quota when set. */
  @Column({ name: 'daily_limit', type: 'integer', nullable: true })
  dailyLimit!: number | null;

  /** Normalised origins (see key-restrictions.ts) a browser may call with this key from; empty: any. */
  @Column({ name: 'allowed_origins', type: 'text', array: true, default: () => "'{}'" })
  allowedOrigins!: string[];

  /** Normalised networks the client address must lie in; empty: any. */
  @Column({ name: 'allowed_cidrs', type: 'text', array: true, default: () => "'{}'" })
  allowedCidrs!: string[];

  /** With rateWindowSeconds, overrides the tier's rate: this many requests per window. */
  @Column({ name: 'rate_limit', type: 'integer', nullable: true })
  rateLimit!: number | null;

  @Column({ name: 'rate_window_seconds', type: 'integer', nullable: true })
  rateWindowSeconds!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'rotated_from', type: 'varchar', length: 32, nullable: true })
  rotatedFrom!: string | null;

  @ManyToOne(() => ApiKey, { nullable: true, createForeignKeyConstraints: true })
  @JoinColumn({ name: 'rotated_from', foreignKeyConstraintName: 'api_keys_rotated_from_fkey' })
  predecessor?: ApiKey | null;

  /** Set on a key that was rotated: it keeps working until then. */
  @Column({ name: 'grace_ends_at', type: 'timestamptz', nullable: true })
  graceEndsAt!: Date | null;
}
