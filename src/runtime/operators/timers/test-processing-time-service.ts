import type { ProcessingTimeService, ScheduledTimer } from './processing-time-service.ts';

interface Pending {
  timestamp: number;
  callback: (timestamp: number) => void;
  period: number;
  cancelled: boolean;
}

/**
 * A {@link ProcessingTimeService} whose clock only moves when told to (Flink's
 * `TestProcessingTimeService`): {@link advanceTo} runs every due callback in timestamp
 * order (registration order on ties), including callbacks registered by callbacks.
 * For deterministic tests of processing-time windows and timers.
 *
 * @remarks Single thread; not for production.
 */
export class TestProcessingTimeService implements ProcessingTimeService {
  private now: number;
  private readonly pending: Pending[] = [];
  private quiesced = false;

  /** @param startTime - initial processing time (ms) */
  constructor(startTime = 0) {
    this.now = startTime;
  }

  getCurrentProcessingTime(): number {
    return this.now;
  }

  registerTimer(timestamp: number, callback: (timestamp: number) => void): ScheduledTimer {
    return this.add({ timestamp, callback, period: 0, cancelled: false });
  }

  scheduleAtFixedRate(
    callback: (timestamp: number) => void,
    initialDelayMs: number,
    periodMs: number,
  ): ScheduledTimer {
    return this.add({
      timestamp: this.now + initialDelayMs,
      callback,
      period: periodMs,
      cancelled: false,
    });
  }

  /** Moves the clock to `time` (ms), running every callback due on the way. */
  advanceTo(time: number): void {
    for (;;) {
      let next: Pending | undefined;
      for (const p of this.pending) {
        if (
          !p.cancelled &&
          p.timestamp <= time &&
          (next === undefined || p.timestamp < next.timestamp)
        ) {
          next = p;
        }
      }
      if (next === undefined || this.quiesced) break;
      this.now = Math.max(this.now, next.timestamp);
      if (next.period > 0) next.timestamp += next.period;
      else this.pending.splice(this.pending.indexOf(next), 1);
      next.callback(next.period > 0 ? this.now : next.timestamp);
    }
    this.now = Math.max(this.now, time);
  }

  /** Number of callbacks still pending. */
  numPending(): number {
    return this.pending.filter((p) => !p.cancelled).length;
  }

  quiesce(): void {
    this.quiesced = true;
  }

  shutdown(): void {
    this.quiesced = true;
    this.pending.length = 0;
  }

  private add(p: Pending): ScheduledTimer {
    if (this.quiesced) return { cancel() {} };
    this.pending.push(p);
    return {
      cancel: () => {
        p.cancelled = true;
        const index = this.pending.indexOf(p);
        if (index >= 0) this.pending.splice(index, 1);
      },
    };
  }
}
