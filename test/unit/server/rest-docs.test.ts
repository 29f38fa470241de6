import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestServer } from '../../../src/server/rest-server.ts';
import { TestingDispatcher } from '../../helpers/testing-dispatcher.ts';

describe('docs/rest.md', () => {
  let server: RestServer;
  beforeAll(async () => {
    server = await RestServer.create({ dispatcher: new TestingDispatcher() });
  });
  afterAll(async () => {
    await server.close();
  });

  it('lists every operation of the OpenAPI document in its endpoint table, and no other', async () => {
    const doc = (await server.app.inject({ url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const served = new Set<string>();
    for (const [path, operations] of Object.entries(doc.paths))
      for (const method of Object.keys(operations)) served.add(`${method.toUpperCase()} ${path}`);
    const text = readFileSync(new URL('../../../docs/rest.md', import.meta.url), 'utf8');
    const documented = new Set<string>();
    for (const m of text.matchAll(/^\|\s*(GET|POST|PATCH|PUT|DELETE)\s*\|\s*`([^`]+)`\s*\|/gm))
      documented.add(`${m[1]} ${m[2]}`);
    // /openapi.json and /docs are documented but not part of the document itself.
    const extra = new Set(['GET /openapi.json', 'GET /docs']);
    expect([...served].sort()).toEqual([...documented].filter((d) => !extra.has(d)).sort());
  });
});
