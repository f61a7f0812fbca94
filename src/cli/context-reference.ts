import { z } from 'zod';
import { contextSchema } from '../context/schema.js';
import { DEFAULT_PLACEHOLDERS } from '../rules/placeholders.js';

/**
 * Renders the reference of trustwatch.yaml from the schema's descriptions, so that the docs and
 * the validation cannot drift apart (docs/context.md is this output; a test compares them).
 */

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
  minimum?: number;
  maximum?: number;
  pattern?: string;
}

function typeOf(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((value) => `\`${String(value)}\``).join(' \\| ');
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' or ');
  if (schema.type === 'array') return `list of ${schema.items ? typeOf(schema.items) : 'values'}`;
  if (
    schema.type === 'object' &&
    schema.additionalProperties &&
    typeof schema.additionalProperties === 'object'
  ) {
    return `map of ${typeOf(schema.additionalProperties)}`;
  }
  if (schema.pattern?.includes('ms|s|m|h|d|w')) return 'duration';
  return Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'value');
}

function defaultOf(schema: JsonSchema): string {
  if (schema.default === undefined) return '';
  const value = JSON.stringify(schema.default);
  return value === '{}' || value === '[]' ? '' : `\`${value}\``;
}

function rows(schema: JsonSchema, prefix: string, out: string[]): void {
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    const description = (property.description ?? '').replace(/\|/g, '\\|');
    out.push(`| \`${path}\` | ${typeOf(property)} | ${defaultOf(property)} | ${description} |`);
    const nested = property.type === 'array' ? property.items : property;
    if (nested?.properties) rows(nested, property.type === 'array' ? `${path}[]` : path, out);
  }
}

export function renderContextReference(): string {
  const schema = z.toJSONSchema(contextSchema, { io: 'input' }) as JsonSchema;
  const out = [
    '# trustwatch.yaml reference',
    '',
    'Generated from the schema that validates the file (`npm run docs:context`). Unknown keys are',
    'errors; every problem is reported with its file, line and value.',
    '',
    '| key | type | default | meaning |',
    '|---|---|---|---|',
  ];
  rows(schema, '', out);
  out.push('', '## Placeholders of the shipped rules', '');
  out.push(
    'Set under `settings.placeholders.<name>` as a list; the list replaces the default.',
    '',
  );
  out.push('| name | default | meaning |', '|---|---|---|');
  for (const [name, placeholder] of Object.entries(DEFAULT_PLACEHOLDERS)) {
    const values = placeholder.values.map((value) => `\`${String(value)}\``).join(', ');
    out.push(`| \`${name}\` | ${values.replace(/\|/g, '\\|')} | ${placeholder.description} |`);
  }
  return `${out.join('\n')}\n`;
}
