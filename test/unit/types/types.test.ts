import { describe, expect, it } from 'vitest';
import { JsonSerializer } from '../../../src/types/json-serializer.ts';
import { Int64Serializer } from '../../../src/types/primitive-serializers.ts';
import { RowSerializer } from '../../../src/types/row-serializer.ts';
import { TupleSerializer } from '../../../src/types/tuple-serializer.ts';
import { TypeInformation } from '../../../src/types/type-information.ts';
import { Types } from '../../../src/types/types.ts';

describe('Types', () => {
  it('maps TUPLE, ROW_NAMED, ROW, JSON and the field types to serializers', () => {
    const tuple = Types.TUPLE(Types.INT32, Types.FLOAT64, Types.INT64);
    expect(tuple.descriptor).toEqual({ type: 'tuple', types: ['int32', 'float64', 'int64'] });
    const t = tuple.createSerializer();
    expect(t).toBeInstanceOf(TupleSerializer);
    const sample: [number, number, number] = t.createInstance();
    expect(sample).toEqual([0, 0, 0]);

    const row = Types.ROW_NAMED(['id', 'name'], Types.INT64, Types.STRING);
    expect(row.descriptor).toEqual({
      type: 'row',
      fields: [
        { name: 'id', type: 'int64' },
        { name: 'name', type: 'string' },
      ],
    });
    const r = row.createSerializer();
    expect(r).toBeInstanceOf(RowSerializer);
    const created: { id: number; name: string } = r.createInstance();
    expect(created).toEqual({ id: 0, name: '' });

    const nullable = Types.ROW([{ name: 'tag', type: 'string', nullable: true }]);
    expect(nullable.createSerializer().createInstance()).toEqual({ tag: null });
    expect(Types.JSON().createSerializer()).toBe(JsonSerializer.INSTANCE);
    expect(Types.INT64.createSerializer()).toBe(Int64Serializer.INSTANCE);
  });

  it('describes an existing serializer (TypeInformation.of)', () => {
    const s = TupleSerializer.of(['int64', 'string']);
    expect(TypeInformation.of(s).descriptor).toEqual(s.snapshotConfiguration());
  });

  it('rejects bad schemas with SLUICE_ERR_TYPES_INVALID_SCHEMA', () => {
    const invalid = expect.objectContaining({ code: 'SLUICE_ERR_TYPES_INVALID_SCHEMA' });
    expect(() => Types.ROW_NAMED(['a'], Types.INT64, Types.INT64)).toThrow(invalid);
    expect(() => Types.ROW_NAMED(['a', 'a'], Types.INT64, Types.INT64)).toThrow(invalid);
    expect(() => Types.TUPLE(Types.JSON() as never)).toThrow(invalid);
    expect(() => Types.TUPLE()).toThrow(invalid);
    expect(() => new TypeInformation({ type: 'nope' } as never)).toThrow(invalid);
  });
});
