import { describe, expect, it } from 'vitest';
import {
  type DefaultActionResult,
  DONE,
  MailboxProcessor,
  MORE,
} from '../../../src/runtime/mailbox-processor.ts';

describe('MailboxProcessor', () => {
  it('yields to the event loop while the default action always has more: a timer stops it', async () => {
    let calls = 0;
    const mailbox = new MailboxProcessor(() => {
      calls++;
      return MORE;
    });
    setTimeout(() => mailbox.stop(), 5);
    await expect(mailbox.runMailboxLoop()).resolves.toBe(false);
    expect(calls).toBeGreaterThan(0);
    expect(mailbox.numSlices).toBeGreaterThan(1);
  });

  it('runs mails between slices, in order, before the default action continues', async () => {
    const log: string[] = [];
    let calls = 0;
    const mailbox = new MailboxProcessor(() => {
      calls++;
      log.push('action');
      return calls >= 3 ? DONE : MORE;
    });
    mailbox.execute(() => {
      log.push('mail 1');
    });
    mailbox.execute(async () => {
      await Promise.resolve();
      log.push('mail 2');
    });
    await expect(mailbox.runMailboxLoop()).resolves.toBe(true);
    expect(log.slice(0, 3)).toEqual(['mail 1', 'mail 2', 'action']);
    expect(mailbox.numMails).toBe(2);
  });

  it('a mail wakes a suspended loop; stop ends it while it waits', async () => {
    const never = new Promise<void>(() => {});
    let calls = 0;
    const mailbox = new MailboxProcessor((): DefaultActionResult => {
      calls++;
      return never;
    });
    const loop = mailbox.runMailboxLoop();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(calls).toBe(1);
    let ran = false;
    mailbox.execute(() => {
      ran = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(ran).toBe(true);
    expect(calls).toBe(2); // woken by the mail, then suspended again
    mailbox.stop();
    await expect(loop).resolves.toBe(false);
  });

  it('resumes when the awaited future resolves', async () => {
    let release!: () => void;
    const future = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const mailbox = new MailboxProcessor(() => (++calls === 1 ? future : DONE));
    const loop = mailbox.runMailboxLoop();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(calls).toBe(1);
    release();
    await expect(loop).resolves.toBe(true);
    expect(calls).toBe(2);
  });

  it('already-resolved futures do not starve timers and messages', async () => {
    const resolved = Promise.resolve();
    const mailbox = new MailboxProcessor(() => resolved);
    setTimeout(() => mailbox.stop(), 5);
    await expect(mailbox.runMailboxLoop()).resolves.toBe(false);
  });

  it('an error of the default action ends the loop with it', async () => {
    const mailbox = new MailboxProcessor(() => {
      throw new Error('boom');
    });
    await expect(mailbox.runMailboxLoop()).rejects.toThrow('boom');
  });
});
