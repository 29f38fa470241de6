import { describe, expect, it } from 'vitest';
import {
  NotificationWatcher,
  signalNotification,
} from '../../../src/network/notification-watcher.ts';

const NOTIFY = 0;
const WAITING = 1;

function setup(): { ctl: Int32Array; watcher: NotificationWatcher; wakeUps: () => number } {
  const ctl = new Int32Array(new SharedArrayBuffer(16));
  let count = 0;
  const watcher = new NotificationWatcher(ctl, NOTIFY, WAITING, () => {
    count++;
  });
  return { ctl, watcher, wakeUps: () => count };
}

/** Lets pending `Atomics.waitAsync` resolutions run (they are posted as tasks). */
async function settle(condition: () => boolean): Promise<void> {
  for (let round = 0; round < 50 && !condition(); round++) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('NotificationWatcher', () => {
  it('wakes a registered wait once when a signaller bumps NOTIFY', async () => {
    const { ctl, watcher, wakeUps } = setup();
    const seen = watcher.prepare();
    expect(Atomics.load(ctl, WAITING)).toBe(1);
    expect(watcher.wait(seen)).toBe(true);
    expect(watcher.isWaiting()).toBe(true);
    signalNotification(ctl, NOTIFY, WAITING);
    signalNotification(ctl, NOTIFY, WAITING); // finds WAITING = 0: no second notify
    await settle(() => wakeUps() > 0);
    expect(wakeUps()).toBe(1);
    expect(watcher.isWaiting()).toBe(false);
    watcher.done();
    expect(Atomics.load(ctl, WAITING)).toBe(0);
    watcher.cancel();
  });

  it('does not wait when NOTIFY changed after prepare()', () => {
    const { ctl, watcher } = setup();
    const seen = watcher.prepare();
    signalNotification(ctl, NOTIFY, WAITING);
    expect(watcher.wait(seen)).toBe(false);
    expect(watcher.isWaiting()).toBe(false);
  });

  it('done() forgets a pending wait: its wake-up is ignored', async () => {
    const { ctl, watcher, wakeUps } = setup();
    expect(watcher.wait(watcher.prepare())).toBe(true);
    watcher.done();
    expect(Atomics.load(ctl, WAITING)).toBe(0);
    Atomics.add(ctl, NOTIFY, 1);
    Atomics.notify(ctl, NOTIFY);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(wakeUps()).toBe(0);
    watcher.cancel();
  });

  // Regression: the 10,000,000-record exchange test stalled under full-suite load. A
  // signal that did not end the wait (credit for an idle channel) bumped NOTIFY before
  // the waiter read `seen`, then swapped WAITING to 0 and notified before the waiter's
  // waitAsync was registered; the waiter slept with WAITING = 0, and the signal it
  // waited for (a buffer of the blocked channel coming back) skipped its notify.
  it('a signaller lowering WAITING between prepare() and the registered wait cannot leave the waiter asleep', async () => {
    const { ctl, watcher, wakeUps } = setup();
    // Signaller A, first half: commits state that does not end the wait, bumps NOTIFY.
    Atomics.add(ctl, NOTIFY, 1);
    // Waiter: raises WAITING and reads NOTIFY (A's bump included); its re-check finds
    // nothing to do.
    let seen = watcher.prepare();
    // Signaller A, second half: WAITING was 1, so it lowers it and notifies — nobody yet.
    expect(Atomics.exchange(ctl, WAITING, 0)).toBe(1);
    Atomics.notify(ctl, NOTIFY);
    // Waiter: registers its wait. The watcher sees that WAITING was lowered meanwhile
    // and reports "re-check" instead of sleeping unannounced; the caller re-checks,
    // prepares and waits again.
    if (!watcher.wait(seen)) {
      seen = watcher.prepare();
      expect(watcher.wait(seen)).toBe(true);
    }
    expect(Atomics.load(ctl, WAITING)).toBe(1);
    // Signaller B: the state the waiter waits for. It must wake it.
    signalNotification(ctl, NOTIFY, WAITING);
    await settle(() => wakeUps() > 0);
    expect(wakeUps()).toBe(1);
    watcher.cancel();
  });
});
