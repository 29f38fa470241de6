import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { compileOptions } from '../../../src/config/validate.ts';

describe('compileOptions', () => {
  const validate = compileOptions(
    Type.Object({ segmentSizeBytes: Type.Integer({ minimum: 4096 }) }),
    'TestComponent',
  );

  it('returns valid options unchanged', () => {
    expect(validate({ segmentSizeBytes: 32768 })).toEqual({ segmentSizeBytes: 32768 });
  });

  it('names the key and the offending value', () => {
    expect(() => validate({ segmentSizeBytes: 12 })).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_CONFIG_INVALID',
        message: expect.stringContaining('segmentSizeBytes = 12'),
      }),
    );
  });
});
