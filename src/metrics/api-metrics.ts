import { Injectable } from '@nestjs/common';
import { InjectMetric, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';

export const AUTH_FAILURES = 'auth_failures_total';
export const API_REFUSALS = 'api_refusals_total';

/**
 * Why a presented key was refused (401), or why a verified one was (403): the client still sees
 * one answer for all of the 401s, only an operator's metrics tell them apart.
 */
export const AUTH_FAILURE_REASONS = [
  'missing',
  'malformed',
  'unknown_key',
  'wrong_secret',
  'disabled',
  'revoked',
  'expired',
  'unknown_tier',
  'insufficient_scope',
] as const;
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

/** The limits' refusals; `tier` is a configured tier name, or `none` before authentication. */
export type LimitRefusal = 'rate_limited' | 'quota_exceeded';
const NO_TIER = 'none';

/**
 * Registered in prom-client's default registry, which GET /metrics serves when METRICS_ENABLED
 * (harmless otherwise). Labels are closed sets: reasons and codes above, tiers from TIERS; never a
 * key, a key id or an address.
 */
export const API_METRIC_PROVIDERS = [
  makeCounterProvider({
    name: AUTH_FAILURES,
    help: 'Requests refused for their API key, by reason (401: missing, malformed, unknown_key, wrong_secret, disabled, revoked, expired, unknown_tier; 403: insufficient_scope).',
    labelNames: ['reason'],
  }),
  makeCounterProvider({
    name: API_REFUSALS,
    help: 'Requests refused by a limit (429), by code (rate_limited, quota_exceeded) and key tier (none: the per-address limit, before authentication).',
    labelNames: ['code', 'tier'],
  }),
];

@Injectable()
export class ApiMetrics {
  constructor(
    @InjectMetric(AUTH_FAILURES) private readonly authFailures: Counter<string>,
    @InjectMetric(API_REFUSALS) private readonly refusals: Counter<string>,
  ) {}

  authFailure(reason: AuthFailureReason): void {
    this.authFailures.inc({ reason });
  }

  refusal(code: LimitRefusal, tier: string | undefined): void {
    this.refusals.inc({ code, tier: tier ?? NO_TIER });
  }
}
