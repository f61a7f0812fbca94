import { type CharSet, MAX_CODE_POINT, MAX_UNIT } from './regex-charset.js';
import type { RegexNode } from './regex-syntax.js';

/**
 * The position automaton (Glushkov) of a regular expression, which the backtracking analyses
 * (regex-ambiguity.ts, regex-trading.ts, regex-trading-chain.ts, regex-paths.ts) search: one
 * position per character of the expression, and an edge for each way one character can follow
 * another. An edge that two parts of the expression produce (the end of an inner and of an outer
 * repetition) is counted twice, since each is a different way to match. Anchors and lookarounds
 * read as matching the empty text, and a backreference as any one character.
 */

export type Repeat = Extract<RegexNode, { kind: 'repeat' }>;

/**
 * Largest count read as copies of the repeated part when repetitions are read as loops; a larger
 * one, or none, makes a loop. 2^16 ways to match is above the 50,000 backtracks after which V8
 * (Node 20) switches to its linear-time engine.
 */
export const MAX_COUNT = 16;

/** Positions of one automaton, above which it is not built. */
const MAX_POSITIONS = 2000;

/** The positions that can start and end a match of a part, and whether it matches empty text. */
interface Fragment {
  nullable: boolean;
  first: number[];
  last: number[];
}

const EMPTY: Fragment = { nullable: true, first: [], last: [] };

/** Thrown when an automaton would pass `MAX_POSITIONS` or the step budget. */
class TooLarge extends Error {}

/** Positions and edges that the analysis may still add or compare, over one expression. */
export interface Budget {
  steps: number;
}

/** The reading of repetitions that an automaton follows. */
export interface AutomatonShape {
  /** Largest count read as copies of the repeated part. */
  maxCopies: number;
  /**
   * Whether a larger count, or none, reads as a loop. Otherwise a count reads as at most
   * `maxCopies` copies and an unbounded repetition as its required copies, at least one, so
   * the automaton has no cycle: `x*` reads as `x?` and `x{2,}` as `xx`.
   */
  loops: boolean;
  /**
   * Whether an end anchor (`$`, `\Z`, `\z`) reads as a position that no character matches, so
   * that reaching the part before it completes no match: a text that goes on after it fails
   * there. Otherwise it reads as matching the empty text, as the other anchors do.
   */
  endAnchors?: boolean;
}

/** The shape that reads counts above `MAX_COUNT` and unbounded repetitions as loops. */
export const LOOPS: AutomatonShape = { maxCopies: MAX_COUNT, loops: true };

/** The automaton of an expression or of one repetition: the set of each position and its edges. */
export class Automaton {
  readonly sets: CharSet[] = [];
  /** Edges of each position: the next position and how many ways lead there. */
  readonly edges: Map<number, number>[] = [];
  /** Repetitions around each position, outermost first. */
  readonly enclosing: Repeat[][] = [];
  /** Source span of each position's own character. */
  readonly spans: [number, number][] = [];
  /** Positions that can start a match, or an iteration of the loop that was built. */
  first: number[] = [];
  /** Whether a count above `maxCopies` was read as a loop, which allows more texts. */
  widened = false;
  private readonly open: Repeat[] = [];

  constructor(
    private readonly budget: Budget,
    private readonly shape: AutomatonShape = LOOPS,
  ) {}

  /** Adds the positions of `node` and the edges inside it. */
  add(node: RegexNode): Fragment {
    switch (node.kind) {
      case 'char':
      case 'backreference': {
        const set = node.kind === 'char' ? node.set : [0, MAX_CODE_POINT];
        return this.position(set, [node.start, node.end]);
      }
      case 'sequence':
        return this.concat(node.items.map((item) => this.add(item)));
      case 'alternation':
        return node.alternatives.map((item) => this.add(item)).reduce(alternate);
      case 'group':
        return this.add(node.body);
      case 'assertion':
        return node.holdsAtEnd && this.shape.endAnchors ? this.position([], [0, 0]) : EMPTY;
      case 'repeat': {
        this.open.push(node);
        const fragment = this.repeat(node);
        this.open.pop();
        return fragment;
      }
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

  private position(set: CharSet, span: [number, number]): Fragment {
    this.budget.steps--;
    if (this.sets.length >= MAX_POSITIONS || this.budget.steps < 0) throw new TooLarge();
    const position = this.sets.length;
    this.sets.push(set);
    this.edges.push(new Map());
    this.enclosing.push([...this.open]);
    this.spans.push(span);
    return { nullable: false, first: [position], last: [position] };
  }

  /**
   * Adds a bounded count as copies of its body, so that `[0-9a-f]{2}` reads as two characters
   * and not as a loop: `x{2,4}` becomes `xx(x(x)?)?`, as the engine counts iterations. A count
   * above `maxCopies` is read as a loop, which allows more texts but the same ambiguity, or
   * without loops as `maxCopies` copies, which allows fewer.
   */
  private repeat(node: Repeat): Fragment {
    const { body, min, max } = node;
    const { maxCopies, loops } = this.shape;
    if (max > maxCopies && loops) {
      if (max !== Number.POSITIVE_INFINITY) this.widened = true;
      const copies = Math.max(Math.min(min, maxCopies) - 1, 0);
      const required = Array.from({ length: copies }, () => this.add(body));
      const loop = this.loop(body);
      return this.concat([...required, min === 0 ? { ...loop, nullable: true } : loop]);
    }
    const copies = Math.min(max === Number.POSITIVE_INFINITY ? Math.max(min, 1) : max, maxCopies);
    const requiredCount = Math.min(min, copies);
    const required = Array.from({ length: requiredCount }, () => this.add(body));
    let optional = EMPTY;
    for (let count = copies - requiredCount; count > 0; count--) {
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

/** An automaton of a whole expression, with what completes a match. */
export interface MatchGraph {
  sets: readonly CharSet[];
  edges: readonly Map<number, number>[];
  /** Positions that can start a match. */
  first: readonly number[];
  /** Whether reaching each position completes a match. */
  accepting: readonly boolean[];
  /** Whether the whole expression matches the empty text. */
  nullable: boolean;
}

/**
 * Builds the automaton of a whole expression with the given shape and its end anchors read as
 * positions, or returns undefined when it passes the budget or `MAX_POSITIONS`.
 */
export function matchGraph(
  tree: RegexNode,
  budget: Budget,
  shape: AutomatonShape,
): { graph: MatchGraph; automaton: Automaton } | undefined {
  let whole = EMPTY;
  const automaton = buildAutomaton(budget, { ...shape, endAnchors: true }, (built) => {
    whole = built.add(tree);
    built.first = whole.first;
  });
  if (!automaton) return undefined;
  const { sets, edges } = automaton;
  const accepting = sets.map(() => false);
  for (const position of whole.last) accepting[position] = true;

  // A part that reads every character before an end anchor reads on to the end of the text,
  // where the anchor matches, and no text makes it stop earlier.
  edges.forEach((targets, position) => {
    const set = sets[position] as CharSet;
    const readsAll = set.length === 2 && set[0] === 0 && (set[1] as number) >= MAX_UNIT;
    const beforeEnd = [...targets.keys()].some((target) => sets[target]?.length === 0);
    if (readsAll && beforeEnd) accepting[position] = true;
  });
  const graph = { sets, edges, first: whole.first, accepting, nullable: whole.nullable };
  return { graph, automaton };
}

/**
 * Builds an automaton with `build`, or returns undefined when it passes the budget or
 * `MAX_POSITIONS`.
 */
export function buildAutomaton(
  budget: Budget,
  shape: AutomatonShape,
  build: (automaton: Automaton) => void,
): Automaton | undefined {
  const automaton = new Automaton(budget, shape);
  try {
    build(automaton);
  } catch (error) {
    if (error instanceof TooLarge) return undefined;
    throw error;
  }
  return automaton;
}

/**
 * Returns the strongly connected component of each node (Tarjan, without recursion). Components
 * are numbered in reverse topological order: an edge leads to a component of the same or a lower
 * number.
 */
export function stronglyConnected(targets: number[][]): Int32Array {
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
