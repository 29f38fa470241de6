import { Type } from 'typebox';
import { compileOptions } from '../../config/validate.ts';

/**
 * Options shared by the writing (`SpanningRecordSerializer`) and reading
 * (`SpanningRecordDeserializer`) sides of a framed record stream. Both sides of a
 * channel must use the same {@link maxRecordSizeBytes}.
 */
export interface RecordSerializationOptions {
  /**
   * Largest frame accepted (tag + payload, without the 4-byte length prefix), in bytes.
   * A writer refuses larger records with `SLUICE_ERR_TYPES_RECORD_TOO_LARGE`; a reader
   * treats a larger length as corruption (`SLUICE_ERR_NETWORK_CORRUPT_STREAM`) instead
   * of allocating it. Sluice-specific (Flink has no limit and spills records larger
   * than 5 MiB to disk); it also bounds the memory a spanning record may take.
   *
   * @defaultValue 16777216 (16 MiB); range 16 B … 1 GiB
   */
  maxRecordSizeBytes: number;
  /**
   * Initial size of the heap scratch that holds frames spanning segments, in bytes; it
   * grows on demand up to `maxRecordSizeBytes + 4` and, on the reading side, shrinks
   * back after a frame larger than 1 MiB.
   *
   * @defaultValue 1024 (1 KiB); range 16 B … 64 MiB
   */
  initialBufferSizeBytes: number;
}

/** Defaults of {@link RecordSerializationOptions}. */
export const defaultRecordSerializationOptions: Readonly<RecordSerializationOptions> =
  Object.freeze({
    maxRecordSizeBytes: 16 * 1024 * 1024,
    initialBufferSizeBytes: 1024,
  });

/** TypeBox schema of {@link RecordSerializationOptions}. */
export const RecordSerializationOptionsSchema = Type.Object(
  {
    maxRecordSizeBytes: Type.Integer({ minimum: 16, maximum: 2 ** 30 }),
    initialBufferSizeBytes: Type.Integer({ minimum: 16, maximum: 2 ** 26 }),
  },
  { additionalProperties: false },
);

const validators = new Map<string, (options: unknown) => RecordSerializationOptions>();

/**
 * Merges `options` over the defaults and validates them once.
 *
 * @param options - partial options (unknown keys are rejected)
 * @param component - the component, for the error message
 * @returns complete, validated options
 * @throws SLUICE_ERR_CONFIG_INVALID naming the key and the value
 */
export function resolveRecordSerializationOptions(
  options: Partial<RecordSerializationOptions> | undefined,
  component: string,
): RecordSerializationOptions {
  let validate = validators.get(component);
  if (validate === undefined) {
    validate = compileOptions(RecordSerializationOptionsSchema, component);
    validators.set(component, validate);
  }
  return validate({ ...defaultRecordSerializationOptions, ...options });
}
