import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { parseArgs } from 'node:util';
import type { ApiKeysService } from '../api-keys/api-keys.service';
import { ApiKeyDto } from '../api-keys/dto/api-key.dto';
import type { ApiKeyUsageDto } from '../api-keys/dto/api-key-usage.dto';
import { CreateApiKeyDto } from '../api-keys/dto/create-api-key.dto';
import { RotateApiKeyDto } from '../api-keys/dto/rotate-api-key.dto';
import { UpdateApiKeyDto } from '../api-keys/dto/update-api-key.dto';
import { UsageQueryDto } from '../api-keys/dto/usage-query.dto';
import { listValidationProblems } from '../common/pipes/validation.pipe';

export const USAGE = `Usage: npm run --silent keys -- <command>

  create --name NAME --tier TIER [--scopes ocr,admin,tokens] [--daily-limit N] [--expires-at ISO-8601]
         [--allowed-origins https://a.example,...] [--allowed-cidrs 203.0.113.0/24,2001:db8::/32,...]
         [--rate-limit N[/SECONDS]]
         prints only the new key on stdout: store it, it is not shown again
  restrict ID [--allowed-origins LIST|none] [--allowed-cidrs LIST|none] [--rate-limit N[/SECONDS]|none]
         [--daily-limit N|none]
         changes only the restrictions given, on every running gateway from the next request on;
         none lifts one; a rate is N requests per SECONDS (default 60: per minute)
  list   the keys that are not revoked, with their status and restrictions (never a secret)
  rotate ID [--grace-seconds N]
         prints only the successor key on stdout; ID keeps working N seconds more (default 0)
  disable ID, enable ID
         the key fails, or works again, from the next request on, on every running gateway
  usage ID [--days N]
         images counted per UTC day over the last N days (default 30), shared along rotations
  revoke ID
         the key fails from the next request on, on every running gateway

The database is DATABASE_URL, or the embedded one under ./data (started for the command if needed).
`;

/** A mistake in the command line: the usage is shown with it. */
export class UsageError extends Error {}

export interface Output {
  out(text: string): void;
}

/** What the command will do, checked before any database work. */
export type KeysCommand =
  | { name: 'create'; input: CreateApiKeyDto }
  | { name: 'restrict'; id: string; input: UpdateApiKeyDto }
  | { name: 'list' }
  | { name: 'revoke'; id: string }
  | { name: 'rotate'; id: string; graceSeconds?: number }
  | { name: 'disable'; id: string }
  | { name: 'enable'; id: string }
  | { name: 'usage'; id: string; days?: number }
  | { name: 'help' };

export async function parseCommand(argv: string[]): Promise<KeysCommand> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return { name: 'help' };
    case 'create':
      return { name: 'create', input: await parseCreate(rest) };
    case 'restrict':
      return { name: 'restrict', ...(await parseRestrict(rest)) };
    case 'list':
      positionals(rest, 0);
      return { name: 'list' };
    case 'revoke':
    case 'disable':
    case 'enable':
      return { name: command, id: positionals(rest, 1)[0] };
    case 'rotate': {
      const { id, value } = await idWithNumber(rest, 'grace-seconds', RotateApiKeyDto, 'graceSeconds');
      return { name: 'rotate', id, ...(value !== undefined && { graceSeconds: value }) };
    }
    case 'usage': {
      const { id, value } = await idWithNumber(rest, 'days', UsageQueryDto, 'days');
      return { name: 'usage', id, ...(value !== undefined && { days: value }) };
    }
    default:
      throw new UsageError(`Unknown command "${command}".`);
  }
}

export async function runCommand(command: KeysCommand, keys: ApiKeysService, output: Output): Promise<void> {
  switch (command.name) {
    case 'help':
      output.out(USAGE);
      return;
    case 'create':
      output.out(`${(await keys.create(command.input)).key}\n`);
      return;
    case 'restrict':
      output.out(
        `Restricted key ${command.id}: ${restrictionsOf(await keys.update(command.id, command.input))}.\n`,
      );
      return;
    case 'list':
      output.out(formatTable(await keys.list()));
      return;
    case 'revoke':
      await keys.revoke(command.id);
      output.out(`Revoked key ${command.id}.\n`);
      return;
    case 'rotate':
      output.out(`${(await keys.rotate(command.id, command.graceSeconds)).key}\n`);
      return;
    case 'disable':
    case 'enable':
      await keys.update(command.id, { enabled: command.name === 'enable' });
      output.out(`${command.name === 'enable' ? 'Enabled' : 'Disabled'} key ${command.id}.\n`);
      return;
    case 'usage':
      output.out(formatUsage(await keys.usageOf(command.id, command.days)));
      return;
  }
}

/**
 * One key id and an optional numeric option, checked by the admin API's own DTO so that the CLI
 * and the REST API accept the same values.
 */
async function idWithNumber<T extends object>(
  args: string[],
  option: string,
  dto: new () => T,
  field: keyof T & string,
): Promise<{ id: string; value?: number }> {
  const { values, rest } = parseOptionsAndPositionals(args, { [option]: { type: 'string' } });
  const [id] = positionals(rest, 1);
  const raw = values[option];
  if (raw === undefined) {
    return { id };
  }
  // A non-number stays a string, so that the validator names the problem.
  const value = /^\d+$/.test(raw) ? Number(raw) : raw;
  const problems = listValidationProblems(await validate(plainToInstance(dto, { [field]: value })));
  if (problems.length > 0) {
    throw new UsageError(`Invalid options: ${problems.join('; ')}.`);
  }
  return { id, value: value as number };
}

const RESTRICTION_OPTIONS = {
  'allowed-origins': { type: 'string' },
  'allowed-cidrs': { type: 'string' },
  'rate-limit': { type: 'string' },
  'daily-limit': { type: 'string' },
} as const;

async function parseCreate(args: string[]): Promise<CreateApiKeyDto> {
  const { values } = parseOptions(args, {
    name: { type: 'string' },
    tier: { type: 'string' },
    scopes: { type: 'string' },
    'expires-at': { type: 'string' },
    ...RESTRICTION_OPTIONS,
  });
  if (values.name === undefined || values.tier === undefined) {
    throw new UsageError('create needs --name and --tier.');
  }
  return validated(CreateApiKeyDto, {
    name: values.name,
    tier: values.tier,
    scopes: values.scopes?.split(',').map((scope) => scope.trim()),
    expiresAt: values['expires-at'],
    ...restrictionFields(values, false),
  });
}

async function parseRestrict(args: string[]): Promise<{ id: string; input: UpdateApiKeyDto }> {
  const { values, rest } = parseOptionsAndPositionals(args, { ...RESTRICTION_OPTIONS });
  const [id] = positionals(rest, 1);
  const fields = restrictionFields(values, true);
  if (Object.keys(fields).length === 0) {
    throw new UsageError(
      'restrict needs at least one of --allowed-origins, --allowed-cidrs, --rate-limit, --daily-limit.',
    );
  }
  return { id, input: await validated(UpdateApiKeyDto, fields) };
}

/**
 * The restriction options as the admin API's fields: lists split on commas, `N[/SECONDS]` as a
 * rate, and, for a change, `none` to lift one. What is not a number stays a string, so that the
 * validator names the problem.
 */
function restrictionFields(
  values: Record<string, string | undefined>,
  change: boolean,
): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  const lifted = (raw: string): boolean => change && raw === 'none';
  const list = (raw: string): string[] => (lifted(raw) ? [] : raw.split(',').map((item) => item.trim()));
  const number = (raw: string): number | string => (/^\d+$/.test(raw) ? Number(raw) : raw);
  if (values['allowed-origins'] !== undefined) {
    fields.allowedOrigins = list(values['allowed-origins']);
  }
  if (values['allowed-cidrs'] !== undefined) {
    fields.allowedCidrs = list(values['allowed-cidrs']);
  }
  const rate = values['rate-limit'];
  if (rate !== undefined) {
    const [requests, windowSeconds, ...extra] = rate.split('/');
    fields.rateLimit = lifted(rate)
      ? null
      : extra.length > 0
        ? rate
        : {
            requests: number(requests),
            ...(windowSeconds !== undefined && { windowSeconds: number(windowSeconds) }),
          };
  }
  const daily = values['daily-limit'];
  if (daily !== undefined) {
    fields.dailyLimit = lifted(daily) ? null : number(daily);
  }
  return fields;
}

/** Checked by the admin API's own DTO, so that the CLI and the REST API accept the same values. */
async function validated<T extends object>(dto: new () => T, plain: Record<string, unknown>): Promise<T> {
  const input = plainToInstance(dto, plain);
  const problems = listValidationProblems(
    await validate(input, { whitelist: true, forbidNonWhitelisted: true }),
  );
  if (problems.length > 0) {
    throw new UsageError(`Invalid options: ${problems.join('; ')}.`);
  }
  return input;
}

type OptionSpec = Record<string, { type: 'string' }>;

function parseOptions(args: string[], options: OptionSpec): { values: Record<string, string | undefined> } {
  try {
    const { values, positionals: extra } = parseArgs({ args, options, strict: true, allowPositionals: true });
    if (extra.length > 0) {
      throw new UsageError(`Unexpected argument "${extra[0]}".`);
    }
    return { values };
  } catch (error) {
    throw error instanceof UsageError ? error : new UsageError((error as Error).message);
  }
}

function parseOptionsAndPositionals(
  args: string[],
  options: OptionSpec,
): { values: Record<string, string | undefined>; rest: string[] } {
  try {
    const { values, positionals: rest } = parseArgs({ args, options, strict: true, allowPositionals: true });
    return { values, rest };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function positionals(args: string[], count: number): string[] {
  if (args.length !== count || args.some((arg) => arg.startsWith('-'))) {
    throw new UsageError(count === 0 ? 'This command takes no arguments.' : `Expected ${count} argument(s).`);
  }
  return args;
}

const COLUMNS: Array<[string, (key: ApiKeyDto) => string]> = [
  ['ID', (k) => k.id],
  ['NAME', (k) => k.name],
  ['TIER', (k) => k.tier],
  ['SCOPES', (k) => k.scopes.join(',')],
  ['ENABLED', (k) => (k.enabled ? 'yes' : 'no')],
  ['STATUS', (k) => k.status],
  ['DAILY LIMIT', dailyCell],
  ['RATE', rateCell],
  ['ORIGINS', originsCell],
  ['NETWORKS', networksCell],
  ['EXPIRES', (k) => k.expiresAt ?? '-'],
  ['LAST USED', (k) => k.lastUsedAt ?? '-'],
  ['CREATED', (k) => k.createdAt],
  ['NOTE', note],
];

function dailyCell(key: ApiKeyDto): string {
  return key.dailyLimit === null ? 'tier' : String(key.dailyLimit);
}

function rateCell(key: ApiKeyDto): string {
  return key.rateLimit === null ? 'tier' : `${key.rateLimit.requests}/${key.rateLimit.windowSeconds}s`;
}

function originsCell(key: ApiKeyDto): string {
  return key.allowedOrigins.length === 0 ? 'any' : key.allowedOrigins.join(',');
}

function networksCell(key: ApiKeyDto): string {
  return key.allowedCidrs.length === 0 ? 'any' : key.allowedCidrs.join(',');
}

/** One line of what a key is restricted to, as `restrict` reports it. */
function restrictionsOf(key: ApiKeyDto): string {
  return `origins ${originsCell(key)}, networks ${networksCell(key)}, rate ${rateCell(key)}, daily limit ${dailyCell(key)}`;
}

function note(key: ApiKeyDto): string {
  const parts = [];
  if (key.rotatedFrom) {
    parts.push(`rotated from ${key.rotatedFrom}`);
  }
  if (key.graceEndsAt) {
    parts.push(
      `${Date.parse(key.graceEndsAt) > Date.now() ? 'works until' : 'replaced at'} ${key.graceEndsAt}`,
    );
  }
  return parts.join('; ');
}

export function formatUsage(usage: ApiKeyUsageDto): string {
  const lines = usage.items.map((day) => `${day.date}  ${day.used}`);
  return `${['DATE        USED', ...lines, `total       ${usage.total}`].join('\n')}\n`;
}

export function formatTable(keys: ApiKeyDto[]): string {
  if (keys.length === 0) {
    return 'No keys.\n';
  }
  // Control characters in a name must not move the terminal's cursor.
  // eslint-disable-next-line no-control-regex
  const rows = keys.map((key) => COLUMNS.map(([, cell]) => cell(key).replace(/[\u0000-\u001f\u007f]/g, '?')));
  const header = COLUMNS.map(([title]) => title);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
