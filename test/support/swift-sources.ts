import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Reads the Swift client's sources (clients/swift/Sources) as far as the contract needs: the
 * types marked `// openapi: <Schema>` (properties, JSON names, Codable direction), the value sets
 * marked `// openapi-enum: <Schema>.<property>`, the unions marked `// openapi-oneof: A, B`, the
 * form fields marked `// openapi-fields: <Schema>`, and every `"METHOD /path"` route literal.
 * There is no Swift toolchain here: this is what lets the gateway's suite check the client.
 */

export interface SwiftProperty {
  name: string;
  /** The key in JSON: the CodingKeys raw value, else the property name. */
  jsonName: string;
  /** As written, e.g. `[OCRLine]`, `String?`. */
  type: string;
}

export interface SwiftDeclaration {
  name: string;
  file: string;
  marker: 'schema' | 'enum' | 'oneof' | 'fields';
  /** The schema (schema, fields), `Schema.property` (enum), or the schemas (oneof). */
  targets: string[];
  decodes: boolean;
  encodes: boolean;
  properties: SwiftProperty[];
  /** Raw values of an enum-like type, or the names of a fields marker. */
  values: string[];
}

export interface SwiftSources {
  declarations: Map<string, SwiftDeclaration>;
  routes: Array<{ method: string; path: string; file: string }>;
  /** Names of every struct, enum and class declared, marked or not. */
  declared: Set<string>;
}

export function readSwiftSources(dir: string): Array<{ file: string; text: string }> {
  const files: Array<{ file: string; text: string }> = [];
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) {
        walk(path);
      } else if (entry.name.endsWith('.swift')) {
        files.push({ file: relative(dir, path), text: readFileSync(path, 'utf8') });
      }
    }
  };
  walk(dir);
  return files;
}

const MARKER = /^\s*\/\/\s*openapi(-enum|-oneof|-fields)?:\s*(.+?)\s*$/;
const DECLARATION =
  /^\s*(?:public\s+|internal\s+|fileprivate\s+|private\s+)?(?:final\s+)?(struct|enum|class|actor)\s+(\w+)\s*(?::\s*([^{]+))?\{?/;
const PROPERTY =
  /^\s*(?:public\s+|internal\s+|fileprivate\s+|private\s+)?(?:let|var)\s+(\w+)\s*:\s*([^={]+?)\s*$/;
const ROUTE = /"(GET|POST|PUT|PATCH|DELETE) (\/[^"\s]*)"/g;

export function parseSwiftSources(files: Array<{ file: string; text: string }>): SwiftSources {
  const declarations = new Map<string, SwiftDeclaration>();
  const declared = new Set<string>();
  const routes: SwiftSources['routes'] = [];
  for (const { file, text } of files) {
    for (const match of text.matchAll(ROUTE)) {
      routes.push({ method: match[1], path: match[2], file });
    }
    const lines = text.split('\n');
    let pending: { marker: SwiftDeclaration['marker']; targets: string[] } | undefined;
    for (let i = 0; i < lines.length; i++) {
      const marker = MARKER.exec(lines[i]);
      if (marker !== null) {
        const kind = (marker[1]?.slice(1) ?? 'schema') as SwiftDeclaration['marker'];
        pending = { marker: kind, targets: marker[2].split(',').map((target) => target.trim()) };
        continue;
      }
      const declaration = DECLARATION.exec(lines[i]);
      if (declaration === null) {
        continue;
      }
      declared.add(declaration[2]);
      if (pending === undefined) {
        continue;
      }
      const conformances = (declaration[3] ?? '').split(',').map((c) => c.trim());
      const body = bodyLines(lines, i);
      declarations.set(declaration[2], {
        name: declaration[2],
        file,
        ...pending,
        decodes: conformances.some((c) => c === 'Decodable' || c === 'Codable'),
        encodes: conformances.some((c) => c === 'Encodable' || c === 'Codable'),
        properties: pending.marker === 'schema' ? properties(body) : [],
        values: values(body, declaration[2], pending.marker),
      });
      pending = undefined;
    }
  }
  return { declarations, routes, declared };
}

/** The lines inside the declaration's braces, each with its depth (1: the declaration's own level). */
function bodyLines(lines: string[], start: number): Array<{ text: string; depth: number }> {
  const body: Array<{ text: string; depth: number }> = [];
  let depth = 0;
  let opened = false;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i].replace(/\/\/.*$/, '');
    const before = depth;
    for (const char of line) {
      if (char === '{') {
        depth++;
        opened = true;
      } else if (char === '}') {
        depth--;
      }
    }
    if (i > start) {
      body.push({ text: line, depth: before });
    }
    if (opened && depth === 0) {
      break;
    }
  }
  return body;
}

function properties(body: Array<{ text: string; depth: number }>): SwiftProperty[] {
  const keys = codingKeys(body);
  return body
    .filter((line) => line.depth === 1 && !/\bstatic\b/.test(line.text))
    .flatMap((line) => {
      const match = PROPERTY.exec(line.text);
      if (match === null) {
        return [];
      }
      return [{ name: match[1], jsonName: keys.get(match[1]) ?? match[1], type: match[2].trim() }];
    });
}

/** `enum CodingKeys: String, CodingKey { case a = "b", c }`: Swift name → JSON name. */
function codingKeys(body: Array<{ text: string; depth: number }>): Map<string, string> {
  const keys = new Map<string, string>();
  const start = body.findIndex((line) => /enum\s+CodingKeys\b/.test(line.text));
  if (start === -1) {
    return keys;
  }
  for (const line of body.slice(start + 1)) {
    if (line.depth < 2) {
      break;
    }
    for (const item of line.text.replace(/^\s*case\s+/, '').split(',')) {
      const match = /^\s*(\w+)\s*(?:=\s*"([^"]*)")?\s*$/.exec(item);
      if (match !== null && /^\s*case\s/.test(line.text)) {
        keys.set(match[1], match[2] ?? match[1]);
      }
    }
  }
  return keys;
}

function values(
  body: Array<{ text: string; depth: number }>,
  name: string,
  marker: SwiftDeclaration['marker'],
): string[] {
  const own = body.filter((line) => line.depth === 1).map((line) => line.text);
  if (marker === 'fields') {
    return own.flatMap((line) => [...line.matchAll(/static\s+let\s+\w+\s*=\s*"([^"]+)"/g)].map((m) => m[1]));
  }
  if (marker !== 'enum') {
    return [];
  }
  const constants = own.flatMap((line) =>
    [
      ...line.matchAll(new RegExp(`static\\s+let\\s+\\w+\\s*=\\s*${name}\\(rawValue:\\s*"([^"]+)"\\)`, 'g')),
    ].map((m) => m[1]),
  );
  const cases = own
    .filter((line) => /^\s*case\s/.test(line))
    .flatMap((line) =>
      line
        .replace(/^\s*case\s+/, '')
        .split(',')
        .map((item) => /^\s*(\w+)\s*(?:=\s*"([^"]*)")?\s*$/.exec(item))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => m[2] ?? m[1]),
    );
  return [...constants, ...cases];
}

// --- the comparison with an OpenAPI document ---

interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  $ref?: string;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  nullable?: boolean;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, Schema> };
}

const PRIMITIVES: Record<string, (schema: Schema) => boolean> = {
  String: (s) => s.type === 'string' && s.format !== 'binary',
  Date: (s) => s.type === 'string' && s.format === 'date-time',
  Int: (s) => s.type === 'integer' || s.type === 'number',
  Double: (s) => s.type === 'number' || s.type === 'integer',
  Bool: (s) => s.type === 'boolean',
};

/**
 * Every way the Swift sources disagree with the document, one sentence each (none: they agree):
 * a decoded property the document does not have, or has with another type, or may leave out while
 * Swift requires it; a sent property the document refuses, or requires while Swift may leave it
 * out; an enum value the document does not list (and, at the marked property, one the document
 * lists that Swift does not know); a route the document does not have.
 */
export function compareWithDocument(sources: SwiftSources, document: OpenApiDocument): string[] {
  const problems: string[] = [];
  const schemas = document.components.schemas;
  const refName = (schema: Schema): string | undefined => {
    const ref = schema.$ref ?? (schema.allOf?.length === 1 ? schema.allOf[0].$ref : undefined);
    return ref?.replace('#/components/schemas/', '');
  };
  const resolve = (schema: Schema): Schema => {
    const name = refName(schema);
    return name === undefined ? schema : (schemas[name] ?? {});
  };

  const compatible = (type: string, schema: Schema, where: string): void => {
    const bare = type.replace(/\?$/, '').trim();
    const array = /^\[(.+)\]$/.exec(bare);
    if (array !== null) {
      const target = resolve(schema);
      if (target.type !== 'array' || target.items === undefined) {
        problems.push(`${where}: Swift decodes an array (${bare}), the document says ${describe(target)}`);
        return;
      }
      compatible(array[1], target.items, `${where}[]`);
      return;
    }
    const primitive = PRIMITIVES[bare];
    if (primitive !== undefined) {
      const target = resolve(schema);
      if (!primitive(target)) {
        problems.push(`${where}: Swift has ${bare}, the document says ${describe(target)}`);
      }
      return;
    }
    const declaration = sources.declarations.get(bare);
    if (declaration === undefined) {
      problems.push(`${where}: ${bare} is not a type this check knows (mark it // openapi…)`);
      return;
    }
    if (declaration.marker === 'schema') {
      if (refName(schema) !== declaration.targets[0]) {
        problems.push(
          `${where}: Swift has ${bare} (${declaration.targets[0]}), the document refers to ${refName(schema) ?? describe(schema)}`,
        );
      }
      return;
    }
    if (declaration.marker === 'enum') {
      const target = resolve(schema);
      const listed = (target.enum ?? []).map(String);
      if (target.type !== 'string' || listed.length === 0) {
        problems.push(`${where}: Swift has the enum ${bare}, the document says ${describe(target)}`);
        return;
      }
      for (const value of declaration.values.filter((v) => !listed.includes(v))) {
        problems.push(`${where}: ${bare} has "${value}", which the document does not list`);
      }
      return;
    }
    if (declaration.marker === 'oneof') {
      const target = resolve(schema);
      const members = (target.oneOf ?? target.anyOf ?? []).map(refName).sort();
      if (JSON.stringify(members) !== JSON.stringify([...declaration.targets].sort())) {
        problems.push(
          `${where}: ${bare} is one of ${declaration.targets.join(', ')}, the document says ${members.join(', ') || describe(target)}`,
        );
      }
      return;
    }
    problems.push(`${where}: ${bare} cannot be a property type`);
  };

  for (const declaration of sources.declarations.values()) {
    const [target] = declaration.targets;
    if (declaration.marker === 'schema' || declaration.marker === 'fields') {
      const schema = schemas[target];
      if (schema === undefined) {
        problems.push(`${declaration.name}: the document has no schema ${target}`);
        continue;
      }
      const documented = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      if (declaration.marker === 'fields') {
        for (const field of declaration.values.filter((f) => documented[f] === undefined)) {
          problems.push(`${declaration.name}: the form field "${field}" is not in ${target}`);
        }
        continue;
      }
      for (const property of declaration.properties) {
        const where = `${declaration.name}.${property.name} (${target}.${property.jsonName})`;
        const schemaProperty = documented[property.jsonName];
        if (schemaProperty === undefined) {
          problems.push(`${where}: not in the document`);
          continue;
        }
        const optional = property.type.endsWith('?');
        if (
          declaration.decodes &&
          !optional &&
          (!required.has(property.jsonName) || schemaProperty.nullable === true)
        ) {
          problems.push(`${where}: the document may leave it out or null, Swift requires it`);
        }
        if (declaration.encodes && !declaration.decodes && optional && required.has(property.jsonName)) {
          problems.push(`${where}: the document requires it, Swift may leave it out`);
        }
        compatible(property.type, schemaProperty, where);
      }
      if (declaration.encodes && !declaration.decodes) {
        const sent = new Set(declaration.properties.map((p) => p.jsonName));
        for (const missing of [...required].filter((name) => !sent.has(name))) {
          problems.push(
            `${declaration.name}: the document requires ${target}.${missing}, Swift never sends it`,
          );
        }
      }
    }
    if (declaration.marker === 'enum') {
      const [schemaName, propertyName] = target.split('.');
      const property = schemas[schemaName]?.properties?.[propertyName];
      const values =
        property === undefined ? undefined : (resolve(property).items ?? resolve(property)).enum?.map(String);
      if (values === undefined) {
        problems.push(`${declaration.name}: the document has no enum at ${target}`);
        continue;
      }
      for (const value of values.filter((v) => !declaration.values.includes(v))) {
        problems.push(
          `${declaration.name}: the document lists "${value}" at ${target}, Swift does not know it`,
        );
      }
      for (const value of declaration.values.filter((v) => !values.includes(v))) {
        problems.push(
          `${declaration.name}: Swift has "${value}", the document does not list it at ${target}`,
        );
      }
    }
  }

  for (const route of sources.routes) {
    if (document.paths[route.path]?.[route.method.toLowerCase()] === undefined) {
      problems.push(`${route.file}: the document has no ${route.method} ${route.path}`);
    }
  }
  return problems;
}

function describe(schema: Schema): string {
  if (schema.$ref !== undefined) {
    return schema.$ref;
  }
  return [schema.type ?? 'no type', schema.format].filter(Boolean).join(' ');
}
