import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration } from '../../../src/config/configuration.ts';
import { loadRestToken, restServerOptionsFrom } from '../../../src/server/rest-options.ts';
import { RestServer } from '../../../src/server/rest-server.ts';
import { TestingDispatcher } from '../../helpers/testing-dispatcher.ts';
import { AUTH, expectError, type Kit, startKit, TOKEN } from './rest-test-kit.ts';

type Method = 'GET' | 'POST' | 'PATCH';
interface Endpoint {
  method: Method;
  url: (jobId: string) => string;
  body?: object;
}

const MUTATING: Endpoint[] = [
  { method: 'POST', url: () => '/jobs', body: { jobName: 'wordcount' } },
  { method: 'PATCH', url: (j) => `/jobs/${j}?mode=cancel` },
  { method: 'POST', url: (j) => `/jobs/${j}/stop`, body: {} },
  { method: 'POST', url: (j) => `/jobs/${j}/savepoints`, body: {} },
  { method: 'POST', url: (j) => `/jobs/${j}/checkpoints`, body: {} },
];

const READ: Endpoint[] = [
  { method: 'GET', url: () => '/overview' },
  { method: 'GET', url: () => '/config' },
  { method: 'GET', url: () => '/jobmanager/config' },
  { method: 'GET', url: () => '/metrics' },
  { method: 'GET', url: () => '/jobs' },
  { method: 'GET', url: () => '/jobs/overview' },
  { method: 'GET', url: (j) => `/jobs/${j}` },
  { method: 'GET', url: (j) => `/jobs/${j}/checkpoints` },
  { method: 'GET', url: (j) => `/jobs/${j}/vertices/src/backpressure` },
  { method: 'GET', url: (j) => `/jobs/${j}/flow` },
];

const OPEN: Endpoint[] = [
  { method: 'GET', url: () => '/healthz' },
  { method: 'GET', url: () => '/readyz' },
  { method: 'GET', url: () => '/openapi.json' },
  { method: 'GET', url: () => '/docs/json' },
];

function call(kit: Kit, e: Endpoint, headers: Record<string, string> = {}) {
  return kit.inject({
    method: e.method,
    url: e.url(kit.jobId),
    headers,
    ...(e.body ? { payload: e.body } : {}),
  });
}

describe('REST security: bearer token on mutating endpoints', () => {
  let kit: Kit;
  beforeAll(async () => {
    kit = await startKit({ token: TOKEN });
  });
  afterAll(async () => {
    await kit.server.close();
  });

  it.each(MUTATING.map((e) => [`${e.method} ${e.url(':jobid')}`, e] as const))(
    '%s: no header → 401, wrong token → 403, other schemes → 401',
    async (_name, endpoint) => {
      const missing = await call(kit, endpoint);
      expectError(missing, 401, 'SLUICE_ERR_REST_UNAUTHORIZED');
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="sluice"');
      expectError(
        await call(kit, endpoint, { authorization: `Bearer ${TOKEN}x` }),
        403,
        'SLUICE_ERR_REST_FORBIDDEN',
      );
      expectError(
        await call(kit, endpoint, { authorization: 'Bearer short' }),
        403,
        'SLUICE_ERR_REST_FORBIDDEN',
      );
      expectError(
        await call(kit, endpoint, { authorization: `Basic ${TOKEN}` }),
        401,
        'SLUICE_ERR_REST_UNAUTHORIZED',
      );
      expectError(
        await call(kit, endpoint, { authorization: 'Bearer' }),
        401,
        'SLUICE_ERR_REST_UNAUTHORIZED',
      );
    },
  );

  it('accepts the scheme case-insensitively, as RFC 6750 allows', async () => {
    const response = await call(kit, MUTATING[4]!, { authorization: `bearer ${TOKEN}` });
    expect(response.statusCode).toBe(202);
  });

  it.each(READ.map((e) => [`${e.method} ${e.url(':jobid')}`, e] as const))(
    '%s is open by default',
    async (_name, endpoint) => {
      expect((await call(kit, endpoint)).statusCode).toBe(200);
    },
  );

  it('an unauthenticated oversized body is refused for the token first (401, not 413)', async () => {
    const response = await kit.inject({
      method: 'POST',
      url: '/jobs',
      payload: { jobName: 'x'.repeat(200_000) },
    });
    expectError(response, 401, 'SLUICE_ERR_REST_UNAUTHORIZED');
  });

  it.each(
    MUTATING.filter((e) => e.body).map((e) => [`${e.method} ${e.url(':jobid')}`, e] as const),
  )('%s: oversized body → 413, non-JSON body → 415', async (_name, endpoint) => {
    const big = await kit.inject({
      method: endpoint.method,
      url: endpoint.url(kit.jobId),
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: JSON.stringify({ triggerId: 'x'.repeat(70 * 1024) }),
    });
    expectError(big, 413, 'SLUICE_ERR_REST_BODY_TOO_LARGE');
    expect(big.json().details).toEqual({ limitBytes: 65536 });
    const text = await kit.inject({
      method: endpoint.method,
      url: endpoint.url(kit.jobId),
      headers: { ...AUTH, 'content-type': 'text/plain' },
      payload: 'jobName=wordcount',
    });
    expectError(text, 415, 'SLUICE_ERR_REST_UNSUPPORTED_MEDIA_TYPE');
  });

  it('never crashes on hostile bodies: prototype pollution, deep nesting, invalid UTF-8', async () => {
    const post = (payload: string | Buffer) =>
      kit.inject({
        method: 'POST',
        url: '/jobs',
        headers: { ...AUTH, 'content-type': 'application/json' },
        payload,
      });
    expectError(
      await post('{"jobName":"wordcount","__proto__":{"polluted":true}}'),
      400,
      'SLUICE_ERR_REST_BAD_REQUEST',
    );
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expectError(
      await post(`${'['.repeat(5000)}${']'.repeat(5000)}`),
      400,
      'SLUICE_ERR_REST_BAD_REQUEST',
    );
    expectError(
      await post(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
      400,
      'SLUICE_ERR_REST_BAD_REQUEST',
    );
    expect((await kit.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('REST security: no token configured', () => {
  let kit: Kit;
  beforeAll(async () => {
    kit = await startKit({});
  });
  afterAll(async () => {
    await kit.server.close();
  });

  it.each(MUTATING.map((e) => [`${e.method} ${e.url(':jobid')}`, e] as const))(
    '%s is refused with 403 NO_TOKEN_CONFIGURED, with or without a header',
    async (_name, endpoint) => {
      expectError(await call(kit, endpoint), 403, 'SLUICE_ERR_REST_NO_TOKEN_CONFIGURED');
      expectError(await call(kit, endpoint, AUTH), 403, 'SLUICE_ERR_REST_NO_TOKEN_CONFIGURED');
    },
  );

  it('read endpoints stay open', async () => {
    for (const endpoint of [...READ, ...OPEN])
      expect((await call(kit, endpoint)).statusCode).toBe(200);
  });
});

describe('REST security: rest.auth.read', () => {
  let kit: Kit;
  beforeAll(async () => {
    kit = await startKit({ token: TOKEN, authRead: true });
  });
  afterAll(async () => {
    await kit.server.close();
  });

  it.each(READ.map((e) => [`${e.method} ${e.url(':jobid')}`, e] as const))(
    '%s needs the token',
    async (_name, endpoint) => {
      expectError(await call(kit, endpoint), 401, 'SLUICE_ERR_REST_UNAUTHORIZED');
      expect((await call(kit, endpoint, AUTH)).statusCode).toBe(200);
    },
  );

  it('probes, the OpenAPI document and Swagger UI stay open', async () => {
    for (const endpoint of OPEN) expect((await call(kit, endpoint)).statusCode).toBe(200);
  });
});

describe('REST options and token sources', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-token-'));

  it('refuses a token shorter than 16 characters and auth.read without a token', async () => {
    const dispatcher = new TestingDispatcher();
    await expect(RestServer.create({ dispatcher }, { token: 'short' })).rejects.toMatchObject({
      code: 'SLUICE_ERR_CONFIG_INVALID',
      message: expect.stringContaining('at least 16'),
    });
    await expect(RestServer.create({ dispatcher }, { authRead: true })).rejects.toMatchObject({
      code: 'SLUICE_ERR_CONFIG_INVALID',
      message: expect.stringContaining('rest.auth.read'),
    });
    await expect(RestServer.create({ dispatcher }, { bodyLimitBytes: 10 })).rejects.toMatchObject({
      code: 'SLUICE_ERR_CONFIG_INVALID',
      message: expect.stringContaining('bodyLimitBytes'),
    });
  });

  it('reads SLUICE_REST_TOKEN first, else rest.token-file (trimmed)', () => {
    const file = join(dir, 'token');
    writeFileSync(file, `${TOKEN}\n`);
    const configuration = new Configuration().setRaw('rest.token-file', file);
    expect(loadRestToken(configuration, { SLUICE_REST_TOKEN: 'from-env-0123456789' })).toBe(
      'from-env-0123456789',
    );
    expect(loadRestToken(configuration, {})).toBe(TOKEN);
    expect(loadRestToken(new Configuration(), {})).toBeUndefined();
  });

  it('names rest.token-file when the file is missing or empty', () => {
    const missing = new Configuration().setRaw('rest.token-file', join(dir, 'nope'));
    expect(() => loadRestToken(missing, {})).toThrowError(
      expect.objectContaining({
        code: 'SLUICE_ERR_CONFIG_INVALID',
        message: expect.stringContaining('rest.token-file'),
      }),
    );
    const emptyFile = join(dir, 'empty');
    writeFileSync(emptyFile, '\n');
    const empty = new Configuration().setRaw('rest.token-file', emptyFile);
    expect(() => loadRestToken(empty, {})).toThrowError(/is empty/);
  });

  it('builds server options from rest.* keys', () => {
    const configuration = new Configuration()
      .setRaw('rest.port', '0')
      .setRaw('rest.address', '127.0.0.1')
      .setRaw('rest.auth.read', 'true')
      .setRaw('rest.server.max-content-length', '1mb');
    expect(restServerOptionsFrom(configuration, { SLUICE_REST_TOKEN: TOKEN })).toMatchObject({
      host: '127.0.0.1',
      port: 0,
      authRead: true,
      bodyLimitBytes: 1024 * 1024,
      token: TOKEN,
    });
  });
});
