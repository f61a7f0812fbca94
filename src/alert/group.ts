import type { Alert } from '../model/alert.js';

/**
 * Groups chain alerts of one rule, party and actor that overlap in time (within the chain's
 * total window of each other) into one alert, so that an actor who runs the chain in several
 * sessions in one night is one alert with all the evidence, not one per session. The first
 * alert's id is kept; the others are listed in `grouped`. Other alerts pass straight through.
 */
export class AlertGrouper {
  private readonly pending = new Map<
    string,
    { alert: Alert; lastTime: number; windowMs: number }
  >();

  /** `actorKey` relates the spellings of one account; without it, actors compare as written. */
  constructor(
    private readonly emit: (alert: Alert) => void,
    private readonly actorKey: (actor: string) => string = (actor) => actor,
  ) {}

  /** `windowMs` is the chain's total window; 0 for alerts that are never grouped. */
  push(alert: Alert, windowMs: number, now: number): void {
    this.advance(now);
    if (windowMs <= 0) {
      this.emit(alert);
      return;
    }
    const actor = alert.actor === null ? '' : this.actorKey(alert.actor);
    const key = `${alert.rule.id}\u0000${alert.party}\u0000${actor}`;
    const group = this.pending.get(key);
    const first = Date.parse(alert.first_time);
    if (group && first <= group.lastTime + group.windowMs) {
      merge(group.alert, alert);
      group.lastTime = Math.max(group.lastTime, Date.parse(alert.last_time));
      return;
    }
    if (group) this.emit(group.alert);
    this.pending.set(key, { alert, lastTime: Date.parse(alert.last_time), windowMs });
  }

  /**
   * Emits groups that no later alert can join any more. A chain alert is raised when its chain
   * closes, up to one chain span after its first record, so a group waits two spans.
   */
  advance(now: number): void {
    for (const [key, group] of this.pending) {
      if (now > group.lastTime + 2 * group.windowMs) {
        this.pending.delete(key);
        this.emit(group.alert);
      }
    }
  }

  flush(): void {
    for (const group of [...this.pending.values()].sort((a, b) =>
      a.alert.first_time.localeCompare(b.alert.first_time),
    )) {
      this.emit(group.alert);
    }
    this.pending.clear();
  }
}

function merge(into: Alert, other: Alert): void {
  const seen = new Set(into.evidence.map((item) => `${item.step}#${item.file}#${item.record}`));
  for (const item of other.evidence) {
    const key = `${item.step}#${item.file}#${item.record}`;
    if (!seen.has(key)) {
      seen.add(key);
      into.evidence.push(item);
    }
  }
  into.evidence.sort((a, b) => a.step - b.step || a.time.localeCompare(b.time));
  into.evidence_omitted += other.evidence_omitted;
  if (other.first_time < into.first_time) into.first_time = other.first_time;
  if (other.last_time > into.last_time) into.last_time = other.last_time;
  if (other.severity.score > into.severity.score) into.severity = other.severity;
  into.grouped.push(other.id, ...other.grouped);
}
