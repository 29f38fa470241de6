import { describe, expect, it } from 'vitest';
import { OffsetsInitializer } from '../../../../src/connectors/kafka/offsets-initializer.ts';
import { FakeAdmin } from './fake-kafka-clients.ts';

const tps = [0, 1, 2].map((partition) => ({ topic: 't', partition }));

function admin(): FakeAdmin {
  const a = new FakeAdmin();
  a.setTopic('t', [
    [10, 100],
    [0, 50],
    [5, 5],
  ]);
  return a;
}

describe('OffsetsInitializer', () => {
  it('resolves earliest and latest to the log start and the high watermark', async () => {
    const a = admin();
    expect([...(await OffsetsInitializer.earliest().resolve(tps, a, 'g'))]).toEqual([
      ['t:0', 10],
      ['t:1', 0],
      ['t:2', 5],
    ]);
    expect([...(await OffsetsInitializer.latest().resolve(tps, a, 'g')).values()]).toEqual([
      100, 50, 5,
    ]);
  });

  it('uses committed offsets, the reset strategy where there are none, clamped into the log', async () => {
    const a = admin();
    a.committed.set('t:0', 3); // below the log start (retention): clamped to 10
    a.committed.set('t:1', 20);
    const earliest = await OffsetsInitializer.committedOffsets('earliest').resolve(tps, a, 'g');
    expect([...earliest.values()]).toEqual([10, 20, 5]);
    const latest = await OffsetsInitializer.committedOffsets('latest').resolve(tps, a, 'g');
    expect([...latest.values()]).toEqual([10, 20, 5]);
    a.committed.delete('t:1');
    expect(
      (await OffsetsInitializer.committedOffsets('latest').resolve(tps, a, 'g')).get('t:1'),
    ).toBe(50);
  });

  it("fails naming the partition with reset 'none' and no committed offset", async () => {
    await expect(
      OffsetsInitializer.committedOffsets('none').resolve(tps, admin(), 'grp'),
    ).rejects.toThrow(/no committed offset for group "grp" on t:0/);
  });

  it('resolves timestamps and specific offsets', async () => {
    const a = admin();
    a.byTimestamp.set('t:0', 60);
    expect([...(await OffsetsInitializer.timestamp(1_000).resolve(tps, a, 'g')).values()]).toEqual([
      60, 50, 5,
    ]);
    const specific = OffsetsInitializer.offsets({ 't:1': 7 }, 'latest');
    expect([...(await specific.resolve(tps, a, 'g')).values()]).toEqual([100, 7, 5]);
    expect(() => OffsetsInitializer.offsets({ nope: 1 })).toThrow(/topic:partition/);
    expect(() => OffsetsInitializer.timestamp(-1)).toThrow(/epoch milliseconds/);
    expect(String(OffsetsInitializer.committedOffsets())).toBe(
      'committed offsets (reset earliest)',
    );
  });
});
