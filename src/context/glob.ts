/**
 * Account and host globs of the context file: `*` any run of characters, `?` one character,
 * matched case-insensitively over the whole value. Every other character is literal, the
 * backslash included, so that `CONTOSO\acme-*` reads as written.
 */
export function compileGlob(pattern: string): RegExp {
  let source = '^';
  for (const char of pattern) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${source}$`, 'isu');
}
