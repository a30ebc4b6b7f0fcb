import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A row of `daily_usage` (schema: migrations/1764288000000-initial-schema.ts): the units a key
 * lineage used on one UTC day, leased units of requests still in flight included. Queries live in
 * daily-usage.repository.ts; the entity declares the schema so `migration:generate` stays empty.
 */
@Entity({ name: 'daily_usage' })
@Check('daily_usage_used_check', '(used >= 0)')
export class DailyUsage {
  @PrimaryColumn({ name: 'lineage_id', type: 'varchar', length: 32 })
  lineageId!: string;

  @PrimaryColumn({ type: 'date' })
  day!: string;

  @Column({ type: 'integer', default: 0 })
  used!: number;
}
