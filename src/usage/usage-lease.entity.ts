import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { DailyUsage } from './daily-usage.entity';

/**
 * A row of `usage_leases` (schema: migrations/1796197923939-usage-leases.ts): units counted in
 * `daily_usage` for a request still in flight. Settling it deletes the row; giving units back
 * also takes them off the day's count; a lease past `expires_at` belonged to a gateway that never
 * settled it and is given back by any gateway's sweep.
 */
@Entity({ name: 'usage_leases' })
@Index('usage_leases_expires_at_idx', ['expiresAt'])
@Index('usage_leases_lineage_id_day_idx', ['lineageId', 'day'])
@Check('usage_leases_units_check', '(units >= 0)')
export class UsageLease {
  @PrimaryGeneratedColumn('identity', {
    type: 'bigint',
    generatedIdentity: 'ALWAYS',
    primaryKeyConstraintName: 'usage_leases_pkey',
  })
  id!: string;

  @Column({ name: 'lineage_id', type: 'varchar', length: 32 })
  lineageId!: string;

  @Column({ type: 'date' })
  day!: string;

  /** Units still held: a partial give-back lowers it, down to 0 until the lease is settled. */
  @Column({ type: 'integer' })
  units!: number;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @ManyToOne(() => DailyUsage, { onDelete: 'CASCADE', createForeignKeyConstraints: true })
  @JoinColumn([
    {
      name: 'lineage_id',
      referencedColumnName: 'lineageId',
      foreignKeyConstraintName: 'usage_leases_lineage_id_day_fkey',
    },
    { name: 'day', referencedColumnName: 'day' },
  ])
  usage?: DailyUsage;
}
