/**
 * The rolling aggregations of `KeyedStream` (`sum`, `min`, `max`, `minBy`, `maxBy`) as
 * reduce functions, with Flink's semantics (`SumAggregator`, `ComparableAggregator`):
 *
 * ```
 *   sum(f)    first record of the key, with f = running sum          (other fields: first record's)
 *   min(f)    first record of the key, with f = running minimum      (other fields: first record's)
 *   max(f)    first record of the key, with f = running maximum
 *   minBy(f)  the whole record with the smallest f (the earlier one on ties)
 *   maxBy(f)  the whole record with the largest f (the earlier one on ties)
 * ```
 *
 * A changed aggregate is a copy (records are never mutated: object reuse): an array
 * for tuples, an object with the same prototype otherwise.
 */

import type { ReduceFunction } from './functions.ts';

/** Name of a rolling aggregation. */
export type AggregationKind = 'sum' | 'min' | 'max' | 'minBy' | 'maxBy';

function fieldOf(record: unknown, field: PropertyKey, kind: AggregationKind): number {
  const value = (record as Record<PropertyKey, unknown>)[field];
  if (typeof value !== 'number') {
    throw new TypeError(
      `${kind}(${String(field)}): field ${String(field)} of the record is ${JSON.stringify(value) ?? String(value)}, not a number`,
    );
  }
  return value;
}

function withField<T>(record: T, field: PropertyKey, value: number): T {
  if (Array.isArray(record)) {
    const copy = record.slice();
    copy[field as number] = value;
    return copy as T;
  }
  const copy = Object.create(Object.getPrototypeOf(record)) as Record<PropertyKey, unknown>;
  Object.assign(copy, record);
  copy[field] = value;
  return copy as T;
}

/**
 * A reduce function computing a rolling aggregation of one numeric field.
 *
 * @param kind - the aggregation
 * @param field - property name (objects) or position (tuples)
 * @returns the reduce function the `StreamGroupedReduce` operator runs
 * @throws TypeError (per record, wrapped as SLUICE_ERR_OPERATOR_FUNCTION_FAILED by the
 *   operator) when the field is not a number
 */
export function createAggregator<T>(kind: AggregationKind, field: PropertyKey): ReduceFunction<T> {
  switch (kind) {
    case 'sum':
      return {
        reduce: (a, b) => withField(a, field, fieldOf(a, field, kind) + fieldOf(b, field, kind)),
      };
    case 'min':
      return {
        reduce: (a, b) => {
          const x = fieldOf(a, field, kind);
          const y = fieldOf(b, field, kind);
          return y < x ? withField(a, field, y) : a;
        },
      };
    case 'max':
      return {
        reduce: (a, b) => {
          const x = fieldOf(a, field, kind);
          const y = fieldOf(b, field, kind);
          return y > x ? withField(a, field, y) : a;
        },
      };
    case 'minBy':
      return { reduce: (a, b) => (fieldOf(b, field, kind) < fieldOf(a, field, kind) ? b : a) };
    case 'maxBy':
      return { reduce: (a, b) => (fieldOf(b, field, kind) > fieldOf(a, field, kind) ? b : a) };
  }
}
