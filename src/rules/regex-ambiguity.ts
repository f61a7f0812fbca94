import {
  type Automaton,
  type Budget,
  buildAutomaton,
  LOOPS,
  MAX_COUNT,
  matchGraph,
  type Repeat,
  stronglyConnected,
} from './regex-automaton.js';
import { type CharSet, intersects, MAX_UNIT, union } from './regex-charset.js';
import { findPathExplosion } from './regex-paths.js';
import { nestingDepth, parseRegex, type RegexFlags, type RegexNode } from './regex-syntax.js';
import { tradesText } from './regex-trading.js';
import { findTradingChain } from './regex-trading-chain.js';

/**
 * Finds a repetition that makes a backtracking engine take exponential time: one whose
 * iterations can match the same text in more than one way, so that each extra copy of that
 * text multiplies the ways a failing match tries. `(a|a?)+` matches `a` by either alternative,
 * `(a+)+` splits `aa` into one iteration or two, and `([a-z]+.)+` lets `.` take a letter that
 * `[a-z]+` could also take.
 *
 * The test is the criterion for exponential ambiguity of a finite automaton. The repetition is
 * read as a position automaton (regex-automaton.ts). Take the product of the automaton with
 * itself. The repetition is ambiguous when a state pair (p, p) lies on a cycle through a pair
 * (q, r) with q ≠ r, or through a double edge. Then two different paths read the same text from
 * p back to p.
 *
 * A repetition only costs that time when a failure after it makes the engine try every way, so
 * one that nothing can fail after (the end of the expression or of a lookaround) is not
 * reported. Neither is an unbounded one that can read any character and is followed only by
 * `$`, because greedy matching reads to the end of the text, where `$` matches.
 *
 * Repetition that is counted or written out is slow in two more ways, looked for in the whole
 * expression. Loops that trade text take polynomial time of a degree that grows with their
 * number: a bounded count of at least `MIN_TRADING_COPIES` whose copies trade text
 * (regex-trading.ts, `(.*a){12}x`), or as many loops written one after another
 * (regex-trading-chain.ts, `.*a.*a.*a.*a.*a.*x`). Counts and optional parts whose ways to match
 * multiply take time exponential in their counts (regex-paths.ts): `(a{1,10}){1,10}b`,
 * `(a?){20}a{20}`.
 *
 * NOTE: lookarounds and anchors are read as matching nothing and a backreference as any one
 * character, so ambiguity that only they resolve is still reported.
 */

/**
 * Minimum number of loops that trade text, as counted copies or written out, for a report. A
 * failing match then tries about n^4 splits of a text of n characters, at each start in it.
 * Measured with Node 20.20 on an AMD EPYC core, timing one `test` call on failing lines in which
 * 1 in 25 characters is the traded `a`, as one letter is in prose. Over 500 characters,
 * `.*a.*a.*x` takes 0.04 s, `.*a.*a.*a.*x` 0.17 s, `.*a.*a.*a.*a.*x` 0.6 s and
 * `.*a.*a.*a.*a.*a.*x` 1.8 s. Over 1,000 characters they take 0.12 s, 1.5 s, 8 s and more than
 * 20 s. On a text of `a` repeated 40 times then `!`, `(.*a){5}x` takes about 45 ms and
 * `(.*a){8}x` about 3 s.
 */
const MIN_TRADING_COPIES = 5;

/**
 * Limits that keep the analysis of one expression within tens of milliseconds on the rules
 * authors write, and within a second on any. They bound the nesting depth of groups and the
 * positions and pairs of positions compared: by the search inside repetitions (`MAX_STEPS`), and
 * by each of the two searches of the whole expression (`MAX_WHOLE_STEPS`). Each expression of the
 * SigmaHQ rules takes at most 10,000 of the latter. An expression beyond the limits is not
 * reported, though the scan still bounds it.
 */
const MAX_DEPTH = 100;
const MAX_STEPS = 500_000;
const MAX_WHOLE_STEPS = 200_000;

/**
 * Largest count read as copies when counting the ways to match. A larger count reads as this many
 * copies, which allow fewer paths than it has, so the copies left out never cause a report.
 */
const MAX_PATH_COPIES = 32;

/** A part of the expression: `source.slice(start, end)` is its text. */
export interface AmbiguousRepetition {
  start: number;
  end: number;
  /** Whether the part is more than one repetition, as `.*a.*a.*a.*a.*a.*` is. */
  several: boolean;
}

/**
 * Returns the first repetition, innermost first, that can backtrack catastrophically, or else
 * a run of repetitions that can, or undefined. `source` must compile as a regular expression
 * with `flags`.
 */
export function findAmbiguousRepetition(
  source: string,
  flags: RegexFlags,
): AmbiguousRepetition | undefined {
  if (nestingDepth(source) > MAX_DEPTH) return undefined;
  const tree = parseRegex(source, flags);
  const budget = { steps: MAX_STEPS };
  const all = repetitions(tree);
  const repetition = (node: Repeat) => ({ start: node.start, end: node.end, several: false });
  for (const { node, ancestors } of all) {
    if (node.max <= MAX_COUNT) continue;
    if (!canFailAfter(node, ancestors, false)) continue;
    const automaton = loopAutomaton(node, budget);
    if (!automaton) continue;
    // A loop that can read any character reads to the end of the text, where `$` holds.
    const reachesEnd = node.max === Number.POSITIVE_INFINITY && readsAnyText(automaton);
    if (reachesEnd && !canFailAfter(node, ancestors, true)) continue;
    if (isAmbiguous(automaton, budget)) return repetition(node);
  }

  // Counts read as copies: two copies that trade text make every later copy trade too.
  for (const { node, ancestors } of all) {
    if (node.max < MIN_TRADING_COPIES || node.max > MAX_COUNT) continue;
    if (!canFailAfter(node, ancestors, false)) continue;
    const automaton = copiesAutomaton(node, budget);
    if (automaton && tradesText(automaton, budget)) return repetition(node);
  }

  const span = findTradingLoops(tree) ?? findMultipliedCounts(tree);
  if (!span) return undefined;
  const [start, end] = span;
  const single = all.some(({ node }) => node.start === start && node.end === end);
  return { start, end, several: !single };
}

/** Returns the span from the first to the last of a chain of loops that trade text. */
function findTradingLoops(tree: RegexNode): [number, number] | undefined {
  if (countLoops(tree) < MIN_TRADING_COPIES) return undefined;
  const budget = { steps: MAX_WHOLE_STEPS };
  const built = matchGraph(tree, budget, LOOPS);
  if (!built) return undefined;
  const chain = findTradingChain(built.graph, MIN_TRADING_COPIES, budget);
  if (!chain) return undefined;
  const outer = outermost(built.automaton);
  const first = outer(chain[0] as number);
  const last = outer(chain.at(-1) as number);
  return [first[0], last[1]];
}

/**
 * Returns an upper bound on the number of loops in the automaton of the expression: each
 * repetition read as a loop, as often as the counts around it copy it, and the copies of its body
 * that its minimum requires. A loop inside a loop can join the cycle of the outer one.
 */
function countLoops(node: RegexNode): number {
  switch (node.kind) {
    case 'repeat': {
      const inner = countLoops(node.body);
      if (node.max <= MAX_COUNT) return node.max * inner;
      return Math.max(Math.min(node.min, MAX_COUNT) - 1, 0) * inner + 1 + inner;
    }
    case 'sequence':
      return node.items.reduce((sum, item) => sum + countLoops(item), 0);
    case 'alternation':
      return node.alternatives.reduce((sum, item) => sum + countLoops(item), 0);
    case 'group':
      return countLoops(node.body);
    default:
      return 0;
  }
}

/** Returns the span of the counted parts where the paths of a failing match multiply. */
function findMultipliedCounts(tree: RegexNode): [number, number] | undefined {
  const shape = { maxCopies: MAX_PATH_COPIES, loops: false };
  const budget = { steps: MAX_WHOLE_STEPS };
  const built = matchGraph(tree, budget, shape);
  if (!built) return undefined;
  const merged = findPathExplosion(built.graph, budget);
  if (!merged) return undefined;
  const spans = merged.map(outermost(built.automaton));
  return [Math.min(...spans.map(([start]) => start)), Math.max(...spans.map(([, end]) => end))];
}

/** Returns, for a position, the span of its outermost repetition, or of its own character. */
function outermost(automaton: Automaton): (position: number) => [number, number] {
  return (position) => {
    const outer = automaton.enclosing[position]?.[0];
    return outer ? [outer.start, outer.end] : (automaton.spans[position] as [number, number]);
  };
}

interface Candidate {
  node: Repeat;
  ancestors: RegexNode[];
}

/** Lists the repetitions, innermost first. */
function repetitions(tree: RegexNode): Candidate[] {
  const found: Candidate[] = [];
  const visit = (node: RegexNode, ancestors: RegexNode[]): void => {
    const inner = [...ancestors, node];
    for (const child of children(node)) visit(child, inner);
    if (node.kind === 'repeat') found.push({ node, ancestors });
  };
  visit(tree, []);
  return found;
}

function children(node: RegexNode): RegexNode[] {
  switch (node.kind) {
    case 'sequence':
      return node.items;
    case 'alternation':
      return node.alternatives;
    case 'group':
    case 'lookaround':
    case 'repeat':
      return [node.body];
    default:
      return [];
  }
}

/**
 * Tests whether something after `node` can fail, which makes the engine backtrack into it: what
 * follows it, up to the end of the expression or of the enclosing lookaround, or a further
 * iteration that a repetition around it requires. A lookbehind matches from right to left, so
 * there what comes after is what is written before. A large minimum count of the repetition
 * itself can also fail, after trying every way to match fewer iterations.
 */
function canFailAfter(node: Repeat, ancestors: RegexNode[], atEnd: boolean): boolean {
  if (node.min > MAX_COUNT) return true;
  const lookaround = ancestors.findLast((ancestor) => ancestor.kind === 'lookaround');
  const behind = lookaround?.kind === 'lookaround' && lookaround.behind;
  let child: RegexNode = node;
  for (let at = ancestors.length - 1; at >= 0; at--) {
    const parent = ancestors[at] as RegexNode;
    if (parent.kind === 'lookaround') return false;
    if (parent.kind === 'sequence') {
      const index = parent.items.indexOf(child);
      const after = behind ? parent.items.slice(0, index) : parent.items.slice(index + 1);
      if (!after.every((item) => alwaysMatches(item, atEnd))) return true;
    }
    if (parent.kind === 'repeat' && parent.min > 1 && !alwaysMatches(parent.body, atEnd)) {
      return true;
    }
    child = parent;
  }
  return false;
}

/**
 * Tests whether the node matches the empty text wherever it is tried, or with `atEnd`, wherever
 * it is tried at the end of the text.
 */
function alwaysMatches(node: RegexNode, atEnd: boolean): boolean {
  switch (node.kind) {
    case 'sequence':
      return node.items.every((item) => alwaysMatches(item, atEnd));
    case 'alternation':
      return node.alternatives.some((item) => alwaysMatches(item, atEnd));
    case 'group':
      return alwaysMatches(node.body, atEnd);
    case 'repeat':
      return node.min === 0 || alwaysMatches(node.body, atEnd);
    case 'assertion':
      return atEnd && node.holdsAtEnd;
    default:
      return false;
  }
}

/** Builds the automaton of a repetition read as a loop, or undefined past the budget. */
function loopAutomaton(node: Repeat, budget: Budget): Automaton | undefined {
  return buildAutomaton(budget, LOOPS, (automaton) => {
    automaton.first = automaton.loop(node.body).first;
  });
}

/** Builds the automaton of two copies of a counted body, or undefined past the budget. */
function copiesAutomaton(node: Repeat, budget: Budget): Automaton | undefined {
  const copies: RegexNode = { kind: 'sequence', items: [node.body, node.body] };
  return buildAutomaton(budget, LOOPS, (automaton) => {
    automaton.first = automaton.add(copies).first;
  });
}

/**
 * Tests whether the loop can start with any character and go on from every position with any
 * character, so that greedy matching of an unbounded loop reads the whole text.
 */
function readsAnyText(automaton: Automaton): boolean {
  const { sets, edges } = automaton;
  if (automaton.widened) return false;
  const coversAll = (positions: Iterable<number>) => {
    const covered = union([...positions].map((position) => sets[position] as CharSet));
    return covered.length === 2 && covered[0] === 0 && (covered[1] as number) >= MAX_UNIT;
  };
  return coversAll(automaton.first) && edges.every((next) => coversAll(next.keys()));
}

/** Tests whether two different paths through the loop read one text from a position to itself. */
function isAmbiguous(automaton: Automaton, budget: Budget): boolean {
  const graph = pairGraph(automaton, budget);
  if (!graph) return false;

  const component = stronglyConnected(graph.targets);
  const hasDiagonal = new Set<number>();
  const hasOther = new Set<number>();
  graph.diagonal.forEach((isDiagonal, pair) => {
    (isDiagonal ? hasDiagonal : hasOther).add(component[pair] as number);
  });
  for (const id of hasDiagonal) if (hasOther.has(id)) return true;
  return graph.doubled.some(([from, to]) => component[from] === component[to]);
}

interface PairGraph {
  /** Edges of each pair of positions, by pair index. */
  targets: number[][];
  /** Whether a pair is (p, p). */
  diagonal: boolean[];
  /** Edges from (p, p) to (q, q) that follow two different edges from p to q. */
  doubled: [number, number][];
}

/**
 * Builds the pairs of positions that two paths can reach reading the same text, starting from
 * every (p, p). Pairs are unordered, since (q, r) and (r, q) lie on the same cycles. Returns
 * undefined when the budget runs out.
 */
function pairGraph(automaton: Automaton, budget: Budget): PairGraph | undefined {
  const { sets, edges } = automaton;
  const count = sets.length;
  const index = new Map<number, number>();
  const graph: PairGraph = { targets: [], diagonal: [], doubled: [] };
  const queue: [number, number][] = [];
  const pairIndex = (left: number, right: number): number => {
    const low = Math.min(left, right);
    const high = Math.max(left, right);
    const key = low * count + high;
    let known = index.get(key);
    if (known === undefined) {
      known = graph.targets.length;
      index.set(key, known);
      graph.targets.push([]);
      graph.diagonal.push(low === high);
      queue.push([low, high]);
    }
    return known;
  };

  for (let position = 0; position < count; position++) pairIndex(position, position);
  for (let next = 0; next < queue.length; next++) {
    const [left, right] = queue[next] as [number, number];
    budget.steps -=
      (edges[left] as Map<number, number>).size * (edges[right] as Map<number, number>).size;
    if (budget.steps < 0) return undefined;
    const targets = graph.targets[next] as number[];
    for (const [leftTarget, leftWays] of edges[left] as Map<number, number>) {
      for (const rightTarget of (edges[right] as Map<number, number>).keys()) {
        if (!intersects(sets[leftTarget] as CharSet, sets[rightTarget] as CharSet)) continue;
        const target = pairIndex(leftTarget, rightTarget);
        targets.push(target);
        if (left === right && leftTarget === rightTarget && leftWays > 1) {
          graph.doubled.push([next, target]);
        }
      }
    }
  }
  return graph;
}
