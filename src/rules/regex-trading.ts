import { type CharSet, intersection, intersects } from './regex-charset.js';

/**
 * Finds parts of a position automaton that can trade text between them, which makes a bounded
 * count of them slow. Two positions p ≠ q trade text when one text leads from p back to p, from
 * p to q, and from q back to q. A failing match then tries every split of that text between the
 * loop at p and the loop at q. In `(.*a){12}x` each copy of `.*a` can give text to the next, so
 * a failing match tries about n^11 splits of a text of n characters. This is the criterion for
 * polynomial ambiguity of a finite automaton: its degree grows by one with each copy in the
 * chain.
 */

/** The automaton as regex-ambiguity.ts builds it: the set of each position and its edges. */
export interface PositionGraph {
  sets: readonly CharSet[];
  edges: readonly Map<number, number>[];
}

/** Steps that the search may still take, shared with the rest of the analysis. */
export interface StepBudget {
  steps: number;
}

/**
 * Tests whether two positions trade text, by a search from each (p, p, q) over triples of
 * positions that read the same character, for (p, q, q). Returns false when the budget runs
 * out, so an expression too large to analyse is not reported.
 */
export function tradesText(graph: PositionGraph, budget: StepBudget): boolean {
  const cyclic = cyclicPositions(graph, budget);
  if (!cyclic) return false;
  for (const p of cyclic) {
    for (const q of cyclic) {
      if (p === q) continue;
      const found = reachesTriple(graph, [p, p, q], [p, q, q], budget);
      if (found === undefined) return false;
      if (found) return true;
    }
  }
  return false;
}

/** Returns the positions on a cycle, or undefined when the budget runs out. */
function cyclicPositions(graph: PositionGraph, budget: StepBudget): number[] | undefined {
  const cyclic: number[] = [];
  for (let start = 0; start < graph.sets.length; start++) {
    const seen = new Set<number>();
    const queue = [start];
    for (let at = 0; at < queue.length; at++) {
      const next = (graph.edges[queue[at] as number] as Map<number, number>).keys();
      for (const target of next) {
        if (--budget.steps < 0) return undefined;
        if (target === start) {
          cyclic.push(start);
          queue.length = 0;
          break;
        }
        if (!seen.has(target)) {
          seen.add(target);
          queue.push(target);
        }
      }
    }
  }
  return cyclic;
}

/**
 * Tests whether three paths from `from` can read one text and end at `to`, or returns undefined
 * when the budget runs out.
 */
function reachesTriple(
  graph: PositionGraph,
  from: [number, number, number],
  to: [number, number, number],
  budget: StepBudget,
): boolean | undefined {
  const { sets, edges } = graph;
  const count = sets.length;
  const key = (a: number, b: number, c: number) => (a * count + b) * count + c;
  const goal = key(...to);
  const seen = new Set([key(...from)]);
  const queue: [number, number, number][] = [from];
  for (let at = 0; at < queue.length; at++) {
    const [a, b, c] = queue[at] as [number, number, number];
    for (const nextA of (edges[a] as Map<number, number>).keys()) {
      for (const nextB of (edges[b] as Map<number, number>).keys()) {
        const common = intersection(sets[nextA] as CharSet, sets[nextB] as CharSet);
        if (common.length === 0) continue;
        for (const nextC of (edges[c] as Map<number, number>).keys()) {
          if (--budget.steps < 0) return undefined;
          if (!intersects(common, sets[nextC] as CharSet)) continue;
          const next = key(nextA, nextB, nextC);
          if (next === goal) return true;
          if (seen.has(next)) continue;
          seen.add(next);
          queue.push([nextA, nextB, nextC]);
        }
      }
    }
  }
  return false;
}
