import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { parseArgs } from 'node:util';
import type { ApiKeysService } from '../api-keys/api-keys.service';
import { ApiKeyDto } from '../api-keys/dto/api-key.dto';
import type { ApiKeyUsageDto } from '../api-keys/dto/api-key-usage.dto';
import { CreateApiKeyDto } from '../api-keys/dto/create-api-key.dto';
import { RotateApiKeyDto } from '../api-keys/dto/rotate-api-key.dto';
import { UsageQueryDto } from '../api-keys/dto/usage-query.dto';
import { listValidationProblems } from '../common/pipes/validation.pipe';

export const USAGE = `Usage: npm run --silent keys -- <command>

  create --name NAME --tier TIER [--scopes ocr,admin,tokens] [--daily-limit N] [--expires-at ISO-8601]
         prints only the new key on stdout: store it, it is not shown again
  list   the keys that are not revoked, with their status (never a secret)
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

async function parseCreate(args: string[]): Promise<CreateApiKeyDto> {
  const { values } = parseOptions(args, {
    name: { type: 'string' },
    tier: { type: 'string' },
    scopes: { type: 'string' },
    'daily-limit': { type: 'string' },
    'expires-at': { type: 'string' },
  });
  if (values.name === undefined || values.tier === undefined) {
    throw new UsageError('create needs --name and --tier.');
  }
  const dailyLimit = values['daily-limit'];
  const input = plainToInstance(CreateApiKeyDto, {
    name: values.name,
    tier: values.tier,
    scopes: values.scopes?.split(',').map((scope) => scope.trim()),
    // A non-number stays a string, so that the validator names the problem.
    dailyLimit: dailyLimit !== undefined && /^\d+$/.test(dailyLimit) ? Number(dailyLimit) : dailyLimit,
    expiresAt: values['expires-at'],
  });
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
  ['DAILY LIMIT', (k) => (k.dailyLimit === null ? 'tier' : String(k.dailyLimit))],
  ['EXPIRES', (k) => k.expiresAt ?? '-'],
  ['LAST USED', (k) => k.lastUsedAt ?? '-'],
  ['CREATED', (k) => k.createdAt],
  ['NOTE', note],
];

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
