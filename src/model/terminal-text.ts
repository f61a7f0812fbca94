/**
 * Text from logs, rules and context files made safe to print on a terminal. Values such as user
 * names, command lines and file names can carry escape sequences that recolour or clear the
 * screen, move the cursor, set the window title or, with a line break, fake an output line. The
 * human outputs (alert table, hit table, explain, listings, summaries, errors) pass such values
 * through `escapeControls`; JSON, NDJSON and OCSF outputs keep every value exact.
 */

/**
 * C0 controls (line breaks and tab among them), DEL, C1 controls (ESC is U+001B, CSI U+009B)
 * and the Unicode bidirectional embeddings, overrides and isolates, which reorder what follows.
 */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function toVisibleEscape(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  const digits = code.toString(16).padStart(code <= 0xff ? 2 : 4, '0');
  return code <= 0xff ? `\\x${digits}` : `\\u${digits}`;
}

/**
 * Writes every control character of `text` as a visible escape: `\x1b` for ESC, `\n`, `\r` and
 * `\t` for line breaks and tabs, `\u202e` for a bidirectional override. Other text, backslashes
 * included, stays as it is, so the result of one call passes through a second unchanged.
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, toVisibleEscape);
}

/**
 * Escapes each line of a message whose line breaks are its layout (a list of problems), keeping
 * the breaks. Values inside such a message must be escaped where they are put in.
 */
export function escapeControlLines(text: string): string {
  return text.split('\n').map(escapeControls).join('\n');
}
