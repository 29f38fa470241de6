/**
 * Shared setup of the REST contract tests: a server over a TestingDispatcher with
 * one running job, and a schema check of answers.
 */
import { Ajv } from 'ajv';
import type { TSchema } from 'typebox';
import { expect } from 'vitest';
import type { RestServerOptions } from '../../../src/server/rest-options.ts';
import { RestServer } from '../../../src/server/rest-server.ts';
import { TestingDispatcher } from '../../helpers/testing-dispatcher.ts';

export const TOKEN = 'test-token-0123456789abcdef';
export const AUTH = { authorization: `Bearer ${TOKEN}` };

const ajv = new Ajv({ strict: false, allErrors: true });

/** Asserts that `body` satisfies the TypeBox `schema` (the route's response schema). */
export function expectShape(schema: TSchema, body: unknown): void {
  const validate = ajv.compile(schema as object);
  const ok = validate(body);
  expect(ok, JSON.stringify(validate.errors)).toBe(true);
}

export interface Kit {
  server: RestServer;
  dispatcher: TestingDispatcher;
  jobId: string;
  inject: RestServer['app']['inject'];
}

/** A server with one running job `q1` (vertices `src` → `map`). */
export async function startKit(
  options: Partial<RestServerOptions> = { token: TOKEN },
): Promise<Kit> {
  const dispatcher = new TestingDispatcher();
  const jobId = dispatcher.addJob({
    name: 'q1',
    vertices: [
      { id: 'src', name: 'Source: bids' },
      { id: 'map', name: 'Map', parallelism: 2, inputs: ['src'] },
    ],
  });
  const server = await RestServer.create({ dispatcher }, options);
  return { server, dispatcher, jobId, inject: server.app.inject.bind(server.app) };
}

/** Asserts an error answer's status and code. */
export function expectError(
  response: { statusCode: number; json(): unknown },
  status: number,
  code: string,
): void {
  expect({ status: response.statusCode, code: (response.json() as { code: string }).code }).toEqual(
    {
      status,
      code,
    },
  );
  expect(typeof (response.json() as { message: unknown }).message).toBe('string');
}
