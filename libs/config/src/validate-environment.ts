import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

export interface EnvironmentProblem {
  variable: string;
  /** Starts with the variable's name; never quotes its value (a URL may hold a password). */
  message: string;
}

/** A wrong type says more than a range check on it ("PORT must be an integer", not "... below 65535"). */
const TYPE_CONSTRAINTS = ['isInt', 'isNumber', 'isBoolean', 'isString', 'isIn', 'matches'];

/** One problem per variable: its type constraint if that failed, else the first that did. */
function describe(error: ValidationError): EnvironmentProblem[] {
  const constraints = error.constraints ?? {};
  const key = TYPE_CONSTRAINTS.find((name) => name in constraints) ?? Object.keys(constraints)[0];
  return key === undefined ? [] : [{ variable: error.property, message: constraints[key] }];
}

/**
 * The environment read into `dto` (its defaults for what is unset), and what is wrong with it.
 * An empty variable (`FOO=` in a compose file) means "use the default", not "the empty string".
 */
export function validateEnvironment<T extends object>(
  dto: ClassConstructor<T>,
  env: Record<string, string | undefined>,
): { vars: T; problems: EnvironmentProblem[] } {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const vars = plainToInstance(dto, present, { exposeDefaultValues: true });
  return { vars, problems: validateSync(vars, { forbidUnknownValues: false }).flatMap(describe) };
}
