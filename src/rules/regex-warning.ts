import { translateRegex } from './regex.js';
import { findAmbiguousRepetition } from './regex-ambiguity.js';
import type { SearchDefinition } from './rule.js';

type Report = (path: (string | number)[], code: string, message: string) => void;

/** A leading inline flag group such as `(?i)`, which translateRegex turns into flags. */
const LEADING_FLAGS = /^\(\?([imsx]+)\)/;

/**
 * Warns about `|re` values with a repetition, or a run of repetitions, that can backtrack
 * catastrophically (regex-ambiguity.ts), and names how the scan bounds them. A value that does not translate is
 * not checked here: the search reports it as an error when it compiles.
 */
export function warnBacktracking(search: SearchDefinition, warn: Report): void {
  const maps = Array.isArray(search.value) ? search.value : [search.value];
  maps.forEach((map, index) => {
    if (map === null || typeof map !== 'object') return;
    for (const [key, value] of Object.entries(map as Record<string, unknown>)) {
      const modifiers = key.split('|');
      if (!modifiers.includes('re')) continue;
      const flags = {
        i: modifiers.includes('i'),
        m: modifiers.includes('m'),
        s: modifiers.includes('s'),
      };
      for (const pattern of Array.isArray(value) ? value : [value]) {
        if (typeof pattern !== 'string') continue;
        const translated = translateRegex(pattern, flags);
        if (typeof translated === 'string') continue;

        const leading = LEADING_FLAGS.exec(pattern);
        const body = pattern.slice(leading?.[0].length ?? 0);
        const inline = leading?.[1] ?? '';
        const repetition = findAmbiguousRepetition(body, {
          ignoreCase: flags.i || inline.includes('i'),
          dotAll: flags.s || inline.includes('s'),
          unicode: false,
        });
        if (!repetition) continue;

        const path = Array.isArray(search.value)
          ? [...search.path, index, key]
          : [...search.path, key];
        // Backreferences, lookaround and counts above 16 keep an expression off the
        // linear-time engine.
        const outcome = translated.linear
          ? "such matches switch to V8's linear-time engine, which keeps the scan going but " +
            'slows the rule'
          : 'it runs under settings.limits.regex_budget_ms per evaluation, an evaluation over ' +
            'it counts as no match, and after settings.limits.regex_timeouts of them the rule ' +
            'stops running';
        const part = JSON.stringify(body.slice(repetition.start, repetition.end));
        const subject = repetition.several ? `repetitions ${part}` : `repetition ${part}`;
        const pronoun = repetition.several ? 'they' : 'it';
        warn(
          path,
          'rule.regex_backtracking',
          `${key}: the ${subject} in ${JSON.stringify(pattern)} can match the same text in ` +
            `more than one way, so ${pronoun} can backtrack catastrophically; ${outcome}`,
        );
      }
    }
  });
}
