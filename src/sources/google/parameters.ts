import { isObject, type JsonObject } from '../json-shape.js';

/**
 * Admin SDK Reports parameters. The API writes each as `{name, value | intValue | boolValue |
 * multiValue | multiIntValue | messageValue | multiMessageValue}`. trustwatch keeps them as a map
 * from name to value (`parameters.client_id`, `parameters.scope`), the shape that Panther's
 * export and most rule sets use. `intValue` is an int64 that the API writes as a string, and it
 * becomes a number when it fits one exactly. A message value becomes a map of its own
 * parameters.
 */

const VALUE_KEYS = [
  'value',
  'boolValue',
  'intValue',
  'multiValue',
  'multiIntValue',
  'messageValue',
  'multiMessageValue',
] as const;

export function parameterMap(parameters: unknown): JsonObject {
  if (isObject(parameters)) return parameters;
  const map: JsonObject = {};
  if (!Array.isArray(parameters)) return map;
  for (const parameter of parameters) {
    if (!isObject(parameter) || typeof parameter.name !== 'string') continue;
    map[parameter.name] = parameterValue(parameter);
  }
  return map;
}

function parameterValue(parameter: JsonObject): unknown {
  for (const key of VALUE_KEYS) {
    const value = parameter[key];
    if (value === undefined) continue;
    switch (key) {
      case 'intValue':
        return integer(value);
      case 'multiIntValue':
        return Array.isArray(value) ? value.map(integer) : value;
      case 'messageValue':
        return isObject(value) ? parameterMap(value.parameter) : value;
      case 'multiMessageValue':
        return Array.isArray(value)
          ? value.map((item) => (isObject(item) ? parameterMap(item.parameter) : item))
          : value;
      default:
        return value;
    }
  }
  return null;
}

function integer(value: unknown): unknown {
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) return value;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : value;
}
