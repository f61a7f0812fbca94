import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_RULES_PATH } from '../../src/cli/common.js';
import { loadRulePaths, type RuleSet } from '../../src/rules/load.js';
import { cacheDirectory, ParsedRuleCache } from '../../src/rules/parsed-rule-cache.js';
import { placeholderLookup } from '../../src/rules/placeholders.js';

/**
 * The shipped pack loaded through the cache file, cold and warm, against a load without it,
 * and a rule folder whose files change, break or hold values that JSON cannot keep.
 */

const placeholders = placeholderLookup({});

function load(paths: string[], parsed?: ParsedRuleCache): Promise<RuleSet> {
  return loadRulePaths(paths, { placeholders, ...(parsed ? { parsed } : {}) });
}

/** Returns what a load gives, as text: the rules without their matchers, and every problem. */
function summary(set: RuleSet): string {
  return JSON.stringify({
    rules: set.rules,
    problems: set.problems,
    rejected: set.rejected,
    skipped: set.skipped,
    documents: set.documents,
  });
}

/** Loads `paths` through the cache file of `folder`, and returns the cache and the load's summary. */
async function loadThrough(
  folder: string,
  paths: string[] = [DEFAULT_RULES_PATH],
  product = '1.0.0',
): Promise<{ cache: ParsedRuleCache; loaded: string }> {
  const cache = ParsedRuleCache.open(folder, product);
  const loaded = summary(await load(paths, cache));
  return { cache, loaded };
}

function cacheFolder(): string {
  return mkdtempSync(join(tmpdir(), 'trustwatch-rule-cache-'));
}

describe('ParsedRuleCache', () => {
  it('loads the pack as a load without it does', async () => {
    const folder = cacheFolder();
    const plain = summary(await load([DEFAULT_RULES_PATH]));

    const cold = ParsedRuleCache.open(folder, '1.0.0');
    assert.equal(summary(await load([DEFAULT_RULES_PATH], cold)), plain);
    assert.equal(cold.hits, 0);
    assert.ok(cold.misses > 50, `${cold.misses} texts parsed`);
    assert.equal(cold.save(), true);

    const warm = ParsedRuleCache.open(folder, '1.0.0');
    assert.equal(summary(await load([DEFAULT_RULES_PATH], warm)), plain);
    assert.equal(warm.misses, 0);
    assert.equal(warm.hits, cold.misses);
  });

  it('parses a changed file again', async () => {
    const folder = cacheFolder();
    const rules = mkdtempSync(join(tmpdir(), 'trustwatch-rules-'));
    const file = join(rules, 'vendor.yml');
    const rule = (title: string) =>
      [
        `title: ${title}`,
        'id: 4f7f0b55-4a0e-4a38-9c55-7d6f3f0f2a01',
        'logsource: {product: windows, service: security}',
        'detection:',
        '  selection: {EventID: 4624, TargetUserName|startswith: vendor_}',
        '  condition: selection',
        '',
      ].join('\n');
    writeFileSync(file, rule('Vendor logon'));
    (await loadThrough(folder, [rules])).cache.save();

    writeFileSync(file, rule('Vendor account logon'));
    const { cache, loaded } = await loadThrough(folder, [rules]);
    assert.equal(cache.misses, 1);
    assert.match(loaded, /"title":"Vendor account logon"/);
  });

  it('reads past a damaged cache file', async () => {
    const folder = cacheFolder();
    (await loadThrough(folder)).cache.save();
    const file = join(folder, 'rule-yaml.cache');
    const lines = readFileSync(file, 'utf8').split('\n');
    // Every value cut in half, as a full disk could leave them.
    const damaged = lines.map((line, index) =>
      index === 0 ? line : line.slice(0, Math.floor(line.length / 2)),
    );
    writeFileSync(file, damaged.join('\n'));

    const second = await loadThrough(folder);
    assert.equal(second.loaded, summary(await load([DEFAULT_RULES_PATH])));
    assert.equal(second.cache.hits, 0);

    writeFileSync(file, 'not a cache\nabc {"title": 1}\n');
    assert.equal((await loadThrough(folder)).cache.hits, 0);
  });

  it('reads no file with a changed value', async () => {
    const folder = cacheFolder();
    const first = await loadThrough(folder);
    first.cache.save();
    const file = join(folder, 'rule-yaml.cache');
    // Still valid JSON, so only the file's hash can tell.
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('"EventID":4624', '"EventID":4625'));
    assert.notEqual(readFileSync(file, 'utf8'), text);

    const second = await loadThrough(folder);
    assert.equal(second.loaded, first.loaded);
    assert.equal(second.cache.hits, 0);
    assert.equal(second.cache.save(), true);
    assert.equal((await loadThrough(folder)).cache.misses, 0);
  });

  it('leaves a folder or a pipe in its place alone', {
    skip: process.platform === 'win32',
  }, async () => {
    const folder = cacheFolder();
    mkdirSync(join(folder, 'rule-yaml.cache'));
    assert.equal((await loadThrough(folder)).cache.save(), false);
    assert.deepEqual(readdirSync(folder), ['rule-yaml.cache']);

    const piped = cacheFolder();
    execFileSync('mkfifo', [join(piped, 'rule-yaml.cache')]);
    assert.equal((await loadThrough(piped)).cache.hits, 0);
  });

  it('reads no file of another version', async () => {
    const folder = cacheFolder();
    (await loadThrough(folder, [DEFAULT_RULES_PATH], '1.0.0')).cache.save();
    assert.equal((await loadThrough(folder, [DEFAULT_RULES_PATH], '1.1.0')).cache.hits, 0);
    assert.equal((await loadThrough(folder, [DEFAULT_RULES_PATH], '1.0.0')).cache.misses, 0);
  });

  it('keeps only values that JSON gives back', () => {
    const cache = ParsedRuleCache.open(undefined, '1.0.0');
    cache.set('a', { count: Number.NaN });
    cache.set('b', { count: -0 });
    cache.set('c', { list: [1, 'two', null, true, { three: 3 }] });
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.get('b'), undefined);
    assert.deepEqual(cache.get('c'), { value: { list: [1, 'two', null, true, { three: 3 }] } });
  });

  it('keeps text beyond ASCII as escapes', async () => {
    const folder = cacheFolder();
    const cache = ParsedRuleCache.open(folder, '1.0.0');
    const value = { title: 'Emoji \u{1f600} in a command line, é and \u2028' };
    cache.set('rule', value);
    assert.equal(cache.save(), true);
    const file = readFileSync(join(folder, 'rule-yaml.cache'), 'utf8');
    assert.match(file, /^[\x00-\x7f]*$/);
    assert.deepEqual(ParsedRuleCache.open(folder, '1.0.0').get('rule'), { value });
  });

  it('gives each reader its own value', () => {
    const cache = ParsedRuleCache.open(undefined, '1.0.0');
    cache.set('rule', { tags: ['attack.t1199'] });
    const first = cache.get('rule')?.value as { tags: string[] };
    first.tags.push('changed');
    assert.deepEqual(cache.get('rule'), { value: { tags: ['attack.t1199'] } });
  });
});

describe('cacheDirectory', () => {
  it('takes the folder the environment names', () => {
    assert.equal(
      cacheDirectory({ TRUSTWATCH_CACHE_DIR: '/srv/cache' }, 'linux', '/home/a'),
      '/srv/cache',
    );
    assert.equal(cacheDirectory({ TRUSTWATCH_CACHE_DIR: 'off' }, 'linux', '/home/a'), undefined);
  });

  it('follows each platform', () => {
    assert.equal(cacheDirectory({ XDG_CACHE_HOME: '/x' }, 'linux', '/home/a'), '/x/trustwatch');
    assert.equal(cacheDirectory({}, 'linux', '/home/a'), '/home/a/.cache/trustwatch');
    assert.equal(cacheDirectory({}, 'darwin', ''), undefined);
    assert.equal(
      cacheDirectory({ LOCALAPPDATA: 'C:\\Users\\a\\AppData\\Local' }, 'win32', 'C:\\Users\\a'),
      join('C:\\Users\\a\\AppData\\Local', 'trustwatch', 'cache'),
    );
  });
});
