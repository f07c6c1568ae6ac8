import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/apiError.ts';
import { fieldErrors } from './fieldErrors.ts';

describe('fieldErrors', () => {
  const names = ['name', 'host'] as const;
  it('puts zod issues under their fields and joins two on one field', () => {
    const err = new ApiError('INVALID_INPUT', 'bad', {
      issues: [
        { path: ['host'], message: 'Use tcp:// or ssh://.' },
        { path: ['host'], message: 'Give a port.' },
        { path: ['name'], message: 'Too long.' },
      ],
    });
    expect(fieldErrors(err, names)).toEqual({
      fields: { host: 'Use tcp:// or ssh://. Give a port.', name: 'Too long.' },
      rest: null,
    });
  });

  it('keeps errors it cannot place as one error for the form', () => {
    const other = new ApiError('INVALID_INPUT', 'bad', { issues: [{ path: ['elsewhere'], message: 'x' }] });
    expect(fieldErrors(other, names)).toEqual({ fields: {}, rest: other });
    const down = new ApiError('ENGINE_UNAVAILABLE', 'down');
    expect(fieldErrors(down, names).rest).toBe(down);
    expect(fieldErrors(null, names)).toEqual({ fields: {}, rest: null });
  });

  it('reads a conflict as a taken name', () => {
    expect(fieldErrors(new ApiError('CONFLICT', 'Taken.'), names).fields).toEqual({ name: 'Taken.' });
  });
});
