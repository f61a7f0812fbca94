import type { AllowEntry } from '../context/context.js';
import type { Finding } from '../engine/finding.js';
import type { Alert } from '../model/alert.js';
import type { Rule } from '../rules/rule.js';
import { type BuildOptions, buildAlert } from './build.js';
import { AlertGrouper } from './group.js';
import { applySuppression } from './suppress.js';

/**
 * The alert stage of a scan or a server: builds alerts from findings, marks the ones the
 * allow-list covers as suppressed, and, with `groupChainSessions`, groups chain alerts of one
 * actor that overlap in time.
 */
export class AlertStage {
  private readonly grouper: AlertGrouper;

  constructor(
    private readonly options: BuildOptions & {
      allow: readonly AllowEntry[];
      groupChainSessions?: boolean;
      /** The key under which spellings of one account are one actor, for grouping. */
      actorKey?: (actor: string) => string;
    },
    emit: (alert: Alert) => void,
  ) {
    this.grouper = new AlertGrouper(emit, options.actorKey);
  }

  /** Takes the findings raised up to event time `now`. */
  push(findings: readonly Finding[], now: number): void {
    for (const finding of findings) {
      const alert = buildAlert(finding, this.options);
      applySuppression(alert, this.options.allow);
      const window = this.options.groupChainSessions ? groupWindow(finding.rule) : 0;
      this.grouper.push(alert, window, now);
    }
    if (findings.length === 0) this.grouper.advance(now);
  }

  flush(): void {
    this.grouper.flush();
  }
}

/** Chains group over their whole span (the sum of their step windows); nothing else groups. */
function groupWindow(rule: Rule): number {
  if (rule.kind !== 'correlation' || rule.type !== 'chain') return 0;
  return rule.steps.reduce((sum, step) => sum + step.withinMs, 0);
}
