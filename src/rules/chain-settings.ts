import type { ChainSettingsSource } from '../context/load.js';
import type { Problem } from '../model/problem.js';
import type { Rule } from './rule.js';

/**
 * Checks the keys of `settings.chains` against the chain rules, once rules are loaded: a key
 * must be the analytic id or the name of a chain, and each key under it a step of that chain.
 * A key that names no loaded chain is still valid when it names a chain of the shipped pack,
 * so that one context file serves runs without the pack (`--no-default-rules`). Keys are
 * compared as written, because the scan looks them up so. A key that differs only in case is
 * reported with the spelling that would apply.
 */

interface ChainNames {
  /** The analytic id and the rule name of the chain, each when it has one. */
  keys: string[];
  steps: string[];
}

function chainNames(rules: readonly Rule[]): ChainNames[] {
  const chains: ChainNames[] = [];
  for (const rule of rules) {
    if (rule.kind !== 'correlation' || rule.type !== 'chain') continue;
    const keys = [rule.meta.analytic, rule.meta.name].filter(
      (key): key is string => key !== undefined,
    );
    chains.push({ keys, steps: rule.steps.map((step) => step.name) });
  }
  return chains;
}

/**
 * Returns the problems of `settings.chains`. `shipped` loads the rules of the shipped pack, and
 * it is called only when a key names none of the `loaded` rules.
 */
export async function checkChainSettings(
  context: ChainSettingsSource,
  loaded: readonly Rule[],
  shipped: () => Promise<readonly Rule[]>,
): Promise<Problem[]> {
  const settings = context.chains;
  const keys = Object.keys(settings);
  if (keys.length === 0) return [];

  const loadedChains = chainNames(loaded);
  let shippedChains: ChainNames[] | undefined;
  const problems: Problem[] = [];
  const report = (path: string[], code: string, message: string): void => {
    const where = context.locate?.(['settings', 'chains', ...path], true) ?? {
      location: { file: context.file ?? 'trustwatch.yaml' },
      snippet: '',
    };
    problems.push({ code, severity: 'error', message, ...where });
  };

  for (const key of keys) {
    let matches = loadedChains.filter((chain) => chain.keys.includes(key));
    if (matches.length === 0) {
      shippedChains ??= chainNames(await shipped());
      matches = shippedChains.filter((chain) => chain.keys.includes(key));
    }

    if (matches.length === 0) {
      const known = [...loadedChains, ...(shippedChains ?? [])].flatMap((chain) => chain.keys);
      const spelled = known.find((name) => name.toLowerCase() === key.toLowerCase());
      const hint = spelled ? `; keys are compared as written: did you mean "${spelled}"?` : '';
      const list = [...new Set(known)].sort().join(', ') || 'none';
      report(
        [key],
        'config.unknown_chain',
        `settings.chains.${key}: no loaded or shipped chain rule has the analytic id or name "${key}"${hint} (the chains are ${list})`,
      );
      continue;
    }

    const steps = [...new Set(matches.flatMap((chain) => chain.steps))];
    for (const step of Object.keys(settings[key] ?? {})) {
      if (steps.includes(step)) continue;
      report(
        [key, step],
        'config.unknown_chain_step',
        `settings.chains.${key}.${step}: chain ${key} has no step "${step}" (its steps are ${steps.join(', ')})`,
      );
    }
  }
  return problems;
}
