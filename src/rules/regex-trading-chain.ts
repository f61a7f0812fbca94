import { type Budget, type MatchGraph, stronglyConnected } from './regex-automaton.js';
import { type CharSet, intersection } from './regex-charset.js';
import { matchesFromStart, pathText } from './regex-witness.js';

/**
 * Finds loops written one after another that trade text along a chain, as the six `.*` of
 * `.*a.*a.*a.*a.*a.*x` do: each run of `a` can end the first loop or the second, and so on down
 * the chain. Two loops trade text when one text leads from a position p of the first back to p,
 * from p to a position q of the second, and from q back to q (regex-trading.ts tests this for
 * counted copies). Along a chain of k such loops, a failing match tries about n^(k-1) ways to
 * split a text of n characters among them, at each start in the text.
 *
 * A chain is only reported when a text built from it fails: a prefix that reaches the first
 * loop, then each trading text repeated, which no path of the whole automaton matches.
 * In `\+.*\+.*\+.*\+.*\+.*\+` the loops trade `+`, but the repeated `+` lets the expression
 * match, which ends the search before the splits add up.
 */

/** Times each trading text is repeated in the failing text, more than a count read as copies. */
const REPEATS = 18;

/** Loops above which an expression is not searched, which bounds the pairs of loops compared. */
const MAX_LOOPS = 64;

/** A trade between two loops: positions p and q and the text they trade. */
interface Trade {
  p: number;
  q: number;
  text: number[];
}

/** The longest chain found so far that ends at a loop: its length, the loop before, their trade. */
interface ChainLink {
  length: number;
  from?: number;
  trade?: Trade;
}

/**
 * Returns the positions of a chain of at least `minLength` loops that trade text and that a
 * failing text makes a match try every split of, first loop first. Returns undefined when there
 * is none or the budget runs out.
 */
export function findTradingChain(
  graph: MatchGraph,
  minLength: number,
  budget: Budget,
): number[] | undefined {
  if (graph.nullable) return undefined;
  const targets = graph.edges.map((edges) => [...edges.keys()]);
  const component = stronglyConnected(targets);
  const members = new Map<number, number[]>();
  targets.forEach((_, position) => {
    const id = component[position] as number;
    const list = members.get(id) ?? [];
    list.push(position);
    members.set(id, list);
  });
  const loops = [...members.entries()]
    .filter(
      ([, list]) => list.length > 1 || targets[list[0] as number]?.includes(list[0] as number),
    )
    .map(([id]) => id)
    .sort((a, b) => b - a);
  if (loops.length < minLength || loops.length > MAX_LOOPS) return undefined;

  // Components are numbered in reverse topological order, so a chain runs to lower numbers.
  const reachable = reachableComponents(targets, component, members, loops);
  const links = new Map<number, ChainLink>();
  const length = (id: number) => (links.get(id) as ChainLink).length;
  for (const to of loops) {
    let best: ChainLink = { length: 1 };
    // The longest chains first, so that the first trade found is the best.
    const before = loops.filter((from) => from > to).sort((a, b) => length(b) - length(a));
    for (const from of before) {
      if (length(from) + 1 <= best.length) break;
      if (!reachable.get(from)?.has(to)) continue;
      const trade = findTrade(graph, component, members, from, to, budget);
      if (trade === undefined) return undefined;
      if (trade) best = { length: length(from) + 1, from, trade };
    }
    links.set(to, best);
  }

  const ends = loops.filter((id) => length(id) >= minLength).sort((a, b) => length(b) - length(a));
  for (const end of ends) {
    const trades: Trade[] = [];
    for (let link = links.get(end); link?.trade; link = links.get(link.from as number)) {
      trades.unshift(link.trade);
    }
    const text = failingText(graph, component, trades, budget);
    if (text === undefined) return undefined;
    if (text && !matchesFromStart(graph, text, budget)) {
      return [...trades.map((trade) => trade.p), (trades.at(-1) as Trade).q];
    }
    if (budget.steps < 0) return undefined;
  }
  return undefined;
}

/** Returns, for each component of `from`, the components that its positions lead to. */
function reachableComponents(
  targets: number[][],
  component: Int32Array,
  members: Map<number, number[]>,
  from: number[],
): Map<number, Set<number>> {
  const reachable = new Map<number, Set<number>>();
  for (const id of from) {
    const seen = new Set<number>(members.get(id));
    const queue = [...seen];
    for (let at = 0; at < queue.length; at++) {
      for (const next of targets[queue[at] as number] as number[]) {
        if (seen.has(next)) continue;
        seen.add(next);
        queue.push(next);
      }
    }
    reachable.set(id, new Set([...seen].map((position) => component[position] as number)));
  }
  return reachable;
}

/**
 * Finds a text that positions of the two components trade, or returns false when they trade
 * none and undefined when the budget runs out.
 */
function findTrade(
  graph: MatchGraph,
  component: Int32Array,
  members: Map<number, number[]>,
  from: number,
  to: number,
  budget: Budget,
): Trade | false | undefined {
  for (const p of members.get(from) as number[]) {
    for (const q of members.get(to) as number[]) {
      const text = tradedText(graph, component, p, q, budget);
      if (text === undefined) return undefined;
      if (text) return { p, q, text };
    }
  }
  return false;
}

/**
 * Searches triples of positions that read one text, from (p, p, q) to (p, q, q): the first
 * path stays on p's loop and the third on q's. Returns the text, false when there is none, or
 * undefined when the budget runs out.
 */
function tradedText(
  graph: MatchGraph,
  component: Int32Array,
  p: number,
  q: number,
  budget: Budget,
): number[] | false | undefined {
  const { sets, edges } = graph;
  const count = sets.length;
  const key = (a: number, b: number, c: number) => (a * count + b) * count + c;
  const goal = key(p, q, q);
  const states: [number, number, number][] = [[p, p, q]];
  const parents = [-1];
  const codes = [-1];
  const seen = new Set([key(p, p, q)]);
  for (let at = 0; at < states.length; at++) {
    const [a, b, c] = states[at] as [number, number, number];
    for (const nextA of (edges[a] as Map<number, number>).keys()) {
      if (component[nextA] !== component[p]) continue;
      for (const nextB of (edges[b] as Map<number, number>).keys()) {
        const common = intersection(sets[nextA] as CharSet, sets[nextB] as CharSet);
        if (common.length === 0) continue;
        for (const nextC of (edges[c] as Map<number, number>).keys()) {
          if (--budget.steps < 0) return undefined;
          if (component[nextC] !== component[q]) continue;
          const shared = intersection(common, sets[nextC] as CharSet);
          if (shared.length === 0) continue;
          const next = key(nextA, nextB, nextC);
          if (seen.has(next)) continue;
          seen.add(next);
          states.push([nextA, nextB, nextC]);
          parents.push(at);
          codes.push(shared[0] as number);
          if (next === goal) return readBack(parents, codes, states.length - 1);
        }
      }
    }
  }
  return false;
}

/** Returns the characters read on the way to a state of a search, from its parent links. */
function readBack(parents: number[], codes: number[], state: number): number[] {
  const text: number[] = [];
  for (let at = state; (parents[at] as number) >= 0; at = parents[at] as number) {
    text.unshift(codes[at] as number);
  }
  return text;
}

/**
 * Builds a text that leads to the first loop of the chain and repeats each traded text, with a
 * text that moves from one trade's q to the next trade's p inside their loop. Returns false when
 * no such text exists and undefined when the budget runs out.
 */
function failingText(
  graph: MatchGraph,
  component: Int32Array,
  trades: Trade[],
  budget: Budget,
): number[] | false | undefined {
  const first = trades[0] as Trade;
  const prefix = pathText(graph, graph.first, first.p, () => true, budget);
  if (!prefix) return prefix;
  const text = [...prefix];
  let at = first.p;
  for (const trade of trades) {
    const inLoop = (position: number) => component[position] === component[trade.p];
    const after = [...(graph.edges[at] as Map<number, number>).keys()];
    const move = at === trade.p ? [] : pathText(graph, after, trade.p, inLoop, budget);
    if (!move) return move;
    text.push(...move);
    for (let repeat = 0; repeat < REPEATS; repeat++) text.push(...trade.text);
    at = trade.q;
  }
  return text;
}
