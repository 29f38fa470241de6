/**
 * A small HTTP client of Sluice's REST API for `sluice jobs …`, on Node's `fetch`.
 *
 * Error answers (`{code, message}`) are rethrown as {@link RemoteError}s carrying
 * the server's code; a connection failure or a non-JSON answer becomes
 * `SLUICE_ERR_CLI_SERVER_UNREACHABLE`.
 *
 * @module
 */
import { RemoteError } from '../errors.ts';
import type { TriggerResponse } from '../server/schemas/common.ts';
import type { JobsOverview } from '../server/schemas/jobs.ts';
import type { SavepointStatus } from '../server/schemas/savepoints.ts';
import { ServerUnreachableError } from './cli-errors.ts';

/** Options of {@link RestClient}. */
export interface RestClientOptions {
  /** Base URL, e.g. `http://localhost:8081`. */
  url: string;
  /** Bearer token for mutating calls. */
  token?: string | undefined;
  /**
   * Timeout of one request (ms).
   * @defaultValue 10000
   */
  timeoutMs?: number;
}

/** Calls Sluice's REST API; see the module documentation. */
export class RestClient {
  private readonly base: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  /** @param options - server URL, token and timeout */
  constructor(options: RestClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /**
   * One request.
   *
   * @param method - HTTP method
   * @param path - path with query, e.g. `/jobs/overview`
   * @param body - JSON body, if any
   * @returns the parsed JSON answer
   * @throws the server's error code (as a `RemoteError`) on a 4xx/5xx answer
   * @throws SLUICE_ERR_CLI_SERVER_UNREACHABLE when the server cannot be reached or
   *   does not answer JSON
   */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    const url = `${this.base}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const inner = (error as { cause?: { code?: string; message?: string } }).cause;
      const cause = inner?.code ?? inner?.message ?? (error as Error).message;
      throw new ServerUnreachableError(
        `cannot reach the Sluice REST server at ${this.base} (${cause}); check --url or SLUICE_REST_URL and that the server runs`,
        { cause: error, details: { url } },
      );
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch (error) {
      throw new ServerUnreachableError(
        `${method} ${url} answered ${response.status} with a body that is not JSON; is --url a Sluice server?`,
        { cause: error, details: { url, status: response.status } },
      );
    }
    if (!response.ok) {
      const e = json as { code?: unknown; message?: unknown; details?: unknown };
      throw new RemoteError({
        code: typeof e.code === 'string' ? e.code : 'SLUICE_ERR_INTERNAL',
        message:
          typeof e.message === 'string' ? e.message : `${method} ${path}: HTTP ${response.status}`,
        details: { status: response.status, ...(e.details as Record<string, unknown> | undefined) },
      });
    }
    return json as T;
  }

  /** `GET /jobs/overview`. */
  jobsOverview(): Promise<JobsOverview> {
    return this.request('GET', '/jobs/overview');
  }

  /** `PATCH /jobs/{jobid}?mode=cancel`. */
  async cancel(jobId: string): Promise<void> {
    await this.request('PATCH', `/jobs/${encodeURIComponent(jobId)}?mode=cancel`);
  }

  /** `POST /jobs/{jobid}/savepoints`. @returns the trigger id */
  async triggerSavepoint(
    jobId: string,
    body: { 'target-directory'?: string; 'cancel-job'?: boolean; triggerId?: string },
  ): Promise<string> {
    const answer = await this.request<TriggerResponse>(
      'POST',
      `/jobs/${encodeURIComponent(jobId)}/savepoints`,
      body,
    );
    return answer['request-id'];
  }

  /** `GET /jobs/{jobid}/savepoints/{triggerid}`. */
  savepointStatus(jobId: string, triggerId: string): Promise<SavepointStatus> {
    return this.request(
      'GET',
      `/jobs/${encodeURIComponent(jobId)}/savepoints/${encodeURIComponent(triggerId)}`,
    );
  }
}
