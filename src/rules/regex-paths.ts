import type { Budget, MatchGraph } from './regex-automaton.js';
import { type CharSet, intersects } from './regex-charset.js';
import { matchesFromStart, pathText } from './regex-witness.js';

/**
 * Counts the paths that one failing match attempt explores through counted and optional parts.
 * Their number grows exponentially with the counts although every part is bounded. In
 * `(a{1,10}){1,10}b` a run of `a` splits among up to ten copies in billions of ways, and in
 * `(a?){20}a{20}` each `a?` can take an `a` or leave it to `a{20}`. A backtracking engine
 * explores every one of them before it gives up on the text. The count runs over an automaton
 * without cycles (regex-automaton.ts reads each loop as one iteration), so polynomial growth
 * through loops is left to regex-trading.ts and regex-trading-chain.ts.
 *
 * The failing texts tried are runs of one character that two next positions of a start can both
 * read. An attempt starts at the start of the expression or after any position, which a text
 * led to. A path is counted at each length it reaches, since each is one step that the engine
 * takes back. A run that some path matches ends the count there, because the engine stops at the
 * first match.
 *
 * NOTE: only runs of one character are tried, so ways to match that part only on texts mixing
 * two or more characters are not counted.
 */

/**
 * Paths that one match attempt may explore before it is reported. `(a|a){16}b` explores
 * 2^17 - 2 of them on a run of 16 `a` and is not reported. The search inside repetitions
 * (regex-ambiguity.ts) also leaves it unreported, but reads `(a|a){17}b` as a loop and reports
 * it, so 16 copies with two ways each are the most that either leaves unreported.
 *
 * Times measured with Node 20.20 on an AMD EPYC core, over 2,000 characters of failing runs:
 * `(a|a){1,16}b` takes 0.2 s on runs of 16 `a` and 1.6 s on runs of 40. `(?:x?){15}x{15}`
 * (245,759 paths on 14 `x`) takes 0.6 s, and `(?:x?){12}x{12}` (24,575 paths) 0.07 s.
 */
export const MAX_EXPLORED_PATHS = 2 ** 17;

/**
 * Returns the positions where the paths of a failing match attempt part or meet, when it
 * explores more than `MAX_EXPLORED_PATHS` of them. Returns undefined when there is no such
 * attempt or the budget runs out.
 */
export function findPathExplosion(graph: MatchGraph, budget: Budget): number[] | undefined {
  if (graph.nullable) return undefined;

  // Starts in the order of the expression, each with the characters its next positions share.
  const starts = new Map<number, { from: number; targets: Map<number, number> }[]>();
  const addStart = (from: number, targets: Map<number, number>) => {
    budget.steps -= targets.size;
    if (targets.size < 2 || budget.steps < 0) return;
    const sets = [...targets.keys()].map((position) => graph.sets[position] as CharSet);
    for (const code of sharedMembers(sets)) {
      const list = starts.get(code) ?? [];
      list.push({ from, targets });
      starts.set(code, list);
    }
  };
  addStart(-1, new Map(graph.first.map((position) => [position, 1])));
  graph.edges.forEach((targets, position) => {
    if (!graph.accepting[position]) addStart(position, targets);
  });
  if (budget.steps < 0) return undefined;

  // A start that a failing run from an earlier start passed through explores part of that run.
  for (const [code, list] of starts) {
    const reached = new Set<number>();
    for (const { from, targets } of list) {
      if (reached.has(from)) continue;
      const count = countPaths(graph, targets, code, budget);
      if (count === undefined) return undefined;
      if (!count.matched) for (const position of count.reached) reached.add(position);
      if (count.explored <= MAX_EXPLORED_PATHS) continue;

      // Another path of the expression may match the text, which would end the search first.
      const prefix = from < 0 ? [] : pathText(graph, graph.first, from, () => true, budget);
      if (prefix === undefined) return undefined;
      const run: number[] = Array(count.length).fill(code);
      if (prefix && !matchesFromStart(graph, [...prefix, ...run], budget)) return count.merged;
    }
  }
  return undefined;
}

interface PathCount {
  /** Paths explored up to the first length that some path matches, or to the end. */
  explored: number;
  /** Whether the run got long enough to match. */
  matched: boolean;
  /** Length of the run when the count stopped. */
  length: number;
  /** Positions that the run reached. */
  reached: Set<number>;
  /** Positions that more than one path reached, or one while others were elsewhere. */
  merged: number[];
}

/**
 * Follows every path from `targets` over a run of `code` until they end, and counts those
 * explored before the run is long enough to match. Returns undefined when the budget runs out.
 */
function countPaths(
  graph: MatchGraph,
  targets: Map<number, number>,
  code: number,
  budget: Budget,
): PathCount | undefined {
  const reads = (position: number) => intersects(graph.sets[position] as CharSet, [code, code]);
  let active = new Map<number, number>();
  for (const [position, ways] of targets) {
    if (reads(position)) active.set(position, ways);
  }
  let explored = 0;
  let length = 0;
  let matched = false;
  const reached = new Set<number>();
  const merged = new Set<number>();
  while (active.size > 0) {
    length++;
    for (const [position, paths] of active) {
      matched ||= graph.accepting[position] === true;
      reached.add(position);
      if (paths > 1 || active.size > 1) merged.add(position);
    }
    if (!matched) for (const paths of active.values()) explored += paths;
    if (matched || explored > MAX_EXPLORED_PATHS) break;

    const next = new Map<number, number>();
    for (const [position, paths] of active) {
      const edges = graph.edges[position] as Map<number, number>;
      budget.steps -= edges.size;
      for (const [target, ways] of edges) {
        if (reads(target)) next.set(target, (next.get(target) ?? 0) + paths * ways);
      }
    }
    if (budget.steps < 0) return undefined;
    active = next;
  }
  // The positions the run would still reach belong to the part at fault too.
  if (explored > MAX_EXPLORED_PATHS) {
    const queue = [...active.keys()];
    for (let at = 0; at < queue.length; at++) {
      for (const target of (graph.edges[queue[at] as number] as Map<number, number>).keys()) {
        if (merged.has(target) || !reads(target)) continue;
        merged.add(target);
        queue.push(target);
      }
    }
  }
  return { explored, matched, length, reached, merged: [...merged] };
}

/**
 * Returns one member of each range of characters that two or more of the sets contain, which
 * are the characters on which paths from these positions part.
 */
function sharedMembers(sets: CharSet[]): number[] {
  const bounds: [number, number][] = [];
  for (const set of sets) {
    for (let at = 0; at < set.length; at += 2) {
      bounds.push([set[at] as number, 1], [(set[at + 1] as number) + 1, -1]);
    }
  }
  bounds.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const members: number[] = [];
  let depth = 0;
  for (let at = 0; at < bounds.length; at++) {
    const [code, change] = bounds[at] as [number, number];
    depth += change;
    const nextCode = bounds[at + 1]?.[0];
    if (depth >= 2 && nextCode !== undefined && nextCode > code) members.push(code);
  }
  return members;
}
