import { escapeControls } from './terminal-text.js';

/** A located diagnostic: what rule and configuration loaders collect instead of throwing. */

export interface Location {
  file: string;
  line?: number;
  column?: number;
  record?: number;
  offset?: number;
}

export type Severity = 'error' | 'warning';

export interface Problem {
  /** Stable, machine-readable code such as `rule.unknown_modifier`. */
  code: string;
  severity: Severity;
  message: string;
  location?: Location;
  /** The offending text, as written in the input. */
  snippet?: string;
}

/** Writes a count with its noun, singular for one: `1 problem`, `3 problems`. */
export function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function formatLocation(location: Location | undefined): string {
  if (!location) return '';
  let text = location.file;
  if (location.line !== undefined && location.line > 0) {
    text += `:${location.line}`;
    if (location.column !== undefined && location.column > 0) text += `:${location.column}`;
  }
  if (location.record !== undefined) text += ` record ${location.record}`;
  if (location.offset !== undefined) text += ` offset ${location.offset}`;
  return text;
}

/**
 * Formats a problem for the terminal as `file:line:col: severity code: message`, with the
 * snippet on a second line. Control characters of the file name, message and snippet are shown
 * as escapes, so the one line break is the one between head and snippet.
 */
export function formatProblem(problem: Problem): string {
  const where = formatLocation(problem.location);
  const head = `${where ? `${where}: ` : ''}${problem.severity} ${problem.code}: ${problem.message}`;
  if (problem.snippet === undefined || problem.snippet === '') return escapeControls(head);
  const snippet = problem.snippet.split('\n')[0]?.slice(0, 200) ?? '';
  return `${escapeControls(head)}\n    ${escapeControls(snippet)}`;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((problem) => problem.severity === 'error');
}
