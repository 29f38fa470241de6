import { describe, expect, it } from 'vitest';
import { deserializeError, serializeError } from '../../../src/errors.ts';
import { errorReplyOf } from '../../../src/server/rest-error-handler.ts';
import { JobNotFoundError } from '../../../src/server/rest-errors.ts';
import { RestServer } from '../../../src/server/rest-server.ts';
import { TestingDispatcher } from '../../helpers/testing-dispatcher.ts';

describe('errorReplyOf', () => {
  it("maps a SluiceError to its code's status with details", () => {
    expect(errorReplyOf(JobNotFoundError.of('abc'), 'req-1')).toEqual({
      status: 404,
      body: {
        code: 'SLUICE_ERR_REST_JOB_NOT_FOUND',
        message: 'job abc not found; list jobs with GET /jobs',
        details: { jobId: 'abc' },
      },
      serverFault: false,
    });
  });

  it('maps an error rebuilt from a worker thread by its code', () => {
    const remote = deserializeError(
      serializeError(
        Object.assign(new Error('pool exhausted'), { code: 'SLUICE_ERR_NETWORK_POOL_DESTROYED' }),
      ),
    );
    expect(errorReplyOf(remote, 'r')).toMatchObject({
      status: 500,
      body: { code: 'SLUICE_ERR_NETWORK_POOL_DESTROYED', message: 'pool exhausted' },
      serverFault: true,
    });
  });

  it('hides the message of unexpected errors and points to the log by request id', () => {
    const reply = errorReplyOf(
      new TypeError("Cannot read properties of undefined (reading 'x')"),
      'req-7',
    );
    expect(reply.status).toBe(500);
    expect(reply.body.code).toBe('SLUICE_ERR_INTERNAL');
    expect(reply.body.message).toContain('req-7');
    expect(reply.body.message).not.toContain('undefined');
    expect(errorReplyOf('a string', 'r').status).toBe(500);
    expect(errorReplyOf(null, 'r').status).toBe(500);
  });
});

describe('RestServer error handling', () => {
  it('a Dispatcher that throws an unexpected error yields 500 SLUICE_ERR_INTERNAL and is logged', async () => {
    const dispatcher = new TestingDispatcher();
    dispatcher.overview = async () => {
      throw new Error('secret internal detail');
    };
    const logged: unknown[] = [];
    const logger = {
      level: 'info',
      info: () => {},
      warn: () => {},
      debug: () => {},
      trace: () => {},
      fatal: () => {},
      silent: () => {},
      error: (obj: unknown) => logged.push(obj),
      child() {
        return this;
      },
    };
    const server = await RestServer.create({ dispatcher, logger });
    try {
      const response = await server.app.inject({ url: '/overview' });
      expect(response.statusCode).toBe(500);
      expect(response.json().code).toBe('SLUICE_ERR_INTERNAL');
      expect(response.body).not.toContain('secret internal detail');
      expect(logged).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('a Dispatcher answer that breaks the response schema is a 500, not a malformed 200', async () => {
    const dispatcher = new TestingDispatcher();
    dispatcher.overview = async () => ({ taskmanagers: 1 }) as never;
    const server = await RestServer.create({ dispatcher });
    try {
      const response = await server.app.inject({ url: '/overview' });
      expect(response.statusCode).toBe(500);
      expect(response.json().code).toBe('SLUICE_ERR_INTERNAL');
    } finally {
      await server.close();
    }
  });
});
