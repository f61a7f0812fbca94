import { type CharSet, intersects, MAX_CODE_POINT, MAX_UNIT, union } from './regex-charset.js';
import { nestingDepth, parseRegex, type RegexFlags, type RegexNode } from './regex-syntax.js';
import { tradesText } from './regex-trading.js';

/**
 * Finds a repetition that makes a backtracking engine take exponential time: one whose
 * iterations can match the same text in more than one way, so that each extra copy of that
 * text multiplies the ways a failing match tries. `(a|a?)+` matches `a` by either alternative,
 * `(a+)+` splits `aa` into one iteration or two, and `([a-z]+.)+` lets `.` take a letter that
 * `[a-z]+` could also take.
 *
 * The test is the criterion for exponential ambiguity of a finite automaton. The repetition is
 * read as a position automaton (Glushkov): one state per character of the expression, an edge
 * for each way one character can follow another. An edge that two parts of the expression
 * produce (the end of an inner and of an outer repetition) is kept twice, since each is a
 * different way to match. Take the product of the automaton with itself. The repetition is
 * ambiguous when a state pair (p, p) lies on a cycle through a pair (q, r) with q ≠ r, or through
 * such a double edge. Then two different paths read the same text from p back to p.
 *
 * A repetition only costs that time when a failure after it makes the engine try every way, so
 * one that nothing can fail after (the end of the expression or of a lookaround) is not
 * reported. Neither is an unbounded one that can read any character and is followed only by
 * `$`, because greedy matching reads to the end of the text, where `$` matches.
 *
 * A bounded count of at least `MIN_TRADING_COPIES` is reported when two of its copies can
 * trade text (regex-trading.ts), as in `(.*a){12}x`: a failing match then takes polynomial
 * time of a degree that grows with the count.
 *
 * NOTE: lookarounds and anchors are read as matching nothing and a backreference as any one
 * character, so ambiguity that only they resolve is still reported. Some slow expressions are
 * not looked for: nested counts that are each at most `MAX_COUNT` but multiply past it
 * (`((a|a){1,4}){1,8}`), optional parts under a large count (`(a?){20}a{20}`), and loops that
 * trade text but are written out rather than counted (`.*a.*a.*a.*a.*a.*x`).
 */

/**
 * Largest count read as copies of the repeated part; a larger one, or none, makes a loop. 2^16
 * ways to match is above the 50,000 backtracks after which V8 (Node 20) switches to its
 * linear-time engine.
 */
const MAX_COUNT = 16;

/**
 * Minimum count whose copies are reported when they trade text: a failing match then takes time
 * that grows with the 4th power of the text length or faster. Measured with Node 20.20 on a text
 * of `a` repeated 40 times then `!`, `(.*a){5}x` takes about 45 ms and `(.*a){8}x` about 3 s, so
 * such a count is slow on log fields of a few hundred characters.
 */
const MIN_TRADING_COPIES = 5;

/**
 * Limits that keep the analysis of one expression within tens of milliseconds: nesting depth
 * of groups, positions of one loop, and pairs of positions compared in all. An expression
 * beyond them is not reported, though the scan still bounds it.
 */
const MAX_DEPTH = 100;
const MAX_POSITIONS = 2000;
const MAX_STEPS = 500_000;

/** A repetition in the expression: `source.slice(start, end)` is its text. */
export interface AmbiguousRepetition {
  start: number;
  end: number;
}

/**
 * Returns the first repetition, innermost first, that can backtrack catastrophically, or
 * undefined. `source` must compile as a regular expression with `flags`.
 */
export function findAmbiguousRepetition(
  source: string,
  flags: RegexFlags,
): AmbiguousRepetition | undefined {
  if (nestingDepth(source) > MAX_DEPTH) return undefined;
  const tree = parseRegex(source, flags);
  const budget = { steps: MAX_STEPS };
  const all = repetitions(tree);
  for (const { node, ancestors } of all) {
    if (node.max <= MAX_COUNT) continue;
    if (!canFailAfter(node, ancestors, false)) continue;
    const automaton = loopAutomaton(node, budget);
    if (!automaton) continue;
    // A loop that can read any character reads to the end of the text, where `$` holds.
    const reachesEnd = node.max === Number.POSITIVE_INFINITY && readsAnyText(automaton);
    if (reachesEnd && !canFailAfter(node, ancestors, true)) continue;
    if (isAmbiguous(automaton, budget)) return { start: node.start, end: node.end };
  }

  // Counts read as copies: two copies that trade text make every later copy trade too.
  for (const { node, ancestors } of all) {
    if (node.max < MIN_TRADING_COPIES || node.max > MAX_COUNT) continue;
    if (!canFailAfter(node, ancestors, false)) continue;
    const automaton = copiesAutomaton(node, budget);
    if (automaton && tradesText(automaton, budget)) return { start: node.start, end: node.end };
  }
  return undefined;
}

type Repeat = Extract<RegexNode, { kind: 'repeat' }>;

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

/** The positions that can start and end a match of a part, and whether it matches empty text. */
interface Fragment {
  nullable: boolean;
  first: number[];
  last: number[];
}

const EMPTY: Fragment = { nullable: true, first: [], last: [] };

class TooLarge extends Error {}

/** The position automaton of one repetition: the set of each position and its edges. */
class Automaton {
  readonly sets: CharSet[] = [];
  /** Edges of each position: the next position and how many ways lead there. */
  readonly edges: Map<number, number>[] = [];
  /** Positions that can start an iteration of the loop. */
  first: number[] = [];
  /** Whether a count above `MAX_COUNT` inside was read as a loop, which allows more texts. */
  widened = false;

  constructor(private readonly budget: Budget) {}

  /** Adds the positions of `node` and the edges inside it. */
  add(node: RegexNode): Fragment {
    switch (node.kind) {
      case 'char':
      case 'backreference':
        return this.position(node.kind === 'char' ? node.set : [0, MAX_CODE_POINT]);
      case 'sequence':
        return this.concat(node.items.map((item) => this.add(item)));
      case 'alternation':
        return node.alternatives.map((item) => this.add(item)).reduce(alternate);
      case 'group':
        return this.add(node.body);
      case 'repeat':
        return this.repeat(node);
      default:
        return EMPTY;
    }
  }

  /** Adds a repetition as the loop `body+`, with an edge from each end back to each start. */
  loop(body: RegexNode): Fragment {
    const fragment = this.add(body);
    this.connect(fragment.last, fragment.first);
    return fragment;
  }

  private position(set: CharSet): Fragment {
    this.budget.steps--;
    if (this.sets.length >= MAX_POSITIONS || this.budget.steps < 0) throw new TooLarge();
    const position = this.sets.length;
    this.sets.push(set);
    this.edges.push(new Map());
    return { nullable: false, first: [position], last: [position] };
  }

  /**
   * Adds a bounded count as copies of its body, so that `[0-9a-f]{2}` reads as two characters
   * and not as a loop: `x{2,4}` becomes `xx(x(x)?)?`, as the engine counts iterations. A count
   * above `MAX_COUNT` is read as a loop, which allows more texts but the same ambiguity.
   */
  private repeat(node: Repeat): Fragment {
    const { body, min, max } = node;
    if (max > MAX_COUNT) {
      if (max !== Number.POSITIVE_INFINITY) this.widened = true;
      const copies = Math.max(Math.min(min, MAX_COUNT) - 1, 0);
      const required = Array.from({ length: copies }, () => this.add(body));
      const loop = this.loop(body);
      return this.concat([...required, min === 0 ? { ...loop, nullable: true } : loop]);
    }
    const required = Array.from({ length: min }, () => this.add(body));
    let optional = EMPTY;
    for (let count = max - min; count > 0; count--) {
      optional = { ...this.concat([this.add(body), optional]), nullable: true };
    }
    return this.concat([...required, optional]);
  }

  private concat(parts: Fragment[]): Fragment {
    let result = EMPTY;
    for (const part of parts) {
      this.connect(result.last, part.first);
      result = {
        nullable: result.nullable && part.nullable,
        first: result.nullable ? [...result.first, ...part.first] : result.first,
        last: part.nullable ? [...result.last, ...part.last] : part.last,
      };
    }
    return result;
  }

  private connect(from: number[], to: number[]): void {
    this.budget.steps -= from.length * to.length;
    if (this.budget.steps < 0) throw new TooLarge();
    for (const source of from) {
      const edges = this.edges[source] as Map<number, number>;
      for (const target of to) edges.set(target, (edges.get(target) ?? 0) + 1);
    }
  }
}

function alternate(left: Fragment, right: Fragment): Fragment {
  return {
    nullable: left.nullable || right.nullable,
    first: [...left.first, ...right.first],
    last: [...left.last, ...right.last],
  };
}

/** Builds the automaton of a repetition read as a loop, or undefined past the budget. */
function loopAutomaton(node: Repeat, budget: Budget): Automaton | undefined {
  const automaton = new Automaton(budget);
  try {
    automaton.first = automaton.loop(node.body).first;
  } catch (error) {
    if (error instanceof TooLarge) return undefined;
    throw error;
  }
  return automaton;
}

/** Builds the automaton of two copies of a counted body, or undefined past the budget. */
function copiesAutomaton(node: Repeat, budget: Budget): Automaton | undefined {
  const automaton = new Automaton(budget);
  try {
    automaton.first = automaton.add({ kind: 'sequence', items: [node.body, node.body] }).first;
  } catch (error) {
    if (error instanceof TooLarge) return undefined;
    throw error;
  }
  return automaton;
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

/** Positions and edges that the analysis may still add or compare, over one expression. */
interface Budget {
  steps: number;
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

/** Returns the strongly connected component of each node (Tarjan, without recursion). */
function stronglyConnected(targets: number[][]): Int32Array {
  const count = targets.length;
  const order = new Int32Array(count).fill(-1);
  const low = new Int32Array(count);
  const component = new Int32Array(count).fill(-1);
  const onStack = new Uint8Array(count);
  const stack: number[] = [];
  let nextOrder = 0;
  let nextComponent = 0;

  const open = (node: number, work: [number, number][]): void => {
    order[node] = nextOrder;
    low[node] = nextOrder;
    nextOrder++;
    stack.push(node);
    onStack[node] = 1;
    work.push([node, 0]);
  };

  for (let root = 0; root < count; root++) {
    if (order[root] !== -1) continue;
    const work: [number, number][] = [];
    open(root, work);
    while (work.length > 0) {
      const frame = work[work.length - 1] as [number, number];
      const [node, edge] = frame;
      const next = (targets[node] as number[])[edge];
      if (next !== undefined) {
        frame[1]++;
        if (order[next] === -1) open(next, work);
        else if (onStack[next]) low[node] = Math.min(low[node] as number, order[next] as number);
        continue;
      }

      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]] as number, low[node] as number);
      if (low[node] !== order[node]) continue;
      let member: number;
      do {
        member = stack.pop() as number;
        onStack[member] = 0;
        component[member] = nextComponent;
      } while (member !== node);
      nextComponent++;
    }
  }
  return component;
}
