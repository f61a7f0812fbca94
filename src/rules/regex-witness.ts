import type { Budget, MatchGraph } from './regex-automaton.js';
import { type CharSet, intersects } from './regex-charset.js';

/**
 * Texts that lead through a position automaton (regex-automaton.ts), and whether a match
 * attempt at their start succeeds. The backtracking analyses build a failing text from what they
 * find and report it only when no path of the whole expression matches it, since the engine
 * stops at the first match.
 *
 * NOTE: the engine tries alternatives in order, so it can explore every way through an earlier
 * one before a later one matches. `(?:(a?){20}a{20}b|a)` takes 0.6 s on 30 `a` and `!`, but it
 * is not reported, because its `a` matches that text.
 */

/**
 * Returns a shortest text that leads from `starts` to `target` through positions that `allowed`
 * accepts, false when there is none, or undefined when the budget runs out.
 */
export function pathText(
  graph: MatchGraph,
  starts: readonly number[],
  target: number,
  allowed: (position: number) => boolean,
  budget: Budget,
): number[] | false | undefined {
  const parents = new Map<number, number>();
  // An end anchor reads no character, so no text leads through it.
  const passable = (position: number) => graph.sets[position]?.length !== 0 && allowed(position);
  const queue = starts.filter(passable);
  for (const start of queue) parents.set(start, -1);
  for (let at = 0; at < queue.length; at++) {
    const position = queue[at] as number;
    if (position === target) {
      const text: number[] = [];
      for (let step = position; step >= 0; step = parents.get(step) as number) {
        text.unshift((graph.sets[step] as CharSet)[0] as number);
      }
      return text;
    }
    for (const next of (graph.edges[position] as Map<number, number>).keys()) {
      if (--budget.steps < 0) return undefined;
      if (parents.has(next) || !passable(next)) continue;
      parents.set(next, position);
      queue.push(next);
    }
  }
  return false;
}

/**
 * Tests whether a match attempt at the start of the text succeeds, on the text or a part of it
 * that starts there. Running out of budget counts as a match, so that nothing is reported.
 */
export function matchesFromStart(graph: MatchGraph, text: number[], budget: Budget): boolean {
  let candidates: Iterable<number> = graph.first;
  for (const code of text) {
    const reached: number[] = [];
    for (const position of candidates) {
      if (intersects(graph.sets[position] as CharSet, [code, code])) reached.push(position);
    }
    if (reached.some((position) => graph.accepting[position])) return true;

    const next = new Set<number>();
    for (const position of reached) {
      const edges = graph.edges[position] as Map<number, number>;
      budget.steps -= edges.size;
      for (const target of edges.keys()) next.add(target);
    }
    if (budget.steps < 0) return true;
    candidates = next;
  }
  return false;
}
