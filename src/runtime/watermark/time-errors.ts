import { SluiceError } from '../../errors.ts';

/**
 * An event-time operation got a record without a timestamp (Flink's "Record has
 * Long.MIN_VALUE timestamp (= no timestamp marker)" error); the message names the operator
 * and the remedy (`assignTimestampsAndWatermarks`, or processing-time windows).
 */
export class MissingTimestampError extends SluiceError {
  static override readonly code = 'SLUICE_ERR_TIME_MISSING_TIMESTAMP';
}
